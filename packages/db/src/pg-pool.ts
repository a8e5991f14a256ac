// A plain `pg` pool beside Prisma, for bulk SQL that Prisma's raw queries make slow: large array parameters
// (metric samples inserted with unnest) go through Prisma's query engine and its JSON argument encoding, here
// they are sent as they are. Use it for bulk statements only; everything else goes through db().
import { env } from "@cp/config";
import pg from "pg";
import { parseDatabaseUrl } from "./adapter";

const globalForPool = globalThis as unknown as { cpPgPool?: pg.Pool };

/** The process-wide pool for bulk SQL (a few connections: bulk statements are few and large). */
export function pgPool(): pg.Pool {
  if (!globalForPool.cpPgPool) {
    const pool = new pg.Pool({ ...parseDatabaseUrl(env().DATABASE_URL), max: 4 });
    // An idle connection that drops (server restart) is discarded by pg and replaced on the next query; without a
    // listener the error event would end the process.
    pool.on("error", () => undefined);
    globalForPool.cpPgPool = pool;
  }
  return globalForPool.cpPgPool;
}

/** Closes the bulk pool (on shutdown, or in tests that end their process). */
export async function closePgPool(): Promise<void> {
  const pool = globalForPool.cpPgPool;
  globalForPool.cpPgPool = undefined;
  await pool?.end();
}
