// Backups end to end through the local driver: apply an instance, write rows as its service would, back up, change
// and delete rows, restore, read the original rows back; then clone the backup into a second instance. Runs a private
// daemon (its own backup bucket) against the MariaDB and s3rver of scripts/services.sh.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  DeleteBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { localCloudEnv } from "@cp/config/local-cloud";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError, type BackupArtifact } from "../types";
import { LocalEngine } from "./local-engine";
import { localRef, localSpec, recorder } from "./testing/fixtures";
import { randomPortRange, startDaemon, type TestDaemon } from "./testing/local-cloud-daemon";

const run = randomBytes(3).toString("hex");
const SOURCE = `bk-${run}-src`;
const CLONE = `bk-${run}-clone`;
const BACKUP_BUCKET = `cp-backups-eng-${run}`;
const shared = localCloudEnv();

const spec = localSpec;
const ref = localRef;

const s3 = new S3Client({
  endpoint: shared.s3.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: shared.s3.accessKeyId, secretAccessKey: shared.s3.secretAccessKey },
});

/** The instance's database as the cloud's admin account sees it (the test's independent view). */
async function query(databaseName: string, sql: string, values?: unknown[]): Promise<RowDataPacket[]> {
  const conn = await createConnection({ ...shared.mysql, database: databaseName });
  try {
    return (await conn.query<RowDataPacket[]>(sql, values))[0];
  } finally {
    await conn.end();
  }
}

async function keys(bucket: string, prefix?: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

let dataDir: string;
let daemon: TestDaemon;
let engine: LocalEngine;
let sourceDb: string;
let cloneDb: string;
let original: RowDataPacket[];
let artifact: BackupArtifact;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "local-cloud-bk-"));
  daemon = await startDaemon({
    dataDir,
    publicPorts: randomPortRange(),
    env: { CP_LOCAL_CLOUD_BACKUP_BUCKET: BACKUP_BUCKET },
  });
  engine = new LocalEngine({
    baseUrl: daemon.url,
    pollIntervalMs: 100,
    timeoutMs: 60_000,
    healthTimeoutMs: 30_000,
  });
  const [source, clone] = await Promise.all([
    engine.apply(spec(SOURCE), recorder().hooks),
    engine.apply(spec(CLONE), recorder().hooks),
  ]);
  sourceDb = source.databaseName;
  cloneDb = clone.databaseName;
  await query(
    sourceDb,
    "CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(50) NOT NULL, balance DECIMAL(12,2) NOT NULL, photo BLOB NULL)",
  );
  const values = Array.from({ length: 500 }, (_, i) => [
    i + 1,
    `owner-${i + 1}`,
    (i * 37) % 1000,
    randomBytes(16),
  ]);
  await query(sourceDb, "INSERT INTO accounts VALUES ?", [values]);
  original = await query(sourceDb, "SELECT * FROM accounts ORDER BY id");
  for (const key of ["avatars/1.png", "avatars/2.png"]) {
    await s3.send(new PutObjectCommand({ Bucket: source.bucket, Key: key, Body: `bytes of ${key}` }));
  }
}, 120_000);

afterAll(async () => {
  if (daemon) {
    for (const slug of [SOURCE, CLONE])
      await engine.destroy(ref(slug), recorder().hooks).catch(() => undefined);
    if (artifact) await engine.deleteBackup(ref(SOURCE), artifact).catch(() => undefined);
    await daemon.stop();
  }
  await s3.send(new DeleteBucketCommand({ Bucket: BACKUP_BUCKET })).catch(() => undefined);
  s3.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("LocalEngine backups", () => {
  it("backs up: reports its steps and returns an artifact with every table's rows and checksum", async () => {
    const r = recorder();
    artifact = await engine.backup(ref(SOURCE), { backupId: `b-${run}` }, r.hooks);
    expect(artifact).toMatchObject({
      driver: "local",
      location: `s3://${BACKUP_BUCKET}/${SOURCE}/b-${run}/`,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      bucketManifest: { objects: 2, bytes: 44 },
      details: { mysqlVersion: expect.stringMatching(/MariaDB/), compression: "zstd" },
    });
    // sizeBytes is what is stored (compressed); the dump's own size is in the details.
    expect(artifact.sizeBytes).toBeGreaterThan(1_000);
    expect(Number(artifact.details.dumpBytes)).toBeGreaterThan(artifact.sizeBytes);
    expect(artifact.tables).toContainEqual({
      name: "accounts",
      rows: 500,
      checksum: expect.stringMatching(/^\d+$/),
    });
    const [sum] = await query(sourceDb, "CHECKSUM TABLE accounts");
    expect(artifact.tables?.find((t) => t.name === "accounts")?.checksum).toBe(String(sum!.Checksum));
    expect(r.steps).toEqual(expect.arrayContaining(["dump", "upload"]));
    expect(r.logs.join("\n")).toMatch(/Backup stored at s3:\/\//);

    // The same backup id again is the same backup, not a second one.
    const again = await engine.backup(ref(SOURCE), { backupId: `b-${run}` }, recorder().hooks);
    expect(again).toEqual(artifact);
  });

  it("verifies the backup", async () => {
    const r = recorder();
    const report = await engine.verifyBackup(ref(SOURCE), artifact, { requestId: `v-${run}` }, r.hooks);
    expect(report).toMatchObject({ ok: true, problems: [], checked: { tables: artifact.tables!.length } });
    expect(report.checked.rows).toBeGreaterThanOrEqual(500);
    expect(r.steps).toEqual(expect.arrayContaining(["verify", "compare"]));
  });

  it("restores: changed and deleted rows come back as they were, and the instance serves again", async () => {
    await query(sourceDb, "UPDATE accounts SET balance = 0, owner = 'mallory' WHERE id <= 50");
    await query(sourceDb, "DELETE FROM accounts WHERE id > 400");
    await query(sourceDb, "INSERT INTO accounts VALUES (9999, 'late', 1, NULL)");
    const r = recorder();
    await engine.restore(ref(SOURCE), artifact, { requestId: `r-${run}`, source: ref(SOURCE) }, r.hooks);
    expect(await query(sourceDb, "SELECT * FROM accounts ORDER BY id")).toEqual(original);
    expect(r.steps).toEqual(["download", "restore", "start", "health"]);
    const outputs = await engine.outputs(ref(SOURCE));
    expect((await fetch(`${outputs!.url}/healthz`)).status).toBe(200);
  });

  it("clones: the backup restored into another instance holds the same rows and bucket objects", async () => {
    const r = recorder();
    await engine.restore(ref(CLONE), artifact, { requestId: `c-${run}`, source: ref(SOURCE) }, r.hooks);
    expect(await query(cloneDb, "SELECT * FROM accounts ORDER BY id")).toEqual(original);
    const bucket = (await engine.outputs(ref(CLONE)))!.bucket;
    expect(await keys(bucket)).toEqual(["avatars/1.png", "avatars/2.png"]);
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "avatars/2.png" }));
    expect(await body.Body!.transformToString()).toBe("bytes of avatars/2.png");
    expect(r.steps).toContain("copy");
    expect(r.logs.join("\n")).toMatch(/Copied 2 of 2 bucket objects/);
  });

  it("a damaged backup: verify reports it, restore fails (not retryable) and leaves the instance as it was", async () => {
    const damaged = { ...artifact, sha256: "0".repeat(64) };
    const report = await engine.verifyBackup(
      ref(SOURCE),
      damaged,
      { requestId: `vd-${run}` },
      recorder().hooks,
    );
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(/^checksum: /);
    await query(sourceDb, "UPDATE accounts SET owner = 'kept' WHERE id = 1");
    const err = await engine
      .restore(ref(SOURCE), damaged, { requestId: `rd-${run}`, source: ref(SOURCE) }, recorder().hooks)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: "FAILED", retryable: false });
    expect((err as Error).message).toMatch(/was not touched/);
    expect(await query(sourceDb, "SELECT owner FROM accounts WHERE id = 1")).toEqual([{ owner: "kept" }]);
  });

  it("stops following a task when the operation is cancelled, and refuses another driver's artifact", async () => {
    const r = recorder();
    r.controller.abort();
    await expect(engine.backup(ref(SOURCE), { backupId: `x-${run}` }, r.hooks)).rejects.toMatchObject({
      code: "CANCELLED",
    });
    await expect(
      engine.verifyBackup(
        ref(SOURCE),
        { ...artifact, driver: "pulumi" },
        { requestId: "x" },
        recorder().hooks,
      ),
    ).rejects.toMatchObject({ code: "FAILED", retryable: false });
  });

  it("deletes the backup, idempotently", async () => {
    const prefix = `${SOURCE}/b-${run}/`;
    expect(await keys(BACKUP_BUCKET, prefix)).toHaveLength(3);
    await engine.deleteBackup(ref(SOURCE), artifact);
    expect(await keys(BACKUP_BUCKET, prefix)).toEqual([]);
    await engine.deleteBackup(ref(SOURCE), artifact);
  });

  it("a task the daemon forgot (it restarted: the poll answers 404) is a retryable failure", async () => {
    // A stand-in daemon that accepts the backup, then no longer knows the task, as after a restart.
    const server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.method === "POST") {
        res.writeHead(202);
        res.end(
          JSON.stringify({
            id: "backup-x",
            kind: "backup",
            key: "x",
            slug: SOURCE,
            status: "running",
            step: "dump",
            bytes: 0,
            totalBytes: null,
            error: null,
            errorCode: null,
            result: null,
            log: [],
            logStart: 0,
            startedAt: new Date().toISOString(),
            finishedAt: null,
          }),
        );
      } else {
        res.writeHead(404);
        res.end(JSON.stringify({ error: "not_found", message: 'task "backup-x" is not known' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const forgetful = new LocalEngine({ baseUrl: `http://127.0.0.1:${port}`, pollIntervalMs: 20 });
      const err = await forgetful
        .backup(ref(SOURCE), { backupId: "x" }, recorder().hooks)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "FAILED", retryable: true });
      expect((err as Error).message).toMatch(/no longer knows the backup task backup-x/);
    } finally {
      server.close();
    }
  });
});
