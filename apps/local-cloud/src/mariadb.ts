// Tenant databases and users in the local MySQL-compatible server (MariaDB), through the `cloud` admin account.
import { createPool, type Pool, type RowDataPacket } from "mysql2/promise";

export interface DatabaseServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Host part of tenant accounts: tenant services connect over TCP from this machine (skip-name-resolve). */
const TENANT_HOST = "127.0.0.1";

export const quoteIdent = (name: string) => `\`${name.replace(/`/g, "``")}\``;
/** In GRANT, "_" and "%" are wildcards: escape them so a grant names exactly one database. */
const grantDb = (name: string) => quoteIdent(name.replace(/([_%])/g, "\\$1"));

export class TenantDatabases {
  private readonly pool: Pool;

  constructor(readonly server: DatabaseServer) {
    this.pool = createPool({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      // Reconciles, and backups: a lock session, table checksums and watching the dump's session.
      connectionLimit: 8,
      connectTimeout: 5_000,
      multipleStatements: false,
    });
  }

  /** The admin pool, for backups (table locks, checksums); never handed to anything a tenant controls. */
  get admin(): Pool {
    return this.pool;
  }

  get endpoint(): string {
    return `${this.server.host}:${this.server.port}`;
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  /**
   * Creates the database and its user, or brings them in line (password, connection limit, grants). Idempotent.
   * The user may hold twice `maxConnections`: during an upgrade the old and the new process run side by side.
   */
  async ensure(t: {
    database: string;
    user: string;
    password: string;
    maxConnections: number;
  }): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(t.database)} CHARACTER SET utf8mb4`);
      await conn.query("CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?", [t.user, TENANT_HOST, t.password]);
      await conn.query(
        `ALTER USER ?@? IDENTIFIED BY ? WITH MAX_USER_CONNECTIONS ${Math.floor(t.maxConnections * 2)}`,
        [t.user, TENANT_HOST, t.password],
      );
      await conn.query(`GRANT ALL PRIVILEGES ON ${grantDb(t.database)}.* TO ?@?`, [t.user, TENANT_HOST]);
      // Reading its own row of information_schema.USER_STATISTICS (database CPU time) needs PROCESS.
      await conn.query("GRANT PROCESS ON *.* TO ?@?", [t.user, TENANT_HOST]);
    } finally {
      conn.release();
    }
  }

  /** Drops the database and the user. Idempotent. */
  async drop(t: { database: string; user: string }): Promise<void> {
    await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(t.database)}`);
    await this.pool.query("DROP USER IF EXISTS ?@?", [t.user, TENANT_HOST]);
  }

  /** The server's version, e.g. `10.11.19-MariaDB-0+deb12u1`. */
  async version(): Promise<string> {
    const [rows] = await this.pool.query<RowDataPacket[]>("SELECT VERSION() AS v");
    return String(rows[0]?.v ?? "unknown");
  }

  /**
   * Drops the database with everything in it (tables, views, routines, triggers, events) and creates it empty. The
   * tenant user's grants name the database, not its objects, so they stay.
   */
  async recreate(database: string): Promise<void> {
    await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
    await this.pool.query(`CREATE DATABASE ${quoteIdent(database)} CHARACTER SET utf8mb4`);
  }

  /** A database of the daemon's own (a verification's scratch copy); the account may create `t\_%` only. */
  async createDatabase(database: string): Promise<void> {
    await this.pool.query(`CREATE DATABASE ${quoteIdent(database)} CHARACTER SET utf8mb4`);
  }

  async dropDatabase(database: string): Promise<void> {
    await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
  }

  async exists(t: { database: string; user: string }): Promise<{ database: boolean; user: boolean }> {
    const [dbs] = await this.pool.query<RowDataPacket[]>(
      "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
      [t.database],
    );
    const [users] = await this.pool.query<RowDataPacket[]>(
      "SELECT User FROM mysql.global_priv WHERE User = ? AND Host = ?",
      [t.user, TENANT_HOST],
    );
    return { database: dbs.length > 0, user: users.length > 0 };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
