import { createServer } from "node:net";
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from "@aws-sdk/client-s3";
import { resetEnvCache } from "@cp/config";
import { logger } from "@cp/config/logger";
import type { OrderInput } from "@cp/core";
import { decryptSecret } from "@cp/connectors";
import { db } from "@cp/db";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "../context";
import { getInstance } from "./instance-actions";
import { orderInstance } from "./order-instance";

/* eslint-disable no-restricted-properties -- the test allowlists its own loopback servers */
const S3_ENDPOINT = "http://127.0.0.1:59000";
let issuer = "";
let closeOidc: () => void = () => {};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  process.env.CP_ALLOWED_PRIVATE_HOSTS = "127.0.0.1";
  resetEnvCache();
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "tenant",
        client_secret: "s",
        redirect_uris: ["http://127.0.0.1/cb"],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    pkce: { required: () => true },
  });
  const server = provider.listen(port, "127.0.0.1");
  closeOidc = () => server.close();
});
afterAll(() => closeOidc());

async function orgWithAdmin(
  opts: { plan?: "dedicated" | "saas"; quota?: number; staffRole?: "none" | "sre" } = {},
) {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: {
      name: `Order ${suffix}`,
      slug: `order-${suffix}`,
      plan: opts.plan ?? "dedicated",
      instanceQuota: opts.quota ?? 10,
    },
  });
  const user = await db().user.create({
    data: { email: `admin-${suffix}@example.com`, staffRole: opts.staffRole ?? "none" },
  });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  const ctx: ServiceContext = {
    actor: {
      userId: user.id,
      email: user.email,
      staffRole: opts.staffRole ?? "none",
      memberships: [{ orgId: org.id, role: "admin" }],
    },
    ip: "203.0.113.9",
    userAgent: "test",
    requestId: randomUUID(),
    log: logger(),
  };
  return { org, ctx, suffix };
}

function order(sub: string, overrides: Partial<OrderInput> = {}): OrderInput {
  return {
    cloud: "local",
    region: "local",
    size: "small",
    mysqlVersion: "8.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
    name: `Instance ${sub}`,
    subdomain: sub,
    ipAllowlist: [],
    ...overrides,
  };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: { code?: string }) => e.code ?? String(e),
  );

describe("orderInstance", () => {
  it("places one order for a double submit with the same idempotency key", async () => {
    const { org, ctx, suffix } = await orgWithAdmin();
    const key = randomUUID();
    const [a, b] = await Promise.all([
      orderInstance(ctx, { orgId: org.id, idempotencyKey: key, order: order(`dbl-${suffix}`) }),
      orderInstance(ctx, { orgId: org.id, idempotencyKey: key, order: order(`dbl-${suffix}`) }),
    ]);
    expect(a.instanceId).toBe(b.instanceId);
    expect(await db().instance.count({ where: { orgId: org.id } })).toBe(1);
    expect(await db().operation.count({ where: { instance: { orgId: org.id }, kind: "provision" } })).toBe(1);
    expect(await db().auditEvent.count({ where: { orgId: org.id, action: "instance.order" } })).toBe(1);
  });

  it("explains the quota, the plan and a taken subdomain", async () => {
    const { org, ctx, suffix } = await orgWithAdmin({ quota: 1 });
    await orderInstance(ctx, { orgId: org.id, idempotencyKey: randomUUID(), order: order(`q1-${suffix}`) });
    await expect(
      orderInstance(ctx, { orgId: org.id, idempotencyKey: randomUUID(), order: order(`q2-${suffix}`) }),
    ).rejects.toThrow(/reached its quota of 1 dedicated instance/);
    const saas = await orgWithAdmin({ plan: "saas" });
    await expect(
      orderInstance(saas.ctx, {
        orgId: saas.org.id,
        idempotencyKey: randomUUID(),
        order: order(`s-${saas.suffix}`),
      }),
    ).rejects.toThrow(/Dedicated plan/);
    const other = await orgWithAdmin();
    const taken = orderInstance(other.ctx, {
      orgId: other.org.id,
      idempotencyKey: randomUUID(),
      order: order(`q1-${suffix}`),
    });
    await expect(taken).rejects.toMatchObject({ code: "CONFLICT", field: "subdomain" });
  });

  it("keeps the OIDC client secret encrypted at rest and never returns it", async () => {
    const { org, ctx, suffix } = await orgWithAdmin();
    const secret = `client-secret-${randomUUID()}`;
    const r = await orderInstance(ctx, {
      orgId: org.id,
      idempotencyKey: randomUUID(),
      order: order(`sso-${suffix}`, {
        sso: { mode: "oidc", issuer, clientId: "tenant", clientSecret: secret, flow: "pkce" },
      }),
    });
    const row = await db().instanceSecret.findUniqueOrThrow({
      where: { instanceId_name: { instanceId: r.instanceId, name: "sso.clientSecret" } },
    });
    expect(row.ciphertext).not.toContain(secret);
    expect(row.ciphertext).toMatch(/^v1\./);
    expect(decryptSecret(row.ciphertext, { associatedData: `${r.instanceId}:sso.clientSecret` })).toBe(
      secret,
    );
    const inst = await db().instance.findUniqueOrThrow({ where: { id: r.instanceId } });
    expect(JSON.stringify(inst)).not.toContain(secret);
    expect(JSON.stringify(await getInstance(ctx.actor, org.id, r.instanceId))).not.toContain(secret);
    const audit = await db().auditEvent.findMany({ where: { targetId: r.instanceId } });
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it("refuses an OIDC issuer that does not answer discovery, naming the field", async () => {
    const { org, ctx, suffix } = await orgWithAdmin();
    const bad = orderInstance(ctx, {
      orgId: org.id,
      idempotencyKey: randomUUID(),
      order: order(`badsso-${suffix}`, {
        sso: {
          mode: "oidc",
          issuer: "http://127.0.0.1:9/nothing",
          clientId: "x",
          clientSecret: "y",
          flow: "pkce",
        },
      }),
    });
    await expect(bad).rejects.toMatchObject({ code: "BAD_REQUEST", field: "sso.issuer" });
    expect(await db().instance.count({ where: { orgId: org.id } })).toBe(0);
  });

  it("runs the BYOB checks: a missing bucket blocks; warnings need staff to accept them", async () => {
    const s3 = new S3Client({
      endpoint: S3_ENDPOINT,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    const { org, ctx, suffix } = await orgWithAdmin();
    const bucket = `byob-${suffix}`;
    const byob = (name: string): OrderInput["storage"] => ({
      mode: "byob",
      bucket: name,
      region: "us-east-1",
      endpoint: S3_ENDPOINT,
      access: { kind: "keys", accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    const missing = orderInstance(ctx, {
      orgId: org.id,
      idempotencyKey: randomUUID(),
      order: order(`byob0-${suffix}`, { storage: byob(`nope-${suffix}`) }),
    });
    await expect(missing).rejects.toMatchObject({ code: "BAD_REQUEST" });

    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedMethods: ["GET", "HEAD", "PUT"],
              AllowedOrigins: ["*"],
              AllowedHeaders: ["*"],
              ExposeHeaders: ["ETag"],
            },
          ],
        },
      }),
    );
    // s3rver cannot answer versioning and encryption questions: a customer cannot accept that on their own.
    const customer = orderInstance(ctx, {
      orgId: org.id,
      idempotencyKey: randomUUID(),
      order: order(`byob1-${suffix}`, { storage: byob(bucket) }),
    });
    await expect(customer).rejects.toMatchObject({ code: "PRECONDITION_FAILED", field: "storage" });
    expect(await codeOf(customer)).toBe("PRECONDITION_FAILED");

    const sre = { ...ctx, actor: { ...ctx.actor, staffRole: "sre" as const } };
    const placed = await orderInstance(sre, {
      orgId: org.id,
      idempotencyKey: randomUUID(),
      acceptWarnings: true,
      order: order(`byob2-${suffix}`, { storage: byob(bucket) }),
    });
    const inst = await db().instance.findUniqueOrThrow({ where: { id: placed.instanceId } });
    const checks = inst.checks as {
      warnings: number;
      acceptedBy: string;
      items: { id: string; status: string }[];
    };
    expect(checks.warnings).toBeGreaterThan(0);
    expect(checks.acceptedBy).toBe(ctx.actor.email);
    expect(checks.items.find((c) => c.status === "failed")).toBeUndefined();
    const key = await db().instanceSecret.findUniqueOrThrow({
      where: { instanceId_name: { instanceId: inst.id, name: "storage.secretAccessKey" } },
    });
    expect(decryptSecret(key.ciphertext, { associatedData: `${inst.id}:storage.secretAccessKey` })).toBe(
      "S3RVER",
    );
  });
});
