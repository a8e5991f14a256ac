import { env } from "@cp/config";
import { PrismaClient, Prisma } from "@prisma/client";
import { FixedPrismaPg } from "./adapter";

export { Prisma, PrismaClient };
export type * from "@prisma/client";
export {
  OrgPlan,
  StaffRole,
  OrgRole,
  Cloud,
  StorageMode,
  InstanceStatus,
  HealthStatus,
  OperationKind,
  OperationStatus,
  OutboxChannel,
  OutboxStatus,
} from "@prisma/client";

/** A client or an interactive transaction: use cases accept either so callers can compose them. */
export type Db = PrismaClient | Prisma.TransactionClient;

export function createDb(databaseUrl: string, options: { max?: number } = {}): PrismaClient {
  return new PrismaClient({ adapter: new FixedPrismaPg(databaseUrl, { max: options.max ?? 10 }) });
}

const globalForDb = globalThis as unknown as { cpDb?: PrismaClient };

/** The process-wide client (kept across hot reloads in development). */
export function db(): PrismaClient {
  globalForDb.cpDb ??= createDb(env().DATABASE_URL);
  return globalForDb.cpDb;
}

/** True when the error is a unique-constraint violation (optionally on a given field). */
export function isUniqueViolation(err: unknown, field?: string): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== "P2002") return false;
  if (!field) return true;
  const target = (err.meta as { target?: unknown } | undefined)?.target;
  const text = Array.isArray(target) ? target.join(",") : String(target ?? "");
  return text.includes(field) || JSON.stringify(err.meta ?? {}).includes(field);
}

export async function pingDb(client: PrismaClient = db()): Promise<void> {
  await client.$queryRaw`SELECT 1`;
}
export { pgPool, closePgPool, utcTimestamps, type PgClient } from "./pg-pool";
