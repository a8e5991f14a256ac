// Prisma CLI configuration: the JS schema engine with a driver adapter, so migrations run offline (OFFLINE.md).
import path from "node:path";
import type { PrismaConfig } from "prisma";
import { FixedPrismaPg } from "./packages/db/src/adapter";

// The CLI is a tool run by developers and scripts, not the product: it reads DATABASE_URL like Prisma always does,
// with the same local default as @cp/config outside production.
// eslint-disable-next-line no-restricted-properties
const url = process.env.DATABASE_URL ?? "postgresql://cp:cp@127.0.0.1:55432/cp";
// eslint-disable-next-line no-restricted-properties
process.env.DATABASE_URL = url;

export default {
  experimental: { adapter: true },
  engine: "js",
  // allowExitOnIdle: otherwise idle pool clients keep the CLI alive for 10 s after it is done.
  adapter: async () => new FixedPrismaPg(url, { allowExitOnIdle: true, idleTimeoutMillis: 200 }),
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
} satisfies PrismaConfig;
