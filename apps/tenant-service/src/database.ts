// The tenant's own database: its schema (the `runs` table, migrated by release, and `tenant_schema`, the schema
// versions applied), writes from the API, real load for /admin/load, and its CPU time from MariaDB's per-user
// statistics (userstat=1; reading them needs the PROCESS privilege).
import {
  createConnection,
  createPool,
  type Connection,
  type Pool,
  type RowDataPacket,
  type ResultSetHeader,
} from "mysql2/promise";
import type { TenantConfig } from "./config";
import { SCHEMA_STEPS, targetSchemaVersion } from "./releases";

/** What a sustained load is doing; `running: false` once it ended (its last figures stay for /admin/load). */
export interface LoadStatus {
  running: boolean;
  concurrency: number;
  startedAt: string | null;
  /** When it stops by itself. */
  until: string | null;
  /** Queries finished so far. */
  queries: number;
  /** The last query error, if a connection failed. */
  lastError: string | null;
}

/**
 * Rounds of SHA2 per load query: about a tenth of a second of one core. MariaDB adds a statement's CPU time to
 * USER_STATISTICS when it ends, so short statements keep the counter (and the CPU metric read from it) smooth.
 */
const SUSTAINED_ROUNDS = 100_000;

export class TenantDatabase {
  readonly pool: Pool;
  /** The schema version this release applies (SCHEMA_STEPS): a newer database schema is left as it is. */
  readonly appliedSchemaVersion: number;
  private schema: Promise<void> | null = null;
  /** The database's schema version as last read (a newer release beside this one may raise it). */
  private lastSchemaVersion: number | null = null;
  private load: {
    status: LoadStatus;
    stop: () => void;
    done: Promise<void>;
  } | null = null;

  constructor(private readonly config: TenantConfig) {
    this.appliedSchemaVersion = targetSchemaVersion(config.VERSION);
    this.pool = createPool({
      host: config.DB_HOST,
      port: config.DB_PORT,
      user: config.DB_USER,
      password: config.DB_PASSWORD,
      database: config.DB_NAME,
      connectionLimit: config.DB_MAX_CONNECTIONS,
      maxIdle: Math.min(4, config.DB_MAX_CONNECTIONS),
      idleTimeout: 30_000,
      connectTimeout: 5_000,
      waitForConnections: true,
      queueLimit: 1_000,
    });
  }

  /**
   * Creates or migrates the schema up to this release's version. Idempotent and additive only: safe on every start,
   * and by old and new processes side by side during an upgrade or a rollback (an older release finds the newer
   * schema and keeps working on it).
   */
  ensureSchema(): Promise<void> {
    this.schema ??= this.migrate().catch((err: unknown) => {
      this.schema = null; // the next call tries again
      throw err;
    });
    return this.schema;
  }

  private async migrate(): Promise<void> {
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS runs (
         id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
         api_key_hash CHAR(16) NOT NULL,
         name VARCHAR(200) NOT NULL,
         payload TEXT NULL,
         created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
         KEY runs_created_at (created_at)
       ) ENGINE=InnoDB`,
    );
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS tenant_schema (
         schema_version INT UNSIGNED NOT NULL PRIMARY KEY,
         applied_by VARCHAR(64) NOT NULL,
         applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
       ) ENGINE=InnoDB`,
    );
    if (this.appliedSchemaVersion >= 2) {
      // Nullable, so older releases' inserts (which do not name it) keep working. MariaDB adds it in place.
      await this.pool.query("ALTER TABLE runs ADD COLUMN IF NOT EXISTS client_version VARCHAR(64) NULL");
    }
    for (const step of SCHEMA_STEPS) {
      if (step.schemaVersion > this.appliedSchemaVersion) continue;
      await this.pool.query("INSERT IGNORE INTO tenant_schema (schema_version, applied_by) VALUES (?, ?)", [
        step.schemaVersion,
        this.config.VERSION.slice(0, 64),
      ]);
    }
    await this.schemaVersion();
  }

  /** The database's schema version (the highest applied by any release); the last known one if it cannot be read. */
  async schemaVersion(): Promise<number | null> {
    try {
      const [rows] = await this.pool.query<RowDataPacket[]>(
        "SELECT MAX(schema_version) AS v FROM tenant_schema",
      );
      const v = rows[0]?.v;
      this.lastSchemaVersion = v === undefined || v === null ? null : Number(v);
    } catch {
      // Keep the last value: /version answers even while the database blinks.
    }
    return this.lastSchemaVersion;
  }

  /** The health check: the schema exists and the table answers. */
  async check(): Promise<void> {
    await this.ensureSchema();
    await this.pool.query("SELECT id FROM runs ORDER BY id DESC LIMIT 1");
  }

  async insertRun(apiKeyHash: string, name: string, payload: string | null): Promise<number> {
    await this.ensureSchema();
    const [result] =
      this.appliedSchemaVersion >= 2
        ? await this.pool.execute<ResultSetHeader>(
            "INSERT INTO runs (api_key_hash, name, payload, client_version) VALUES (?, ?, ?, ?)",
            [apiKeyHash, name, payload, this.config.VERSION.slice(0, 64)],
          )
        : await this.pool.execute<ResultSetHeader>(
            "INSERT INTO runs (api_key_hash, name, payload) VALUES (?, ?, ?)",
            [apiKeyHash, name, payload],
          );
    return result.insertId;
  }

  async countRuns(): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM runs");
    return Number(rows[0]?.n ?? 0);
  }

  /** Seconds of database CPU spent on this tenant's user, or null when the server keeps no statistics. */
  async cpuSeconds(): Promise<number | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT CPU_TIME AS cpu FROM information_schema.USER_STATISTICS WHERE USER = ?",
      [this.config.DB_USER],
    );
    const cpu = rows[0]?.cpu;
    return cpu === undefined || cpu === null ? null : Number(cpu);
  }

  /**
   * Runs `queries` real queries, `concurrency` at a time: each hashes rows' worth of data inside the server and
   * reads the `runs` table, so the user's CPU time rises measurably.
   */
  async runLoad(queries: number, concurrency: number): Promise<{ queries: number; ms: number }> {
    await this.ensureSchema();
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < queries) {
        const i = next++;
        await this.pool.query(
          "SELECT BENCHMARK(20000, SHA2(CONCAT(?, RAND()), 256)) AS b, (SELECT COUNT(*) FROM runs WHERE name <> ?) AS n",
          [`load-${i}`, `load-${i}`],
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queries) }, worker));
    return { queries, ms: Date.now() - started };
  }

  /**
   * Keeps `concurrency` database connections busy with CPU-heavy queries for `durationSeconds` (or until
   * stopLoad): the user's CPU time in USER_STATISTICS rises at about `concurrency` cores' worth, which drives the
   * control plane's database CPU metric and its alert. The connections are its own, not the pool's, so API
   * requests and the health check keep theirs. A load already running is replaced.
   */
  async startLoad(durationSeconds: number, concurrency: number): Promise<LoadStatus> {
    await this.stopLoad();
    const startedAt = Date.now();
    const until = startedAt + durationSeconds * 1000;
    let stopped = false;
    const connections: Connection[] = [];
    const status: LoadStatus = {
      running: true,
      concurrency,
      startedAt: new Date(startedAt).toISOString(),
      until: new Date(until).toISOString(),
      queries: 0,
      lastError: null,
    };
    const worker = async (n: number) => {
      let conn: Connection | null = null;
      try {
        conn = await createConnection({
          host: this.config.DB_HOST,
          port: this.config.DB_PORT,
          user: this.config.DB_USER,
          password: this.config.DB_PASSWORD,
          database: this.config.DB_NAME,
          connectTimeout: 5_000,
        });
        connections.push(conn);
        while (!stopped && Date.now() < until) {
          await conn.query("SELECT BENCHMARK(?, SHA2(CONCAT(?, RAND()), 256)) AS b", [
            SUSTAINED_ROUNDS,
            `load-${n}`,
          ]);
          status.queries += 1;
        }
      } catch (err) {
        if (!stopped) status.lastError = err instanceof Error ? err.message : String(err);
      } finally {
        await conn?.end().catch(() => conn?.destroy());
      }
    };
    const done = Promise.all(Array.from({ length: concurrency }, (_, n) => worker(n))).then(() => {
      status.running = false;
    });
    this.load = {
      status,
      done,
      stop: () => {
        stopped = true;
        // A query in flight would finish its rounds first: end the connections so the load stops now.
        for (const c of connections) c.destroy();
      },
    };
    return { ...status };
  }

  /** Stops a running load; true when one was running. */
  async stopLoad(): Promise<boolean> {
    const load = this.load;
    if (!load?.status.running) return false;
    load.stop();
    await load.done;
    return true;
  }

  loadStatus(): LoadStatus {
    return this.load
      ? { ...this.load.status }
      : { running: false, concurrency: 0, startedAt: null, until: null, queries: 0, lastError: null };
  }

  async close(): Promise<void> {
    await this.stopLoad();
    await this.pool.end();
  }
}
