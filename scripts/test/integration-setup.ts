// Vitest global setup for the integration tier: a throwaway PostgreSQL database per run, migrated with the real
// migrations, and a Redis database of its own; both are dropped/flushed at the end.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";

/* eslint-disable no-restricted-properties -- test harness: it sets the environment the code under test reads */
const PG_ADMIN = process.env.CP_TEST_PG_ADMIN_URL ?? "postgresql://cp:cp@127.0.0.1:55432/postgres";
const REDIS_BASE = process.env.CP_TEST_REDIS_URL ?? "redis://127.0.0.1:56379";

export default async function setup() {
  const name = `cp_it_${Date.now()}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(path.join(root, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: "1" },
    stdio: "pipe",
  });
  // A baseline release that stays orderable: with a non-empty catalog, ordering needs an orderable release, and
  // files that add releases (unreleased, withdrawn or ended ones) must not leave later files' orders without one.
  const seed = new pg.Client({ connectionString: databaseUrl });
  await seed.connect();
  await seed.query(
    `INSERT INTO "Release" (version, "releasedAt", notes, channel, "updatedAt")
     VALUES ('0.64.0', '2026-01-06T00:00:00Z', 'Baseline release of the integration database', 'stable', now())`,
  );
  await seed.end();
  Object.assign(process.env, {
    CP_MODE: "test",
    DATABASE_URL: databaseUrl,
    REDIS_URL: `${REDIS_BASE}/1`,
    CP_LOG_LEVEL: process.env.CP_LOG_LEVEL ?? "silent",
    NEXTAUTH_URL: "http://localhost:3999",
  });
  const { Redis } = await import("ioredis");
  const redis = new Redis(`${REDIS_BASE}/1`);
  await redis.flushdb();

  return async () => {
    await redis.flushdb();
    await redis.quit();
    if (!process.env.CP_TEST_KEEP_DB) {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    await admin.end();
  };
}
