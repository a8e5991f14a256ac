// Backups, verification, restores and clones through the daemon's API, in-process, against the real MariaDB and
// s3rver of scripts/services.sh (a backup bucket of its own per run).
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { loadLocalCloudConfig, localCloudEnv } from "@cp/config/local-cloud";
import { createConnection, type Connection, type RowDataPacket } from "mysql2/promise";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startInProcessCloud,
  TENANT_ENTRY,
  waitUntil,
  type InProcessCloud,
} from "./testing/in-process-cloud";
import { Buckets } from "./buckets";
import { LocalCloud } from "./cloud";
import { TenantDatabases } from "./mariadb";
import { resourceNames } from "./naming";
import { LocalRouter } from "./router";
import { ZInstanceRequest } from "./schemas";
import { StateStore } from "./state";
import type { TaskView } from "./tasks";

const TOKEN = "backup-test-token-0123456789";
const run = randomBytes(3).toString("hex");
const shared = localCloudEnv();
const BACKUP_BUCKET = `cp-backups-it-${run}`;
const A = `bk-${run}-a`;
const B = `bk-${run}-b`;

let daemon: InProcessCloud;
let cloud: LocalCloud;
let databases: TenantDatabases;
const call: InProcessCloud["call"] = (...args) => daemon.call(...args);
const s3 = new S3Client({
  endpoint: shared.s3.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: shared.s3.accessKeyId, secretAccessKey: shared.s3.secretAccessKey },
});

/** The zstd CLI, as the daemon runs it. */
const zstd = (args: string[], input: Buffer) =>
  execFileSync("zstd", [...args, "-q", "-c"], { input, maxBuffer: 1024 * 1024 * 1024 });
const unzstd = (stored: Buffer) => zstd(["-d"], stored);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

const instanceBody = (instanceId: string) => ({
  instanceId,
  version: "1.0.0",
  mysqlVersion: "8.0",
  size: "small",
  maxConnections: 10,
  rateLimits: { filestream: 20, graphql: 200 },
  externalRedis: false,
  sso: { mode: "provider" },
  storage: { mode: "provider" },
});

/** Polls a task until it ends; `seen` collects the instance statuses observed meanwhile. */
async function finished(id: string, watch?: { slug: string; seen: Set<string> }): Promise<TaskView> {
  let task: TaskView | null = null;
  await waitUntil(async () => {
    task = (await call("GET", `/v1/tasks/${id}`)).json as unknown as TaskView;
    if (watch) watch.seen.add(cloud.get(watch.slug)?.status ?? "gone");
    return task.status !== "running";
  }, 120_000);
  return task!;
}

/** A connection as the instance's own database user (as its service would connect). */
async function tenantConnection(slug: string): Promise<Connection> {
  const data = cloud.dataOf(slug)!;
  return createConnection({
    host: shared.mysql.host,
    port: shared.mysql.port,
    user: data.user,
    password: data.password,
    database: data.database,
    multipleStatements: true,
  });
}

async function rows(slug: string, sql: string): Promise<RowDataPacket[]> {
  const conn = await tenantConnection(slug);
  try {
    return (await conn.query<RowDataPacket[]>(sql))[0];
  } finally {
    await conn.end();
  }
}

const allItems = (slug: string) => rows(slug, "SELECT * FROM items ORDER BY id");

async function keys(bucket: string, prefix?: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function startInstance(slug: string): Promise<void> {
  expect((await call("PUT", `/v1/instances/${slug}`, instanceBody(`inst-${slug}`))).status).toBe(201);
  await waitUntil(() => cloud.get(slug)?.status === "running" && cloud.get(slug)?.step === null, 60_000);
}

async function backup(slug: string, backupId: string): Promise<TaskView> {
  const started = await call("POST", `/v1/instances/${slug}/backups`, { backupId });
  expect(started.status).toBe(202);
  return finished(String(started.json?.id));
}

beforeAll(async () => {
  daemon = await startInProcessCloud({
    token: TOKEN,
    name: "backups",
    ports: 10,
    env: { CP_LOCAL_CLOUD_BACKUP_BUCKET: BACKUP_BUCKET, CP_LOCAL_CLOUD_STOP_TIMEOUT_MS: "3000" },
  });
  ({ cloud, databases } = daemon);
  await Promise.all([startInstance(A), startInstance(B)]);

  // The tenant's own data, made as the tenant makes it: tables of several types, a view, a routine and a trigger.
  const conn = await tenantConnection(A);
  try {
    await conn.query(`
      CREATE TABLE items (
        id INT AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL,
        data BLOB NULL,
        price DECIMAL(10,2) NOT NULL,
        created DATETIME(3) NOT NULL,
        note TEXT NULL
      );
      CREATE TABLE tags (item_id INT NOT NULL, tag VARCHAR(20) NOT NULL, PRIMARY KEY (item_id, tag));
      CREATE VIEW expensive AS SELECT id, name FROM items WHERE price > 50;
      CREATE PROCEDURE count_items(OUT n INT) SELECT COUNT(*) INTO n FROM items;
      CREATE TRIGGER items_upper BEFORE INSERT ON tags FOR EACH ROW SET NEW.tag = LOWER(NEW.tag);`);
    const values = Array.from({ length: 2000 }, (_, i) => [
      `item ${i} ✓ 'quoted' \\ back`,
      i % 3 ? randomBytes(40) : null,
      (i % 100) + 0.25,
      new Date(Date.UTC(2024, 0, 1) + i * 1000),
      i % 7 ? `note\nline ${i}` : null,
    ]);
    await conn.query("INSERT INTO items (name, data, price, created, note) VALUES ?", [values]);
    await conn.query("INSERT INTO tags VALUES (1, 'A'), (1, 'B'), (2, 'C')");
    // Enough data (~20 MB of dump) that the dump outlasts the moment its snapshot opens.
    await conn.query(
      "CREATE TABLE bulk (id INT PRIMARY KEY, v VARCHAR(200)) SELECT seq AS id, REPEAT('x', 120) AS v FROM seq_1_to_150000",
    );
  } finally {
    await conn.end();
  }
  for (const key of ["files/one.txt", "files/two.bin", "three"]) {
    await s3.send(new PutObjectCommand({ Bucket: `t-${A}`, Key: key, Body: `content of ${key}` }));
  }
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await new Buckets(shared.s3).remove(BACKUP_BUCKET).catch(() => undefined);
  s3.destroy();
});

describe("backups on the local cloud", () => {
  let first: TaskView;

  it("backs up consistently while the tenant keeps writing, recording every table's rows and checksum", async () => {
    const conn = await tenantConnection(A);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await conn.query("INSERT INTO items (name, price, created) VALUES ('concurrent', 1, NOW(3))");
        written += 1;
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 100));
      first = await backup(A, "first");
    } finally {
      writing = false;
      await writer;
      await conn.end();
    }
    expect(first).toMatchObject({ id: "backup-first", kind: "backup", status: "succeeded", error: null });
    expect(written).toBeGreaterThan(0);
    const artifact = first.result as Record<string, unknown> & {
      tables: { name: string; rows: number; checksum: string }[];
      sha256: string;
      sizeBytes: number;
      details: Record<string, unknown>;
    };
    expect(artifact).toMatchObject({
      driver: "local",
      location: `s3://${BACKUP_BUCKET}/${A}/first/`,
      bucketManifest: { location: `s3://${BACKUP_BUCKET}/${A}/first/bucket-manifest.json`, objects: 3 },
      details: {
        mysqlVersion: expect.stringMatching(/MariaDB/),
        lockReleased: "at-snapshot",
        compression: "zstd",
      },
    });
    // The tenant service's own `tenant_schema` table is dumped like the rest.
    expect(artifact.tables.map((t) => t.name)).toEqual(["bulk", "items", "runs", "tags", "tenant_schema"]);
    const items = artifact.tables.find((t) => t.name === "items")!;
    expect(items.rows).toBeGreaterThan(2000);
    expect(items.rows).toBeLessThanOrEqual(2000 + written);
    expect(artifact.tables.find((t) => t.name === "tags")).toMatchObject({ rows: 3 });
    // Writes waited only until the dump's snapshot was open, not for the whole dump.
    expect(Number(artifact.details.writesBlockedMs)).toBeLessThan(1_000);

    expect(await keys(BACKUP_BUCKET, `${A}/first/`)).toEqual([
      `${A}/first/bucket-manifest.json`,
      `${A}/first/database.sql.zst`,
      `${A}/first/manifest.json`,
    ]);
    // Stored compressed: size and SHA-256 are of the stored bytes, the dump's own size is in the details.
    const stored = await objectBytes(BACKUP_BUCKET, `${A}/first/database.sql.zst`);
    expect(stored.length).toBe(artifact.sizeBytes);
    expect(sha256(stored)).toBe(artifact.sha256);
    const dump = unzstd(stored);
    expect(dump.length).toBe(artifact.details.dumpBytes);
    expect(dump.length).toBeGreaterThan(stored.length);
    expect(dump.toString()).toContain("CREATE TABLE `items`");
    const manifest = JSON.parse((await objectBytes(BACKUP_BUCKET, `${A}/first/manifest.json`)).toString());
    expect(manifest).toMatchObject({
      slug: A,
      backupId: "first",
      tables: artifact.tables,
      database: {
        key: "database.sql.zst",
        sha256: artifact.sha256,
        sizeBytes: artifact.sizeBytes,
        compression: "zstd",
        dumpBytes: dump.length,
      },
    });
    const bucketManifest = JSON.parse(
      (await objectBytes(BACKUP_BUCKET, `${A}/first/bucket-manifest.json`)).toString(),
    );
    expect(bucketManifest.objects.map((o: { key: string }) => o.key)).toEqual([
      "files/one.txt",
      "files/two.bin",
      "three",
    ]);
    expect(bucketManifest.objects[0]).toMatchObject({
      size: 24,
      etag: expect.any(String),
      lastModified: expect.any(String),
    });
    // The credentials file of the dump is gone, and never reached the log.
    expect(JSON.stringify(first.log)).not.toContain(cloud.dataOf(A)!.password);
  });

  it("verifies the backup by restoring it into a scratch database that is dropped afterwards", async () => {
    const started = await call("POST", `/v1/instances/${A}/backups/verify`, {
      requestId: "v1",
      artifact: first.result,
    });
    expect(started.status).toBe(202);
    const task = await finished("verify-v1");
    const total = (first.result as { tables: { rows: number }[] }).tables.reduce((n, t) => n + t.rows, 0);
    expect(task).toMatchObject({
      status: "succeeded",
      result: { ok: true, problems: [], checked: { tables: 5, rows: total } },
    });
    const [dbs] = await databases.admin.query<RowDataPacket[]>("SHOW DATABASES LIKE 't\\_\\_verify\\_%'");
    expect(dbs).toEqual([]);
  });

  it("still verifies and restores a backup made before compression (an uncompressed database.sql)", async () => {
    const made = await backup(A, "old");
    const prefix = `${A}/old/`;
    const dump = unzstd(await objectBytes(BACKUP_BUCKET, `${prefix}database.sql.zst`));
    // The layout of backups made before compression: database.sql, and a manifest without compression.
    await s3.send(new PutObjectCommand({ Bucket: BACKUP_BUCKET, Key: `${prefix}database.sql`, Body: dump }));
    await s3.send(new DeleteObjectCommand({ Bucket: BACKUP_BUCKET, Key: `${prefix}database.sql.zst` }));
    const manifest = JSON.parse((await objectBytes(BACKUP_BUCKET, `${prefix}manifest.json`)).toString()) as {
      database: Record<string, unknown>;
    };
    manifest.database = { key: "database.sql", sizeBytes: dump.length, sha256: sha256(dump) };
    await s3.send(
      new PutObjectCommand({
        Bucket: BACKUP_BUCKET,
        Key: `${prefix}manifest.json`,
        Body: JSON.stringify(manifest),
      }),
    );
    const artifact = { ...(made.result as object), sizeBytes: dump.length, sha256: sha256(dump) };

    await call("POST", `/v1/instances/${A}/backups/verify`, { requestId: "v-old", artifact });
    expect((await finished("verify-v-old")).result).toMatchObject({ ok: true, problems: [] });
    await call("POST", `/v1/instances/${A}/restore`, { requestId: "r-old", artifact, sourceSlug: A });
    const restored = await finished("restore-r-old");
    expect(restored).toMatchObject({
      status: "succeeded",
      result: { bytes: dump.length, status: "running" },
    });
    await call("DELETE", `/v1/backups?location=${encodeURIComponent(`s3://${BACKUP_BUCKET}/${prefix}`)}`);
  });

  it("is idempotent per id, and answers errors that name the field", async () => {
    const again = await call("POST", `/v1/instances/${A}/backups`, { backupId: "first" });
    expect(again).toMatchObject({ status: 200, json: { id: "backup-first", status: "succeeded" } });
    expect(await call("POST", `/v1/instances/${B}/backups`, { backupId: "first" })).toMatchObject({
      status: 409,
      json: { message: expect.stringMatching(/^backupId: "first" was already used/) },
    });
    expect(await call("POST", `/v1/instances/${A}/backups`, { backupId: "../etc" })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^backupId: must be/) },
    });
    const elsewhere = { ...(first.result as object), location: `s3://other-bucket/${A}/first/` };
    expect(
      await call("POST", `/v1/instances/${A}/restore`, {
        requestId: "r0",
        artifact: elsewhere,
        sourceSlug: A,
      }),
    ).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^artifact\.location: the backup is in bucket "other-bucket"/) },
    });
    expect((await call("POST", `/v1/instances/${A}/backups`, { backupId: "x" }, null)).status).toBe(401);
    expect(await call("GET", "/v1/tasks/backup-unknown")).toMatchObject({
      status: 404,
      json: { error: "not_found" },
    });
    expect((await call("POST", `/v1/instances/nope-${run}/backups`, { backupId: "x" })).status).toBe(404);
    expect((await call("DELETE", "/v1/backups")).json).toMatchObject({
      message: expect.stringMatching(/^location: /),
    });
    expect((await call("GET", `/v1/instances/${A}/backups`)).status).toBe(405);
  });

  it("restores changed and deleted rows, views, routines and triggers; the instance serves again", async () => {
    const before = await allItems(A);
    const second = await backup(A, "second");
    expect(second.status).toBe("succeeded");
    const conn = await tenantConnection(A);
    try {
      await conn.query("UPDATE items SET name = 'changed', price = 0 WHERE id <= 100");
      await conn.query("DELETE FROM items WHERE id > 1500");
      await conn.query("DROP VIEW expensive; CREATE TABLE stray (x INT)");
    } finally {
      await conn.end();
    }
    const pidBefore = cloud.get(A)!.pid;
    const seen = new Set<string>();
    const started = await call("POST", `/v1/instances/${A}/restore`, {
      requestId: "restore-1",
      artifact: second.result,
      sourceSlug: A,
    });
    expect(started.status).toBe(202);
    const task = await finished("restore-restore-1", { slug: A, seen });
    expect(task).toMatchObject({ status: "succeeded", result: { status: "running", bucketObjects: null } });
    expect(seen.has("restoring")).toBe(true);
    expect(await allItems(A)).toEqual(before);
    const view = cloud.get(A)!;
    expect(view.status).toBe("running");
    expect(view.pid).not.toBe(pidBefore);
    expect((await fetch(`${view.url}/healthz`)).status).toBe(200);
    expect(await rows(A, "SHOW TABLES")).toHaveLength(6); // bulk, items, runs, tags, tenant_schema and the view
    expect(await rows(A, "SELECT COUNT(*) AS n FROM expensive")).toEqual([
      { n: before.filter((r) => Number(r.price) > 50).length },
    ]);
    const user = `${cloud.dataOf(A)!.user}@127.0.0.1`;
    const routines = await rows(
      A,
      "SELECT DEFINER AS d FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
    );
    expect(routines).toEqual([{ d: user }]);
    await rows(A, "INSERT INTO tags VALUES (9, 'UPPER')");
    expect(await rows(A, "SELECT tag FROM tags WHERE item_id = 9")).toEqual([{ tag: "upper" }]);
    expect(task.log.map((l) => l.message).join("\n")).toMatch(/The dump is intact/);
    // On more than one core, tables load in parallel (parallel-load.ts).
    if (availableParallelism() > 1)
      expect(task.log.some((l) => /tables at a time/.test(l.message))).toBe(true);
  });

  it("clones a backup into another instance, copying the bucket objects that still exist", async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: `t-${A}`, Key: "three" }));
    const started = await call("POST", `/v1/instances/${B}/restore`, {
      requestId: "clone-1",
      artifact: first.result,
      sourceSlug: A,
    });
    const task = await finished(String(started.json?.id));
    expect(task).toMatchObject({
      status: "succeeded",
      result: { status: "running", bucketObjects: { listed: 3, copied: 2, missing: 1, changed: 0 } },
    });
    expect(await keys(`t-${B}`)).toEqual(["files/one.txt", "files/two.bin"]);
    expect((await objectBytes(`t-${B}`, "files/one.txt")).toString()).toBe("content of files/one.txt");
    // The clone holds exactly what was dumped.
    const tables = (first.result as { tables: { name: string; rows: number; checksum: string }[] }).tables;
    for (const t of tables) {
      const [sum] = await databases.admin.query<RowDataPacket[]>(
        `CHECKSUM TABLE ${resourceNames(B).database}.${t.name}`,
      );
      expect(String(sum[0]!.Checksum)).toBe(t.checksum);
    }
    expect(task.log.some((l) => /1 no longer exist/.test(l.message))).toBe(true);
  });

  it("a damaged backup: verification reports it, and a restore refuses it without touching the target", async () => {
    const third = await backup(A, "third");
    const key = `${A}/third/database.sql.zst`;
    // A dump that still loads, with other data: decompressed, changed and compressed again.
    const dump = unzstd(await objectBytes(BACKUP_BUCKET, key));
    const at = dump.indexOf("item 1");
    dump.write("ITEM", at);
    await s3.send(new PutObjectCommand({ Bucket: BACKUP_BUCKET, Key: key, Body: zstd(["-1"], dump) }));

    await call("POST", `/v1/instances/${A}/backups/verify`, { requestId: "v-bad", artifact: third.result });
    const report = (await finished("verify-v-bad")).result as { ok: boolean; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatch(
      /^checksum: the stored dump's SHA-256 is [0-9a-f]{64}, the backup recorded/,
    );
    expect(report.problems.some((p) => /^table items: checksum \d+ restored, \d+ dumped$/.test(p))).toBe(
      true,
    );

    const before = await allItems(A);
    await rows(A, "UPDATE items SET note = 'after the damaged backup' WHERE id = 5");
    const pid = cloud.get(A)!.pid;
    await call("POST", `/v1/instances/${A}/restore`, {
      requestId: "r-bad",
      artifact: third.result,
      sourceSlug: A,
    });
    const task = await finished("restore-r-bad");
    expect(task.status).toBe("failed");
    expect(task.error).toMatch(
      /^checksum: the stored dump .* is not the one the backup recorded .* was not touched$/,
    );
    expect(cloud.get(A)).toMatchObject({ status: "running", pid });
    const after = await allItems(A);
    expect(after.find((r) => r.id === 5)?.note).toBe("after the damaged backup");
    expect(after.length).toBe(before.length);
  });

  it("deletes exactly one backup's objects, idempotently", async () => {
    expect(
      await call("DELETE", `/v1/backups?location=${encodeURIComponent(`s3://${BACKUP_BUCKET}/${A}/third/`)}`),
    ).toMatchObject({
      status: 200,
      json: { deleted: 3 },
    });
    expect(await keys(BACKUP_BUCKET, `${A}/third/`)).toEqual([]);
    expect(await keys(BACKUP_BUCKET, `${A}/first/`)).toHaveLength(3);
    expect(await keys(BACKUP_BUCKET, `${A}/second/`)).toHaveLength(3);
    expect(
      (await call("DELETE", `/v1/backups?location=s3://${BACKUP_BUCKET}/${A}/third/`)).json,
    ).toMatchObject({ deleted: 0 });
    expect((await call("DELETE", `/v1/backups?location=s3://elsewhere/${A}/third/`)).status).toBe(400);
  });

  it("holds the lock to the dump's end when a table has no snapshot (MyISAM), and stays consistent", async () => {
    await rows(A, "CREATE TABLE legacy (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(50)) ENGINE=MyISAM");
    await rows(A, "INSERT INTO legacy (v) VALUES ('a'), ('b')");
    const conn = await tenantConnection(A);
    let writing = true;
    const writer = (async () => {
      while (writing) await conn.query("INSERT INTO legacy (v) VALUES ('during')");
    })();
    let task: TaskView;
    try {
      task = await backup(A, "myisam");
    } finally {
      writing = false;
      await writer;
      await conn.end();
    }
    expect(task.status).toBe("succeeded");
    expect(task.result).toMatchObject({ details: { lockReleased: "at-end" } });
    await call("POST", `/v1/instances/${A}/backups/verify`, { requestId: "v-myisam", artifact: task.result });
    expect((await finished("verify-v-myisam")).result).toMatchObject({ ok: true, problems: [] });
    await rows(A, "DROP TABLE legacy");
  });

  it("a daemon that stopped during a restore does not start the instance on its half-restored database", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "local-cloud-interrupted-"));
    const slug = `bk-${run}-int`;
    const store = new StateStore(path.join(dir, "state.json"));
    const now = new Date().toISOString();
    await store.save({
      format: 1,
      instances: {
        [slug]: {
          slug,
          instanceId: `inst-${slug}`,
          desired: ZInstanceRequest.parse(instanceBody(`inst-${slug}`)),
          generation: 1,
          observedGeneration: 1,
          suspended: false,
          deleting: false,
          restoring: true,
          publicPort: 1,
          dbPassword: "x".repeat(24),
          adminToken: "y".repeat(24),
          sessionSecret: "z".repeat(24),
          pid: null,
          runningVersion: "1.0.0",
          createdAt: now,
          updatedAt: now,
        },
      },
    });
    const other = await LocalCloud.open({
      config: {
        ...loadLocalCloudConfig({ CP_MODE: "test", CP_LOCAL_CLOUD_BACKUP_BUCKET: BACKUP_BUCKET }),
        dataDir: dir,
        mysql: shared.mysql,
        s3: shared.s3,
      },
      databases: new TenantDatabases(shared.mysql),
      buckets: new Buckets(shared.s3),
      router: new LocalRouter("127.0.0.1"),
      store,
      tenant: {
        entry: TENANT_ENTRY,
        cwd: path.dirname(path.dirname(TENANT_ENTRY)),
        nodeArgs: ["--import", "tsx"],
      },
      log: pino({ level: "silent" }),
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(other.get(slug)).toMatchObject({
        status: "failed",
        pid: null,
        error: expect.stringMatching(/^restore: interrupted .* restore again$/),
      });
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a dump that fails leaves no object behind and fails the task with the tool's error", async () => {
    await databases.dropDatabase(resourceNames(B).database);
    const task = await backup(B, "broken");
    expect(task.status).toBe("failed");
    expect(task.error).toMatch(/^mariadb-dump exited with code \d+: .*Unknown database/);
    expect(await keys(BACKUP_BUCKET, `${B}/broken/`)).toEqual([]);
  });
});
