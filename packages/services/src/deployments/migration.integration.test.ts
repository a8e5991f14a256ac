// Migration of a real local instance to customer-managed (issue 8): an instance provisioned on the local cloud daemon
// (:4300) with rows written into its database is migrated by the operation runner in this process; the exported dump,
// downloaded through its presigned link, restores into a fresh MariaDB database with the same rows and checksums per
// table; the deployment, its license and the instance's deprovision exist; config.json holds no secret; SaaS orgs and
// a second request are refused.
import { spawn } from "node:child_process";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { resetEnvCache } from "@cp/config";
import { localCloudEnv } from "@cp/config/local-cloud";
import { logger } from "@cp/config/logger";
import { encryptSecret, verifyLicense } from "@cp/connectors";
import { DEFAULT_RATE_LIMITS, type InstanceConfig } from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { LocalEngine } from "@cp/engine";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "../context";
import { orderInstance } from "../instances/order-instance";
import { instanceRef } from "../operations/instance-spec";
import { processInstanceQueue } from "../operations/run-operation";
import { loadLicenseTokenTx } from "./licenses";
import { migrationStatus, requestMigration, SAAS_MIGRATION_REFUSAL, type MigrationInput } from "./migration";

const RUN = `mig${randomBytes(3).toString("hex")}`;
const SLUG = `${RUN}-a`;
const SECRET = `sso-secret-${randomBytes(12).toString("hex")}`;
const cloud = localCloudEnv();
const engine = new LocalEngine();
const deps = { engines: { local: engine }, workerId: `migration-test-${RUN}` };
const databaseName = (slug: string) => `t_${slug.replace(/-/g, "_")}`;
const SCRATCH = `t__migr_${randomBytes(5).toString("hex")}`;

/* eslint-disable no-restricted-properties -- the test sets the configuration the runner reads */
beforeAll(() => {
  Object.assign(process.env, {
    CP_OPERATION_HEARTBEAT_MS: "500",
    CP_DELETE_RETENTION_HOURS: "1000",
    CP_EXPORT_LINK_TTL_HOURS: "2",
  });
  resetEnvCache();
});
/* eslint-enable no-restricted-properties */

async function orgWithAdmin(plan: "saas" | "dedicated") {
  const tag = randomUUID().slice(0, 8);
  const user = await db().user.create({ data: { email: `mig-admin-${tag}@example.test` } });
  const org = await db().organization.create({
    data: { name: `Mig ${tag}`, slug: `mig-${tag}`, plan, instanceQuota: 5 },
  });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  const ctx: ServiceContext = {
    actor: {
      userId: user.id,
      email: user.email,
      staffRole: "none",
      memberships: [{ orgId: org.id, role: "admin" }],
    },
    ip: "127.0.0.1",
    userAgent: "vitest",
    requestId: `req-${tag}`,
    log: logger(),
  };
  return { org, user, ctx };
}

const input = (name: string): MigrationInput => ({
  deploymentName: name,
  platform: "aws",
  contactName: "Dana Ops",
  contactEmail: "dana@example.test",
  seats: 25,
  features: ["sso", "artifacts"],
  licenseDays: 365,
});

async function query(database: string, sql: string, values?: unknown[]): Promise<RowDataPacket[]> {
  const c = await createConnection({ ...cloud.mysql, database });
  try {
    return (await c.query<RowDataPacket[]>(sql, values))[0];
  } finally {
    await c.end();
  }
}

/** Every table's row count and CHECKSUM TABLE, by name. */
async function digests(database: string): Promise<Record<string, { rows: number; checksum: string }>> {
  const tables = await query(
    database,
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
    [database],
  );
  const out: Record<string, { rows: number; checksum: string }> = {};
  for (const { name } of tables as { name: string }[]) {
    const [count] = await query(database, `SELECT COUNT(*) AS n FROM \`${name}\``);
    const [sum] = await query(database, `CHECKSUM TABLE \`${name}\``);
    out[name] = { rows: Number(count!.n), checksum: String(sum!.Checksum) };
  }
  return out;
}

/** `zstd -dc | mariadb <database>`, as the README tells the customer. */
function loadDump(dump: Buffer, database: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = spawn(
      "mariadb",
      [`-h${cloud.mysql.host}`, `-P${cloud.mysql.port}`, `-u${cloud.mysql.user}`, database],
      { env: { ...process.env, MYSQL_PWD: cloud.mysql.password }, stdio: ["pipe", "ignore", "pipe"] }, // eslint-disable-line no-restricted-properties -- the client's own environment
    );
    const zstd = spawn("zstd", ["-dc"], { stdio: ["pipe", "pipe", "pipe"] });
    let errors = "";
    client.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    zstd.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    zstd.stdout.pipe(client.stdin);
    zstd.stdin.end(dump);
    client.on("error", reject);
    client.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`load failed (${code}): ${errors}`)),
    );
  });
}

/** Recomputes a presigned URL's SigV4 signature (AWS's documented algorithm) with the local cloud's key. */
function sigV4Valid(url: string): boolean {
  const u = new URL(url);
  const q = [...u.searchParams.entries()].filter(([k]) => k !== "X-Amz-Signature");
  const enc = (v: string) =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = q
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join("&");
  const canonical = ["GET", u.pathname, query, `host:${u.host}`, "", "host", "UNSIGNED-PAYLOAD"].join("\n");
  const amzDate = u.searchParams.get("X-Amz-Date")!;
  const scope = u.searchParams.get("X-Amz-Credential")!.split("/").slice(1).join("/");
  const toSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    createHash("sha256").update(canonical).digest("hex"),
  ].join("\n");
  const [date, region, service] = scope.split("/");
  let key: Buffer = Buffer.from(`AWS4${cloud.s3.secretAccessKey}`);
  for (const part of [date!, region!, service!, "aws4_request"])
    key = createHmac("sha256", key).update(part).digest();
  return createHmac("sha256", key).update(toSign).digest("hex") === u.searchParams.get("X-Amz-Signature");
}

async function finished(operationId: string) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
    if (["succeeded", "failed", "cancelled"].includes(op.status)) return op;
    if (Date.now() > deadline) throw new Error(`operation ${operationId} is still ${op.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let instanceId: string;
let orgId: string;
let ctx: ServiceContext;

afterAll(async () => {
  const i = instanceId ? await db().instance.findUnique({ where: { id: instanceId } }) : null;
  if (i)
    await engine
      .destroy(instanceRef(i), { signal: new AbortController().signal, log: () => {}, progress: () => {} })
      .catch(() => undefined);
  const c = await createConnection({ ...cloud.mysql });
  await c.query(`DROP DATABASE IF EXISTS \`${SCRATCH}\``).catch(() => undefined);
  await c.end();
});

describe("migration of a Dedicated instance to customer-managed", () => {
  it("refuses SaaS orgs with the reason the console shows", async () => {
    const saas = await orgWithAdmin("saas");
    const i = await db().instance.create({
      data: {
        orgId: saas.org.id,
        name: `saas-${RUN}`,
        slug: `${RUN}-saas`,
        cloud: "local",
        region: "local",
        size: "small",
        mysqlVersion: "8.0",
        storageMode: "provider",
        status: "running",
        url: "https://saas.example.test",
        config: {},
      },
    });
    await expect(requestMigration(saas.ctx, saas.org.id, i.id, input("x-saas"))).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: SAAS_MIGRATION_REFUSAL,
    });
    expect((await migrationStatus(saas.ctx.actor, saas.org.id, i.id)).refusal).toBe(SAAS_MIGRATION_REFUSAL);
    expect(await db().operation.count({ where: { instanceId: i.id } })).toBe(0);
  });

  it(
    "exports a verified dump that restores with the same rows, then converts and deprovisions",
    { timeout: 400_000 },
    async () => {
      ({
        org: { id: orgId },
        ctx,
      } = await orgWithAdmin("dedicated"));
      const placed = await orderInstance(ctx, {
        orgId,
        idempotencyKey: SLUG,
        order: {
          cloud: "local",
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storage: { mode: "provider" },
          sso: { mode: "provider" },
          reliability: { externalRedis: false, rateLimits: { ...DEFAULT_RATE_LIMITS } },
          name: `Migration ${SLUG}`,
          subdomain: SLUG,
          ipAllowlist: [],
        },
      });
      instanceId = placed.instanceId;
      await processInstanceQueue(instanceId, deps);
      const provisioned = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
      expect(provisioned.status, provisioned.statusReason ?? "").toBe("running");

      // Rows the customer would have written, in tables of their own.
      const database = databaseName(SLUG);
      await query(
        database,
        "CREATE TABLE experiments (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, payload BLOB)",
      );
      await query(
        database,
        "CREATE TABLE tags (experiment_id INT NOT NULL, tag VARCHAR(40) NOT NULL, PRIMARY KEY (experiment_id, tag))",
      );
      await query(database, "INSERT INTO experiments (id, name, payload) VALUES ?", [
        Array.from({ length: 250 }, (_, n) => [
          n + 1,
          `exp-${n + 1}-${"y".repeat(n % 13)}`,
          Buffer.from([n % 256, 7]),
        ]),
      ]);
      await query(database, "INSERT INTO tags VALUES (1, 'baseline'), (2, 'candidate'), (2, 'ünïcode')");
      // An SSO setup with a client secret: the export carries the issuer and client id, never the secret.
      const config = provisioned.config as unknown as InstanceConfig;
      await db().instance.update({
        where: { id: instanceId },
        data: {
          config: {
            ...config,
            sso: { mode: "oidc", issuer: "https://idp.example.test", clientId: "cp-client-42", flow: "pkce" },
          } as unknown as Prisma.InputJsonValue,
        },
      });
      await db().instanceSecret.create({
        data: {
          instanceId,
          name: "sso.clientSecret",
          ciphertext: encryptSecret(SECRET, { associatedData: `${instanceId}:sso.clientSecret` }),
        },
      });

      const { operationId } = await requestMigration(ctx, orgId, instanceId, input(`Self-hosted ${RUN}`));
      await expect(requestMigration(ctx, orgId, instanceId, input(`Other ${RUN}`))).rejects.toMatchObject({
        code: "CONFLICT",
      });
      expect(
        await db().auditEvent.count({
          where: { orgId, action: "instance.migrate_out", targetId: instanceId },
        }),
      ).toBe(1);

      await processInstanceQueue(instanceId, deps);
      const op = await finished(operationId);
      expect(op.status, op.error ?? "").toBe("succeeded");
      expect((op.steps as { name: string }[]).map((s) => s.name)).toEqual(
        expect.arrayContaining(["backup", "verify", "export", "convert"]),
      );
      // The deprovision queued by the conversion runs behind it (here, in the same queue run or the next).
      await processInstanceQueue(instanceId, deps);
      const deprovision = await db().operation.findFirstOrThrow({
        where: { instanceId, kind: "deprovision" },
      });
      expect(deprovision.requestedById).toBe(ctx.actor.userId);
      expect((await finished(deprovision.id)).status).toBe("succeeded");
      const after = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
      expect(after.status).toBe("deleted");
      const destroy = await db().operation.findFirstOrThrow({ where: { instanceId, kind: "destroy" } });
      expect(destroy.status).toBe("queued");
      expect(destroy.notBefore.getTime()).toBeGreaterThan(Date.now() + 900 * 3600_000);

      const backup = await db().backup.findFirstOrThrow({ where: { operationId } });
      expect(backup).toMatchObject({ kind: "manual", status: "completed", verification: "verified" });
      expect(backup.requestedById).toBe(ctx.actor.userId);

      // The deployment and its license, signed with the configured key.
      const status = await migrationStatus(ctx.actor, orgId, instanceId);
      expect(status.operation?.status).toBe("succeeded");
      const deployment = await db().customerDeployment.findUniqueOrThrow({
        where: { migratedFromInstanceId: instanceId },
        include: { licenses: true },
      });
      expect(status.deploymentId).toBe(deployment.id);
      expect(deployment).toMatchObject({ orgId, name: `Self-hosted ${RUN}`, platform: "aws" });
      expect(deployment.licenses).toHaveLength(1);
      expect(deployment.licenses[0]).toMatchObject({ seats: 25, features: ["sso", "artifacts"] });

      // The export: four files with links, each downloadable.
      const files = status.export?.files ?? [];
      expect(files.map((f) => f.name).sort()).toEqual([
        "README.txt",
        "bucket-handoff.json",
        "config.json",
        "database.sql.zst",
      ]);
      expect(status.export?.location).toBe(
        `s3://${cloud.backupBucket}/exports/${instanceId}/${operationId}/`,
      );
      const bodies: Record<string, Buffer> = {};
      for (const f of files) {
        expect(f.url).toMatch(/X-Amz-Signature=/);
        expect(new Date(f.expiresAt).getTime() - Date.now()).toBeGreaterThan(3600_000);
        const res = await fetch(f.url!);
        expect(res.status, `${f.name}: ${res.status}`).toBe(200);
        bodies[f.name] = Buffer.from(await res.arrayBuffer());
        expect(bodies[f.name]!.length).toBe(f.bytes);
      }
      // The signature is right (s3rver does not check SigV4, so it is recomputed here independently).
      for (const f of files) expect(sigV4Valid(f.url!)).toBe(true);
      expect(sigV4Valid(files[0]!.url!.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=60"))).toBe(false);

      const everything = Object.values(bodies)
        .map((b) => b.toString("latin1"))
        .join("\n");
      expect(everything).not.toContain(SECRET);
      const exported = JSON.parse(bodies["config.json"]!.toString()) as Record<string, unknown>;
      expect(exported).toMatchObject({
        mysqlVersion: "8.0",
        size: { id: "small" },
        sso: { mode: "oidc", issuer: "https://idp.example.test", clientId: "cp-client-42" },
        storage: { mode: "provider" },
      });
      const handoff = JSON.parse(bodies["bucket-handoff.json"]!.toString()) as {
        source: { bucket: string };
        commands: Record<string, string>;
      };
      expect(handoff.source.bucket).toBe(`t-${SLUG}`);
      expect(handoff.commands.awsCli).toContain(`aws s3 sync s3://t-${SLUG}`);
      expect(bodies["README.txt"]!.toString()).toContain("zstd -dc database.sql.zst | mysql");

      // The dump restores into a fresh database with the same rows and checksums, table by table.
      const admin = await createConnection({ ...cloud.mysql });
      await admin.query(`CREATE DATABASE \`${SCRATCH}\``);
      await admin.end();
      await loadDump(bodies["database.sql.zst"]!, SCRATCH);
      const source = await digests(database);
      const restored = await digests(SCRATCH);
      expect(Object.keys(source)).toEqual(expect.arrayContaining(["experiments", "tags"]));
      expect(restored).toEqual(source);
      expect(source.experiments!.rows).toBe(250);

      // The license verifies offline and names the deployment.
      const plain = await loadLicenseTokenTx(db(), deployment.licenses[0]!.id);
      const verified = await verifyLicense(plain!);
      expect(verified).toMatchObject({ ok: true, claims: { deploymentId: deployment.id, seats: 25 } });

      // A migration that succeeded is not requested again.
      await expect(requestMigration(ctx, orgId, instanceId, input(`Again ${RUN}`))).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
      });
    },
  );
});
