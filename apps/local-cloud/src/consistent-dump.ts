// A consistent dump of one tenant database, streamed into the backup bucket, with every table's row count and
// CHECKSUM TABLE at the dump's point in time (what a verification compares against).
//
// How the digests and the dump see the same data: an admin session takes `LOCK TABLES ... READ` on the tenant's tables.
// While it holds the lock, writes to them wait (reads continue) and no transaction holds uncommitted changes to them
// (LOCK TABLES waits for those to finish). Under the lock, two admin sessions open consistent snapshots (START
// TRANSACTION WITH CONSISTENT SNAPSHOT) and mariadb-dump opens its own (`--single-transaction`): all of them see
// exactly the locked state. The lock is released as soon as the dump's snapshot is open (its session is found in the
// server's process list, by the local port of its connection, once it has selected the database, which mariadb-dump
// does only after opening its snapshot): writes wait some tens of milliseconds, whatever the size of the database. The
// counts and checksums are then computed in the admin snapshots (CHECKSUM TABLE reads the snapshot, as COUNT(*) does)
// while the dump runs.
// Two cases hold the lock longer, until both the dump and the digests are done: tables that are not transactional
// (MyISAM, Aria: no snapshot covers them), and no /proc to find the dump's session by. Writes wait longer; the backup is
// just as consistent.
import type { Pool, PoolConnection, RowDataPacket } from "mysql2/promise";
import type { TableDigest } from "./backup-layout";
import { HashCounter } from "./dump-streams";
import { clientFailure, spawnClient, withOptionFile, type ClientAccount } from "./mariadb-client";
import { quoteIdent as q } from "./mariadb";
import type { ObjectStore } from "./object-store";
import { localPortsTo } from "./proc-net";
import type { TaskContext } from "./tasks";
import { COMPRESS_ARGS, inputBytes, spawnZstd, zstdFailure } from "./zstd";

/** How long the backup waits for its table lock before giving up (a long transaction holds the tables). */
const LOCK_WAIT_SECONDS = 60;
/** CHECKSUM TABLE runs this many tables at a time (each a full scan). */
const DIGEST_CONCURRENCY = 2;

export interface DumpOutcome {
  /** Of the stored (zstd-compressed) object. */
  sha256: string;
  /** The stored (compressed) size. */
  bytes: number;
  /** The dump's size before compression (null if zstd did not say). */
  dumpBytes: number | null;
  tables: TableDigest[];
  /** From LOCK TABLES to UNLOCK TABLES: how long the tenant's writes waited. */
  writesBlockedMs: number;
  /** Whether the lock could be released early (the dump's snapshot was seen), rather than at the dump's end. */
  releasedEarly: boolean;
  /** From the lock to the stored object. */
  durationMs: number;
}

interface TableInfo {
  name: string;
  /** InnoDB: covered by a consistent snapshot. */
  transactional: boolean;
}

type Queryable = Pool | PoolConnection;

async function baseTables(conn: Queryable, database: string): Promise<TableInfo[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  );
  return rows.map((r) => ({
    name: String(r.name),
    transactional: String(r.engine).toLowerCase() === "innodb",
  }));
}

interface TableLock {
  tables: TableInfo[];
  release(): Promise<void>;
}

/** LOCK TABLES ... READ on every base table of `database`, in a session of its own. */
async function lockTables(pool: Pool, database: string): Promise<TableLock> {
  const conn = await pool.getConnection();
  try {
    await conn.query(`SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
    for (let attempt = 1; ; attempt++) {
      const tables = await baseTables(conn, database);
      if (!tables.length) {
        conn.release();
        return { tables, release: async () => undefined };
      }
      try {
        await conn.query(`LOCK TABLES ${tables.map((t) => `${q(database)}.${q(t.name)} READ`).join(", ")}`);
      } catch (err) {
        if ((err as { code?: string }).code === "ER_LOCK_WAIT_TIMEOUT") {
          throw new Error(
            `could not lock the tables of ${database} within ${LOCK_WAIT_SECONDS} s: a long transaction or lock holds them; try again later`,
          );
        }
        throw err;
      }
      // A table created or dropped between the listing and the lock: list again under the lock.
      const locked = await baseTables(conn, database);
      if (locked.map((t) => t.name).join("\n") === tables.map((t) => t.name).join("\n")) {
        let released = false;
        return {
          tables,
          release: async () => {
            if (released) return;
            released = true;
            try {
              await conn.query("UNLOCK TABLES");
              conn.release();
            } catch {
              conn.destroy();
            }
          },
        };
      }
      await conn.query("UNLOCK TABLES");
      if (attempt >= 3) {
        throw new Error(
          `the tables of ${database} kept changing (created or dropped during the backup); try again`,
        );
      }
    }
  } catch (err) {
    conn.destroy();
    throw err;
  }
}

/** Sessions in a consistent snapshot each (opened under the lock: they all see the locked state). */
async function openSnapshots(pool: Pool, n: number): Promise<PoolConnection[]> {
  const sessions: PoolConnection[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const conn = await pool.getConnection();
      sessions.push(conn);
      await conn.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
    }
    return sessions;
  } catch (err) {
    for (const s of sessions) s.destroy();
    throw err;
  }
}

async function closeSnapshots(sessions: PoolConnection[]): Promise<void> {
  for (const s of sessions) {
    try {
      await s.query("COMMIT");
      s.release();
    } catch {
      s.destroy();
    }
  }
}

/** Row count and CHECKSUM TABLE of each table, spread over `sessions` (one query at a time on each). */
export async function tableDigests(
  sessions: Queryable[],
  database: string,
  tables: string[],
): Promise<TableDigest[]> {
  const out: TableDigest[] = new Array<TableDigest>(tables.length);
  let next = 0;
  const worker = async (session: Queryable) => {
    while (next < tables.length) {
      const i = next++;
      const name = tables[i]!;
      const target = `${q(database)}.${q(name)}`;
      const [count] = await session.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${target}`);
      const [sum] = await session.query<RowDataPacket[]>(`CHECKSUM TABLE ${target}`);
      out[i] = { name, rows: Number(count[0]?.n ?? 0), checksum: String(sum[0]?.Checksum ?? "null") };
    }
  };
  await Promise.all(sessions.slice(0, Math.max(1, tables.length)).map(worker));
  return out;
}

/** Every base table's digest (no lock: for a database nothing else writes, e.g. a verification's scratch copy). */
export async function databaseDigests(pool: Pool, database: string): Promise<TableDigest[]> {
  const tables = await baseTables(pool, database);
  return tableDigests(
    Array.from({ length: DIGEST_CONCURRENCY }, () => pool),
    database,
    tables.map((t) => t.name),
  );
}

/**
 * Resolves true once mariadb-dump (`pid`) has selected `database`, i.e. its snapshot is open; false if it ends
 * first or its session cannot be found.
 */
async function dumpSnapshotTaken(
  pool: Pool,
  pid: number | undefined,
  server: { port: number },
  user: string,
  database: string,
  ended: Promise<unknown>,
): Promise<boolean> {
  let done = false;
  void ended.finally(() => (done = true));
  while (!done && pid) {
    for (const port of await localPortsTo(pid, server.port)) {
      const [rows] = await pool.query<RowDataPacket[]>(
        "SELECT DB AS db FROM information_schema.PROCESSLIST WHERE USER = ? AND HOST LIKE ?",
        [user, `%:${port}`],
      );
      if (rows.some((r) => r.db === database)) return true;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

export interface DumpRequest {
  /** The daemon's admin pool (locks, digests, process list). */
  admin: Pool;
  server: { host: string; port: number };
  /** The account mariadb-dump runs as: the tenant's own, which owns (and so may show) its routines and views. */
  account: { user: string; password: string };
  database: string;
  store: ObjectStore;
  key: string;
  ctx: TaskContext;
}

/** Dumps `database`, compressed with zstd, into `store` at `key`; the object exists only if everything succeeded. */
export async function dumpDatabase(req: DumpRequest): Promise<DumpOutcome> {
  const { admin, database, ctx } = req;
  ctx.step("lock");
  const lock = await lockTables(admin, database);
  const lockedAt = Date.now();
  let unlockedAt: number | null = null;
  const unlock = async () => {
    if (unlockedAt !== null) return;
    unlockedAt = Date.now();
    await lock.release();
  };
  let snapshots: PoolConnection[] = [];
  const account: ClientAccount = { host: req.server.host, port: req.server.port, ...req.account };
  try {
    const names = lock.tables.map((t) => t.name);
    const transactional = lock.tables.every((t) => t.transactional);
    if (names.length) snapshots = await openSnapshots(admin, Math.min(DIGEST_CONCURRENCY, names.length));
    return await withOptionFile(account, async (optionFile) => {
      ctx.step("dump");
      const dump = spawnClient(
        "mariadb-dump",
        optionFile,
        [
          "--single-transaction",
          "--routines",
          "--triggers",
          "--hex-blob",
          "--max-allowed-packet=1G",
          database,
        ],
        { stdin: "ignore", stdoutBuffer: "1M" },
      );
      const dumped = dump.exited.then((r) => {
        if (r.code !== 0) throw new Error(clientFailure("mariadb-dump", r));
      });
      dumped.catch(() => undefined);
      // mariadb-dump | zstd through a pipe of their own (the uncompressed dump never passes through the daemon); the
      // compressed output is hashed and uploaded.
      const zstd = spawnZstd(COMPRESS_ARGS, dump.child.stdout!);
      // zstd holds the pipe now: the daemon's end is closed, so only zstd reads it.
      dump.child.stdout!.destroy();
      const compressed = zstd.exited.then((r) => {
        if (r.code !== 0) throw new Error(zstdFailure("zstd", r));
        return inputBytes(r.stderr);
      });
      compressed.catch(() => undefined);
      // The upload ends cleanly only after mariadb-dump and zstd exited with 0; otherwise it is aborted.
      const counter = new HashCounter({
        onBytes: (n) => ctx.bytes(n),
        beforeEnd: () => Promise.all([dumped, compressed]).then(() => undefined),
      });
      zstd.child.stdout!.pipe(counter);

      let failure: unknown = null;
      const fail = (err: unknown) => {
        failure ??= err;
        dump.child.kill("SIGTERM");
        zstd.child.kill("SIGTERM");
      };
      const snapshot = dumpSnapshotTaken(
        admin,
        dump.child.pid,
        req.server,
        req.account.user,
        database,
        dump.exited,
      );
      // The admin snapshots were opened under the lock: the digests need it no longer, unless a table has no snapshot.
      const digests = tableDigests(snapshots.length ? snapshots : [admin], database, names);
      const released = (transactional ? snapshot : Promise.all([digests, dump.exited])).then(unlock);
      const uploaded = req.store.upload(req.key, counter, { contentType: "application/zstd" });
      digests.catch(fail);
      uploaded.catch(fail);
      released.catch(fail);
      const [d, , s] = await Promise.allSettled([digests, uploaded, snapshot, released]);
      await unlock();
      await dump.exited;
      await zstd.exited;
      // The tools' own errors say most (the upload's is then only "the stream failed"). zstd's first: when it fails,
      // mariadb-dump only fails to write into the closed pipe.
      const [dumpResult, zstdResult] = await Promise.allSettled([dumped, compressed]);
      if (zstdResult.status === "rejected" && !(failure && zstd.child.killed)) throw zstdResult.reason;
      if (dumpResult.status === "rejected" && !(failure && dump.child.killed)) throw dumpResult.reason;
      if (failure) throw failure;
      if (d.status === "rejected") throw d.reason;
      return {
        sha256: counter.digest(),
        bytes: counter.bytes,
        dumpBytes: zstdResult.status === "fulfilled" ? zstdResult.value : null,
        tables: d.value,
        writesBlockedMs: (unlockedAt ?? Date.now()) - lockedAt,
        releasedEarly: transactional && s.status === "fulfilled" && s.value,
        durationMs: Date.now() - lockedAt,
      };
    });
  } finally {
    await unlock();
    await closeSnapshots(snapshots);
  }
}
