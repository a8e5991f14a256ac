// @prisma/adapter-pg with the four fixes OFFLINE.md records for running Prisma's JS schema engine offline.
// Used by the Prisma CLI (prisma.config.ts) and by the application's client alike.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

type PgResult = { fields?: { dataTypeID: number }[] };
type Patchable = {
  performIO: (query: unknown) => Promise<PgResult>;
  startTransaction: (...args: unknown[]) => Promise<unknown>;
  executeScript: (script: string) => Promise<void>;
  dispose: () => Promise<void>;
  client: pg.Pool | pg.PoolClient;
};

const NAME_OID = 19;
const CHAR_OID = 18;
const TEXT_OID = 25;

/** Fix 1: catalog columns of type `name` / `"char"` are reported as text (upstream prisma/orm#27403). */
function patchQueryable(q: Patchable): void {
  const perform = q.performIO.bind(q);
  q.performIO = async (query) => {
    const result = await perform(query);
    // A multi-statement script (a migration applied to the shadow database) answers with one result per statement.
    for (const r of Array.isArray(result) ? (result as PgResult[]) : [result]) {
      for (const field of r.fields ?? []) {
        if (field.dataTypeID === NAME_OID || field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
      }
    }
    return result;
  };
}

function patchAdapter<T>(adapter: T): T {
  const a = adapter as unknown as Patchable;
  patchQueryable(a);
  const start = a.startTransaction.bind(a);
  a.startTransaction = async (...args) => {
    const tx = await start(...args);
    patchQueryable(tx as Patchable);
    return tx;
  };
  // Fix 3: run a migration script as one simple-protocol query, so `$$` bodies and strings containing `;` survive.
  a.executeScript = async (script) => {
    await a.client.query(script);
  };
  return adapter;
}

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseDatabaseUrl(url: string): PgConnection {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")),
  };
}

export class FixedPrismaPg extends PrismaPg {
  private readonly connection: PgConnection;

  constructor(databaseUrl: string, poolOptions: Omit<pg.PoolConfig, "connectionString"> = {}) {
    const connection = parseDatabaseUrl(databaseUrl);
    super({ ...poolOptions, ...connection });
    this.connection = connection;
  }

  override async connect() {
    return patchAdapter(await super.connect());
  }

  override async connectToShadowDb() {
    const admin = await this.connect();
    const database = `prisma_shadow_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    // Fix 4: explicit fields, so the shadow pool really connects to the shadow database.
    const shadow = await new PrismaPg({ ...this.connection, database }).connect();
    const patched = patchAdapter(shadow) as unknown as Patchable;
    const dispose = patched.dispose.bind(patched);
    patched.dispose = async () => {
      // Fix 2: close the shadow pool before dropping its database.
      await dispose();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.dispose();
    };
    return shadow;
  }
}
