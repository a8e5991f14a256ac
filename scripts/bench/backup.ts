// Benchmark (not a test): the local cloud's backup and restore against the server's bare tools, on one instance.
// Times a bare `mariadb-dump > file` and a bare `mariadb < file` into a scratch database, then the local driver's
// backup (dump compressed with zstd and streamed to the backup bucket with SHA-256, digests, manifests) and restore
// (download, check, decompress, replace, restart, health), and prints MB/s of the uncompressed dump, the ratios (goal:
// ours >= 0.8 of bare) and the stored (compressed) size.
// Needs `bash scripts/services.sh up` (MariaDB, s3rver, the local cloud daemon at CP_LOCAL_CLOUD_URL).
// Usage: npx tsx scripts/bench/backup.ts [--mb 200] [--rounds 2] [--keep]   (--mb 20 for a quick run)
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEMO_DEFAULTS, env } from "@cp/config";
import { localCloudEnv } from "@cp/config/local-cloud";
import { DEFAULT_RATE_LIMITS } from "@cp/core";
import { localSpec } from "@cp/engine/testing";
import { LocalEngine, type BackupArtifact, type EngineHooks, type InstanceRef } from "@cp/engine";
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { createConnection, type Connection } from "mysql2/promise";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TARGET_MB = arg("mb", 200);
const ROUNDS = arg("rounds", 2);
const KEEP = process.argv.includes("--keep");

/** CP_LOCAL_CLOUD_URL when the environment is valid, else the development default. */
function daemonUrl(): string {
  try {
    return env().CP_LOCAL_CLOUD_URL ?? DEMO_DEFAULTS.CP_LOCAL_CLOUD_URL;
  } catch {
    return DEMO_DEFAULTS.CP_LOCAL_CLOUD_URL;
  }
}

const run = randomBytes(3).toString("hex");
const SLUG = `bench-bk-${run}`;
const ref: InstanceRef = { instanceId: `bench-${run}`, slug: SLUG, cloud: "local", region: "local" };
const spec = localSpec(SLUG, {
  instanceId: ref.instanceId,
  orgSlug: "bench",
  reliability: { externalRedis: false, rateLimits: { ...DEFAULT_RATE_LIMITS } },
});
const quiet: EngineHooks = {
  log: () => undefined,
  progress: () => undefined,
  signal: new AbortController().signal,
};
const MB = 1024 * 1024;
const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

/**
 * A few tables of the shapes tenants have, filled with server-side bulk inserts. Bytes are what each row takes in
 * the dump (measured), so the dump comes out near the target size.
 */
const TABLES = [
  {
    name: "events",
    share: 0.45,
    dumpBytesPerRow: 137,
    ddl: "CREATE TABLE events (id BIGINT PRIMARY KEY, user_id INT NOT NULL, kind VARCHAR(20) NOT NULL, payload TEXT NOT NULL, created DATETIME NOT NULL, KEY events_user (user_id))",
    fill: (from: number, to: number) =>
      `INSERT INTO events SELECT seq, seq MOD 50000, ELT(1 + seq MOD 4, 'login', 'upload', 'run', 'logout'), CONCAT('{"run":', seq, ',"note":"', REPEAT(MD5(seq), 3), '"}'), '2025-01-01' + INTERVAL seq SECOND FROM seq_${from}_to_${to}`,
  },
  {
    name: "artifacts",
    share: 0.35,
    dumpBytesPerRow: 380,
    ddl: "CREATE TABLE artifacts (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, data BLOB NOT NULL)",
    fill: (from: number, to: number) =>
      `INSERT INTO artifacts SELECT seq, CONCAT('artifact-', seq), UNHEX(REPEAT(SHA2(seq, 256), 4)) FROM seq_${from}_to_${to}`,
  },
  {
    name: "metrics",
    share: 0.2,
    dumpBytesPerRow: 54,
    ddl: "CREATE TABLE metrics (id BIGINT PRIMARY KEY, ts BIGINT NOT NULL, value DOUBLE NOT NULL, label VARCHAR(40) NOT NULL)",
    fill: (from: number, to: number) =>
      `INSERT INTO metrics SELECT seq, 1700000000000 + seq * 1000, seq * 0.37, CONCAT('host-', seq MOD 100, '/cpu') FROM seq_${from}_to_${to}`,
  },
];

async function fill(conn: Connection): Promise<void> {
  const chunk = 200_000;
  for (const t of TABLES) {
    await conn.query(t.ddl);
    const rows = Math.ceil((TARGET_MB * MB * t.share) / t.dumpBytesPerRow);
    for (let from = 1; from <= rows; from += chunk) {
      await conn.query(t.fill(from, Math.min(rows, from + chunk - 1)));
    }
  }
}

const optionFileText = (m: { host: string; port: number; user: string; password: string }) =>
  `[client]\nhost=${m.host}\nport=${m.port}\nuser=${m.user}\npassword="${m.password}"\nprotocol=tcp\n`;

/**
 * Runs a client tool as the daemon's admin account (credentials in a 0600 option file, as the daemon does), stdin and
 * stdout from/to files. Returns the wall time.
 */
async function timeTool(
  dir: string,
  tool: "mariadb-dump" | "mariadb",
  args: string[],
  io: { stdin?: string; stdout?: string },
): Promise<number> {
  const { mysql } = localCloudEnv();
  const optionFile = path.join(dir, "client.cnf");
  await writeFile(optionFile, optionFileText(mysql), { mode: 0o600 });
  const stdin = io.stdin ? openSync(io.stdin, "r") : "ignore";
  const stdout = io.stdout ? openSync(io.stdout, "w", 0o600) : "ignore";
  try {
    const started = performance.now();
    const child = spawn(tool, [`--defaults-file=${optionFile}`, ...args], { stdio: [stdin, stdout, "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new Error(`${tool} exited with code ${code}: ${stderr.trim()}`);
    return performance.now() - started;
  } finally {
    if (typeof stdin === "number") closeSync(stdin);
    if (typeof stdout === "number") closeSync(stdout);
    await rm(optionFile, { force: true });
  }
}

/** `mariadb-dump | upload` with nothing else: the floor for a dump into this object store. */
async function timeDumpToStore(dir: string, s3: S3Client, bucket: string, key: string, args: string[]) {
  const { mysql } = localCloudEnv();
  const optionFile = path.join(dir, "client.cnf");
  await writeFile(optionFile, optionFileText(mysql), { mode: 0o600 });
  try {
    const started = performance.now();
    const child = spawn("mariadb-dump", [`--defaults-file=${optionFile}`, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: child.stdout },
      partSize: 16 * MB,
      queueSize: 4,
    });
    await Promise.all([upload.done(), new Promise((resolve) => child.once("close", resolve))]);
    return performance.now() - started;
  } finally {
    await rm(optionFile, { force: true });
  }
}

const best = (xs: number[]) => Math.min(...xs);

async function main() {
  const engine = new LocalEngine({ baseUrl: daemonUrl() });
  const ready = await engine.available();
  if (!ready.ok) throw new Error(`${ready.reason}: start it with "bash scripts/services.sh up"`);
  const config = localCloudEnv();
  const dir = await mkdtemp(path.join(tmpdir(), "cp-bench-backup-"));
  const file = path.join(dir, "bare.sql");
  const scratch = `t__bench_${run}`;
  const artifacts: BackupArtifact[] = [];
  const admin = await createConnection({ ...config.mysql });
  const s3 = new S3Client({
    endpoint: config.s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const bareKey = `bench-${run}/bare.sql`;
  try {
    console.log(`Creating instance ${SLUG} on the local cloud at ${daemonUrl()} ...`);
    const outputs = await engine.apply(spec, quiet);
    const db = outputs.databaseName;
    console.log(`Filling ${db} to ~${TARGET_MB} MB of dump ...`);
    const t0 = performance.now();
    await admin.query(`USE \`${db}\``);
    await fill(admin);
    console.log(`  filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Bare tools with the options the daemon uses; each measurement taken ROUNDS times, interleaved (this machine is
    // shared: the best of each stands for what the work costs, the spread for the noise).
    const dumpArgs = [
      "--single-transaction",
      "--routines",
      "--triggers",
      "--hex-blob",
      "--max-allowed-packet=1G",
    ];
    const t = { bareDump: [] as number[], bareDumpS3: [] as number[], backup: [] as number[] };
    const u = { bareRestore: [] as number[], restore: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`Round ${round} of ${ROUNDS} ...`);
      t.bareDump.push(await timeTool(dir, "mariadb-dump", [...dumpArgs, db], { stdout: file }));
      t.bareDumpS3.push(await timeDumpToStore(dir, s3, config.backupBucket, bareKey, [...dumpArgs, db]));
      let started = performance.now();
      const artifact = await engine.backup(ref, { backupId: `bench-${run}-${round}` }, quiet);
      t.backup.push(performance.now() - started);
      artifacts.push(artifact);
      await admin.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
      await admin.query(`CREATE DATABASE \`${scratch}\``);
      u.bareRestore.push(
        await timeTool(dir, "mariadb", ["--max-allowed-packet=1G", scratch], { stdin: file }),
      );
      started = performance.now();
      await engine.restore(ref, artifact, { requestId: `bench-r-${run}-${round}`, source: ref }, quiet);
      u.restore.push(performance.now() - started);
    }
    const artifact = artifacts.at(-1)!;
    const started = performance.now();
    const report = await engine.verifyBackup(ref, artifact, { requestId: `bench-v-${run}` }, quiet);
    const verifyMs = performance.now() - started;

    const bytes = statSync(file).size;
    const line = (what: string, ms: number[]) =>
      console.log(
        `  ${what.padEnd(52)} ${(best(ms) / 1000).toFixed(2).padStart(6)} s ${mbps(bytes, best(ms)).toFixed(1).padStart(6)} MB/s` +
          `   (all: ${ms.map((x) => (x / 1000).toFixed(2)).join(", ")} s)`,
      );
    const dumpBytes = Number(artifact.details.dumpBytes ?? artifact.sizeBytes);
    const compression = String(artifact.details.compression ?? "none");
    console.log(
      `\nDump: ${(bytes / MB).toFixed(1)} MiB (backup's dump: ${(dumpBytes / MB).toFixed(1)} MiB, stored ${compression}: ` +
        `${(artifact.sizeBytes / MB).toFixed(1)} MiB, ${(dumpBytes / artifact.sizeBytes).toFixed(2)}:1); MB/s of the dump, best of ${ROUNDS}:`,
    );
    line("bare mariadb-dump > file", t.bareDump);
    line("bare mariadb-dump | S3 upload (no hash, no digests)", t.bareDumpS3);
    line("driver backup (lock, digests, dump, zstd, SHA-256, upload)", t.backup);
    line("bare mariadb < file (empty scratch database)", u.bareRestore);
    line("driver restore (download, check, unzstd, replace, restart)", u.restore);
    line(`driver verify (ok: ${report.ok})`, [verifyMs]);
    const ratio = (ours: number[], bare: number[]) => (best(bare) / best(ours)).toFixed(2);
    console.log(`\n  backup  / bare dump to file:   ${ratio(t.backup, t.bareDump)} (goal >= 0.80)`);
    console.log(`  backup  / bare dump to S3:     ${ratio(t.backup, t.bareDumpS3)}`);
    console.log(`  restore / bare restore:        ${ratio(u.restore, u.bareRestore)} (goal >= 0.80)`);
    console.log(
      `  stored / dump:                 ${(artifact.sizeBytes / dumpBytes).toFixed(3)} (${compression}; ` +
        `${(dumpBytes / artifact.sizeBytes).toFixed(2)}:1, ${(artifact.sizeBytes / MB).toFixed(1)} of ${(dumpBytes / MB).toFixed(1)} MiB)`,
    );
    console.log(
      `  writes waited ${artifact.details.writesBlockedMs} ms in the last backup (lock released ${artifact.details.lockReleased})`,
    );
  } finally {
    if (!KEEP) {
      console.log("\nCleaning up ...");
      await admin.query(`DROP DATABASE IF EXISTS \`${scratch}\``).catch(() => undefined);
      await s3
        .send(new DeleteObjectCommand({ Bucket: config.backupBucket, Key: bareKey }))
        .catch(() => undefined);
      for (const a of artifacts) await engine.deleteBackup(ref, a).catch((e: unknown) => console.error(e));
      await engine.destroy(ref, quiet).catch((e: unknown) => console.error(e));
    }
    s3.destroy();
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
