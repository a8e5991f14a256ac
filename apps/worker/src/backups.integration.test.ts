// Backups proven on the real local cloud (issue: "Backups and restore that are proven to work"): a real worker
// process runs the operations against the local cloud daemon, MariaDB and s3rver of scripts/services.sh. Known rows
// are written, backed up, changed and deleted, restored and found again; a clone gets the same rows and bucket
// objects; a corrupted backup object fails verification; pruning removes exactly the expired backups; a worker killed
// mid-backup leaves nothing marked complete, and the backup completes on the next worker.
import { randomBytes } from "node:crypto";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { localCloudEnv } from "@cp/config/local-cloud";
import type { OrderInput } from "@cp/core";
import { db } from "@cp/db";
import { LocalEngine } from "@cp/engine";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import {
  cloneFromBackup,
  orderInstance,
  pruneExpiredBackups,
  restoreBackup,
  takeBackup,
  verifyBackupAgain,
  type ServiceContext,
} from "@cp/services";
import { createConnection, type Connection, type RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgAdmin, localOrder } from "./testing/fixtures";
import { bucketName, databaseName, deleteCloudInstances } from "./testing/local-cloud-inventory";
import { waitFor } from "./testing/wait";
import { killAllWorkers, startWorkerProcess, type WorkerProcess } from "./testing/worker-process";

const RUN = `bk${randomBytes(3).toString("hex")}`;
const WORKER_ENV = {
  CP_OPERATION_LEASE_MS: "3000",
  CP_OPERATION_HEARTBEAT_MS: "500",
  CP_RECONCILE_INTERVAL_MS: "1000",
  CP_LOG_LEVEL: "warn",
  CP_DELETE_RETENTION_HOURS: "1000",
  // The test queues its own backups; the schedule must not add any.
  CP_BACKUP_TICK_MS: "3600000",
  SMTP_URL: "log:",
};

/** Everything here waits on real dumps and restores. */
const WAIT = { timeoutMs: 120_000 };

const cloud = localCloudEnv();
const s3 = new S3Client({
  endpoint: cloud.s3.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: cloud.s3.accessKeyId, secretAccessKey: cloud.s3.secretAccessKey },
});
const BACKUP_BUCKET = process.env.CP_LOCAL_CLOUD_BACKUP_BUCKET || "cp-backups"; // eslint-disable-line no-restricted-properties -- the daemon's setting, read as the daemon reads it

function tenantDb(slug: string): Promise<Connection> {
  return createConnection({
    host: cloud.mysql.host,
    port: cloud.mysql.port,
    user: cloud.mysql.user,
    password: cloud.mysql.password,
    database: databaseName(slug),
  });
}

async function rows(slug: string): Promise<{ id: number; name: string }[]> {
  const c = await tenantDb(slug);
  try {
    const [r] = await c.query<RowDataPacket[]>("SELECT id, name FROM experiments ORDER BY id");
    return r.map((x) => ({ id: Number(x.id), name: String(x.name) }));
  } finally {
    await c.end();
  }
}

/** Rows in the tenant service's own table (it may write some on start). */
/** Rows of the tenant service's own tables: its `runs`, and `tenant_schema` (the schema versions it applied). */
async function tenantRuns(slug: string): Promise<number> {
  const c = await tenantDb(slug);
  try {
    const [r] = await c.query<RowDataPacket[]>(
      "SELECT (SELECT COUNT(*) FROM runs) + (SELECT COUNT(*) FROM tenant_schema) AS n",
    );
    return Number(r[0]!.n);
  } finally {
    await c.end();
  }
}

async function bucketKeys(bucket: string, prefix = ""): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

let orgId: string;
let ctx: ServiceContext;
let worker: WorkerProcess;

const order = (subdomain: string): OrderInput => localOrder("Backups", subdomain);

async function running(instanceId: string) {
  return waitFor(
    `instance ${instanceId} running`,
    async () => {
      const i = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
      if (i.status === "failed") throw new Error(`instance failed: ${i.statusReason}`);
      const active = await db().operation.count({
        where: { instanceId, status: { in: ["queued", "running"] } },
      });
      return i.status === "running" && active === 0 ? i : undefined;
    },
    WAIT,
  );
}

async function settledBackup(backupId: string) {
  return waitFor(
    `backup ${backupId} settled`,
    async () => {
      const b = await db().backup.findUniqueOrThrow({ where: { id: backupId } });
      const done =
        b.status === "failed" ||
        (b.status === "completed" && !["pending", "running"].includes(b.verification));
      return done ? b : undefined;
    },
    WAIT,
  );
}

async function finished(operationId: string) {
  return waitFor(
    `operation ${operationId} finished`,
    async () => {
      const op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
      return ["succeeded", "failed", "cancelled"].includes(op.status) ? op : undefined;
    },
    WAIT,
  );
}

beforeAll(async () => {
  ({ orgId, ctx } = await createOrgAdmin());
  await db().organization.update({ where: { id: orgId }, data: { plan: "dedicated", instanceQuota: 20 } });
  worker = await startWorkerProcess({ name: "bk1", env: WORKER_ENV });
  await worker.waitReady(60_000);
}, 90_000);

afterAll(async () => {
  await killAllWorkers();
  await deleteCloudInstances(`${RUN}-`).catch((err: unknown) => console.error(err));
  await closeQueues();
  await closeSharedRedis();
  s3.destroy();
});

describe("backups on the local cloud", () => {
  const slug = `${RUN}-a`;
  let instanceId: string;
  let instanceName: string;
  let backupId: string;
  const original: { id: number; name: string }[] = Array.from({ length: 300 }, (_, n) => ({
    id: n + 1,
    name: `run-${n + 1}-${"x".repeat(n % 17)}`,
  }));

  it("backs up known rows and bucket objects, and verifies the backup", { timeout: 240_000 }, async () => {
    const placed = await orderInstance(ctx, { orgId, order: order(slug), idempotencyKey: slug });
    instanceId = placed.instanceId;
    const inst = await running(instanceId);
    instanceName = inst.name;
    const c = await tenantDb(slug);
    await c.query("CREATE TABLE experiments (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, payload BLOB)");
    await c.query(
      "CREATE TABLE experiment_tags (experiment_id INT NOT NULL, tag VARCHAR(40) NOT NULL, PRIMARY KEY (experiment_id, tag))",
    );
    await c.query("INSERT INTO experiments (id, name, payload) VALUES ?", [
      original.map((r) => [r.id, r.name, Buffer.from([r.id % 256, 0, 255, 10])]),
    ]);
    await c.query("INSERT INTO experiment_tags VALUES (1, 'baseline'), (2, 'candidate')");
    await c.end();
    for (const key of ["artifacts/model.bin", "media/chart.png"]) {
      await s3.send(new PutObjectCommand({ Bucket: bucketName(slug), Key: key, Body: `content of ${key}` }));
    }

    const taken = await takeBackup(ctx, { orgId, instanceId });
    backupId = taken.backupId;
    const b = await settledBackup(backupId);
    expect(b, b.error ?? JSON.stringify(b.verifyReport)).toMatchObject({
      status: "completed",
      verification: "verified",
      // The tenant service's own `runs` and `tenant_schema` tables, and the two written here.
      tableCount: 4,
    });
    expect(Number(b.rowCount)).toBe(302 + (await tenantRuns(slug)));
    expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(b.sizeBytes)).toBeGreaterThan(1000);
    const artifact = b.artifact as { bucketManifest: { objects: number } | null };
    expect(artifact.bucketManifest?.objects).toBe(2);
    expect(await bucketKeys(BACKUP_BUCKET, `${slug}/${backupId}/`)).toContain(
      `${slug}/${backupId}/database.sql.zst`,
    );
  });

  it(
    "restores the original rows after they were changed and deleted, keeping a backup of the changes",
    { timeout: 240_000 },
    async () => {
      const c = await tenantDb(slug);
      await c.query("UPDATE experiments SET name = 'changed' WHERE id <= 10");
      await c.query("DELETE FROM experiments WHERE id > 150");
      await c.query("INSERT INTO experiments (id, name) VALUES (5000, 'added after the backup')");
      await c.query("CREATE TABLE scratch_after_backup (id INT)");
      await c.end();
      expect((await rows(slug)).length).toBe(151);

      await expect(
        restoreBackup(ctx, { orgId, backupId, confirmName: "not the name" }),
      ).rejects.toMatchObject({
        field: "confirmName",
      });
      const r = await restoreBackup(ctx, { orgId, backupId, confirmName: instanceName });
      const op = await finished(r.operationId);
      expect(op.status, op.error ?? "").toBe("succeeded");
      expect(await rows(slug)).toEqual(original);
      const c2 = await tenantDb(slug);
      const [tables] = await c2.query<RowDataPacket[]>("SHOW TABLES");
      await c2.end();
      expect(tables.map((t) => Object.values(t)[0]).sort()).toEqual([
        "experiment_tags",
        "experiments",
        "runs",
        "tenant_schema",
      ]);
      const inst = await running(instanceId);
      expect(inst.status).toBe("running");
      // The instance answers again through its URL.
      expect((await fetch(`${inst.url}/healthz`)).status).toBe(200);
      const pre = await settledBackup(r.preRestoreBackupId);
      expect(pre).toMatchObject({ kind: "pre_restore", status: "completed", verification: "verified" });
      expect(Number(pre.rowCount)).toBe(151 + 2 + (await tenantRuns(slug)));
    },
  );

  it(
    "clones a backup into a second running instance with the same rows and bucket objects",
    { timeout: 240_000 },
    async () => {
      const cloneSlug = `${RUN}-clone`;
      const clone = await cloneFromBackup(ctx, {
        orgId,
        backupId,
        name: `Clone ${RUN}`,
        subdomain: cloneSlug,
      });
      const inst = await running(clone.instanceId);
      expect(inst.url).toBeTruthy();
      expect(await rows(cloneSlug)).toEqual(original);
      expect(await bucketKeys(bucketName(cloneSlug))).toEqual(["artifacts/model.bin", "media/chart.png"]);
      const body = await s3.send(
        new GetObjectCommand({ Bucket: bucketName(cloneSlug), Key: "media/chart.png" }),
      );
      expect(await body.Body!.transformToString()).toBe("content of media/chart.png");
    },
  );

  it(
    "fails verification of a corrupted backup object, marks it and alerts",
    { timeout: 120_000 },
    async () => {
      const key = `${slug}/${backupId}/database.sql.zst`;
      const obj = await s3.send(new GetObjectCommand({ Bucket: BACKUP_BUCKET, Key: key }));
      const text = Buffer.from(await obj.Body!.transformToByteArray());
      // The dump is stored compressed (zstd): one byte flipped in the middle.
      const corrupted = Buffer.from(text);
      const middle = Math.floor(corrupted.length / 2);
      corrupted[middle] = corrupted[middle]! ^ 0xff;
      await s3.send(new PutObjectCommand({ Bucket: BACKUP_BUCKET, Key: key, Body: corrupted }));
      const v = await verifyBackupAgain(ctx, { orgId, backupId });
      const op = await finished(v.operationId);
      expect(op.status).toBe("failed");
      const b = await db().backup.findUniqueOrThrow({ where: { id: backupId } });
      expect(b.verification).toBe("failed");
      const problems = (b.verifyReport as { problems: string[] }).problems;
      expect(problems.join("\n")).toMatch(/checksum/i);
      const alerts = await db().outboxMessage.count({
        where: { orgId, subject: { contains: "failed verification" }, channel: "email" },
      });
      expect(alerts).toBeGreaterThanOrEqual(1);
      // Put the original back so later restores of it would work again.
      await s3.send(new PutObjectCommand({ Bucket: BACKUP_BUCKET, Key: key, Body: text }));
    },
  );

  it("prunes exactly the expired backups from storage and the database", { timeout: 120_000 }, async () => {
    const all = await db().backup.findMany({ where: { instanceId }, orderBy: { createdAt: "asc" } });
    expect(all.length).toBeGreaterThanOrEqual(2);
    const [keep, expire] = [all.find((b) => b.id === backupId)!, all.find((b) => b.id !== backupId)!];
    await db().backup.update({ where: { id: expire.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await bucketKeys(BACKUP_BUCKET, `${slug}/${expire.id}/`)).length).toBeGreaterThan(0);
    // Any worker's pruner may get there first (they share the table): what counts is the outcome.
    const r = await pruneExpiredBackups({ local: new LocalEngine() });
    expect(r.failed).toBe(0);
    expect(await db().backup.findUnique({ where: { id: expire.id } })).toBeNull();
    expect(await bucketKeys(BACKUP_BUCKET, `${slug}/${expire.id}/`)).toEqual([]);
    expect(await db().backup.findUnique({ where: { id: keep.id } })).not.toBeNull();
    expect((await bucketKeys(BACKUP_BUCKET, `${slug}/${keep.id}/`)).length).toBeGreaterThan(0);
  });

  it(
    "never marks a backup complete when its worker is killed mid-backup; the next worker completes it",
    { timeout: 300_000 },
    async () => {
      // Enough data that the dump takes a moment.
      const c = await tenantDb(slug);
      await c.query("CREATE TABLE IF NOT EXISTS blobs (id INT PRIMARY KEY, body LONGBLOB)");
      const chunk = randomBytes(512 * 1024);
      for (let n = 0; n < 80; n += 10) {
        await c.query("INSERT INTO blobs VALUES ?", [
          Array.from({ length: 10 }, (_, k) => [n + k + 1, chunk]),
        ]);
      }
      await c.end();
      const taken = await takeBackup(ctx, { orgId, instanceId });
      await waitFor(
        "backup running",
        async () => {
          const b = await db().backup.findUniqueOrThrow({ where: { id: taken.backupId } });
          return b.status === "running" ? b : undefined;
        },
        { timeoutMs: 60_000 },
      );
      await worker.kill();
      const mid = await db().backup.findUniqueOrThrow({ where: { id: taken.backupId } });
      expect(mid.status).not.toBe("completed");
      expect(mid.artifact).toBeNull();
      worker = await startWorkerProcess({ name: "bk2", env: WORKER_ENV });
      await worker.waitReady(60_000);
      const b = await settledBackup(taken.backupId);
      expect(b, b.error ?? "").toMatchObject({
        status: "completed",
        verification: "verified",
        tableCount: 5,
      });
      expect(Number(b.sizeBytes)).toBeGreaterThan(40 * 1024 * 1024);
      const ops = await db().operation.findMany({
        where: { instanceId, kind: "backup", params: { equals: { backupId: taken.backupId } } },
      });
      expect(ops).toHaveLength(1);
      expect(ops[0]!.attempts).toBeGreaterThanOrEqual(2);
    },
  );
});
