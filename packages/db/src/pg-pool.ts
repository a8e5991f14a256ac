// A plain `pg` pool beside Prisma, for bulk SQL that Prisma's raw queries make slow: large array parameters
// (metric samples inserted with unnest) go through Prisma's query engine and its JSON argument encoding, here
// they are sent as they are. Also for the operation runner's per-operation statements (claim, status, log lines,
// the terminal write), where Prisma's per-statement CPU cost was most of the control plane's time. Read Prisma
// DateTime columns with `types: utcTimestamps`, and write them as `$n::timestamptz AT TIME ZONE 'UTC'` from an ISO
// string. Everything else goes through db().
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

/**
 * Type parsers for reading Prisma DateTime columns (`timestamp(3)` without time zone, holding UTC) through this pool:
 * pg's default reads them as local time. Pass as `types` in a query config.
 */
export const utcTimestamps: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.TIMESTAMP && format !== "binary"
      ? (value: string) => new Date(`${value.replace(" ", "T")}Z`)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** A connection of the pool, for a transaction (BEGIN ... COMMIT on it). */
export type PgClient = pg.PoolClient;

/** Closes the bulk pool (on shutdown, or in tests that end their process). */
export async function closePgPool(): Promise<void> {
  const pool = globalForPool.cpPgPool;
  globalForPool.cpPgPool = undefined;
  await pool?.end();
}
