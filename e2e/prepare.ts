// Fresh e2e database: drop, create, migrate with the real migrations, seed the demo data.
import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { appEnv, databaseUrl, E2E } from "./env";

async function main() {
  const admin = new pg.Client({ connectionString: E2E.pgAdminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${E2E.databaseName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${E2E.databaseName}"`);
  await admin.end();
  const root = path.resolve(import.meta.dirname, "..");
  // eslint-disable-next-line no-restricted-properties -- the harness passes its environment to child processes
  const env = { ...process.env, ...appEnv(), CHECKPOINT_DISABLE: "1" };
  execFileSync(path.join(root, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: root,
    env,
    stdio: "pipe",
  });
  execFileSync(path.join(root, "node_modules/.bin/tsx"), ["scripts/seed.ts", "--quiet"], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  const { Redis } = await import("ioredis");
  const redis = new Redis(E2E.redisUrl);
  await redis.flushdb();
  await redis.quit();
  console.log(`e2e database ready: ${databaseUrl().replace(/:[^:@]*@/, ":***@")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
