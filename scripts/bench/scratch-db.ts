// A scratch database for a benchmark: dropped and created afresh, migrated with the real migrations, and made the
// process's DATABASE_URL and REDIS_URL before any package reads its configuration (import @cp/* after this).
/* eslint-disable no-restricted-properties -- a benchmark sets up its own environment before the code reads it */
import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";

const ADMIN_URL = process.env.CP_TEST_PG_ADMIN_URL ?? "postgresql://cp:cp@127.0.0.1:55432/postgres";

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export interface ScratchDatabase {
  url: string;
  /** Drops the database (close the process's connections to it first). */
  drop(): Promise<void>;
}

export async function useScratchDatabase(name: string, redisUrl: string): Promise<ScratchDatabase> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(path.join(root, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url.toString(), CHECKPOINT_DISABLE: "1" },
    stdio: "pipe",
  });
  Object.assign(process.env, {
    CP_MODE: process.env.CP_MODE ?? "development",
    DATABASE_URL: url.toString(),
    REDIS_URL: redisUrl,
    CP_LOG_LEVEL: "warn",
  });
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
