// Webhook endpoints and deliveries against PostgreSQL and a real HTTP server on loopback (allowlisted here, as the
// local cloud is): signatures checked the way a receiver would, retries, final failures, dedupe, secrets at rest.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { resetEnvCache } from "@cp/config";
import { logger } from "@cp/config/logger";
import { decryptSecret } from "@cp/connectors";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServiceContext } from "../context";
import { deliverOutboxMessage, type MailTransport } from "../outbox/outbox";
import { webhookSecretContext } from "./deliver";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  sendTestWebhook,
} from "./endpoints";
import { queueWebhookEvent, type WebhookEvent } from "./queue";
import { verifyWebhookSignature } from "./signature";

const MAX_ATTEMPTS = 3;
const HUGE = -1;

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
}

/** A receiver: records every request and answers with the next queued status (200 when none is queued). */
function startReceiver() {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, rawBody: Buffer.concat(chunks).toString() });
      const next = statuses.shift() ?? 200;
      // HUGE: a 200 whose body is far longer than a delivery reads.
      const status = next === HUGE ? 200 : next;
      if (status >= 300 && status < 400)
        res.setHeader("location", "http://169.254.169.254/latest/meta-data/");
      res.writeHead(status).end(next === HUGE ? "x".repeat(200 * 1024) : status < 300 ? "ok" : "no");
    });
  });
  return new Promise<{
    base: string;
    received: Received[];
    statuses: number[];
    close: () => Promise<void>;
  }>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        base: `http://127.0.0.1:${port}`,
        received,
        statuses,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const noMail: MailTransport = {
  sendMail: () => Promise.reject(new Error("no mail in this test")),
};

beforeAll(async () => {
  vi.stubEnv("CP_ALLOWED_PRIVATE_HOSTS", "127.0.0.1");
  vi.stubEnv("CP_OUTBOX_MAX_ATTEMPTS", String(MAX_ATTEMPTS));
  resetEnvCache();
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await closeQueues();
  await closeSharedRedis();
  vi.unstubAllEnvs();
  resetEnvCache();
});

beforeEach(() => {
  receiver.statuses.length = 0;
});

async function orgWithAdmin() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Hooks ${suffix}`, slug: `hooks-${suffix}`, plan: "dedicated" },
  });
  const user = await db().user.create({ data: { email: `hooks-${suffix}@example.com` } });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  const ctx: ServiceContext = {
    actor: {
      userId: user.id,
      email: user.email,
      staffRole: "none",
      memberships: [{ orgId: org.id, role: "admin" }],
    },
    ip: "203.0.113.9",
    userAgent: "test",
    requestId: randomUUID(),
    log: logger(),
  };
  return { orgId: org.id, ctx };
}

async function sreContext(): Promise<ServiceContext> {
  const user = await db().user.create({
    data: { email: `sre-${randomUUID().slice(0, 8)}@example.com`, staffRole: "sre" },
  });
  return {
    actor: { userId: user.id, email: user.email, staffRole: "sre", memberships: [] },
    ip: "203.0.113.9",
    userAgent: "test",
    requestId: randomUUID(),
    log: logger(),
  };
}

/** Each endpoint gets its own path, so requests are told apart by endpoint. */
const hookUrl = () => `${receiver.base}/hook/${randomUUID()}`;
const requestsTo = (url: string) => receiver.received.filter((r) => url.endsWith(r.path));
const message = (id: string) => db().outboxMessage.findUniqueOrThrow({ where: { id } });
const makeDue = (id: string) =>
  db().outboxMessage.update({ where: { id }, data: { nextAttemptAt: new Date() } });
const deliver = (id: string) => deliverOutboxMessage(id, noMail);

function firing(orgId: string, overrides: Partial<WebhookEvent> = {}): WebhookEvent {
  return {
    type: "alert.firing",
    orgId,
    dedupeKey: `alert:${randomUUID()}:firing`,
    occurredAt: new Date("2026-11-27T12:00:00.000Z"),
    data: { alertId: "a1", rule: "database_cpu_high", value: 93.5 },
    ...overrides,
  };
}

describe("webhook endpoints", () => {
  it("returns the secret once, stores it only encrypted and bound to the endpoint, and never lists or audits it", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const { endpoint, secret } = await createWebhookEndpoint(ctx, {
      orgId,
      url: hookUrl(),
      description: " Pager bridge ",
      events: ["alert.firing", "alert.firing"],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(endpoint).toMatchObject({ orgId, description: "Pager bridge", events: ["alert.firing"] });

    const row = await db().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(row.secretCiphertext).not.toContain(secret);
    expect(row.secretCiphertext).not.toContain(secret.slice(6));
    expect(decryptSecret(row.secretCiphertext, { associatedData: webhookSecretContext(row.id) })).toBe(
      secret,
    );
    // Copied to another endpoint, the ciphertext is useless.
    expect(() =>
      decryptSecret(row.secretCiphertext, { associatedData: webhookSecretContext("other") }),
    ).toThrow(/altered, or it belongs to another record/);

    const listed = await listWebhookEndpoints({ orgId });
    expect(listed.map((e) => e.id)).toEqual([endpoint.id]);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(row.secretCiphertext);
    expect(Object.keys(listed[0]!)).not.toContain("secretCiphertext");

    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "webhook.create", targetId: endpoint.id },
    });
    expect(audit).toMatchObject({ orgId, actorId: ctx.actor.userId, ip: "203.0.113.9" });
    expect(JSON.stringify(audit)).not.toContain(secret);

    // Fleet-wide endpoints are a separate scope.
    expect((await listWebhookEndpoints({ orgId: null })).map((e) => e.id)).not.toContain(endpoint.id);
  });

  it("refuses URLs that are not https to a public or allowed host, naming the url field and the fix", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const attempt = (url: string) =>
      createWebhookEndpoint(ctx, { orgId, url, description: "", events: [] }).then(
        () => null,
        (err: unknown) => err as { code: string; field: string; message: string },
      );
    expect(await attempt("http://93.184.216.34/hook")).toMatchObject({
      code: "BAD_REQUEST",
      field: "url",
      message: expect.stringMatching(/^url: use https:\/\/ .*CP_ALLOWED_PRIVATE_HOSTS/),
    });
    expect(await attempt("https://10.1.2.3/hook")).toMatchObject({
      field: "url",
      message: expect.stringMatching(/^url: 10\.1\.2\.3 is a private network address\. Use a public address/),
    });
    expect(await attempt("https://169.254.169.254/latest")).toMatchObject({
      message: expect.stringContaining("cloud metadata service"),
    });
    expect(await attempt("ftp://93.184.216.34/")).toMatchObject({ field: "url" });
    expect(await attempt("https://user:pw@93.184.216.34/")).toMatchObject({
      message: expect.not.stringContaining("pw"),
    });
    expect(await attempt("https://93.184.216.34/hook#x")).toMatchObject({
      message: "url: remove the #fragment; it is never sent to the server.",
    });
    // Public https is accepted (no connection is made when it is created).
    expect(await attempt("https://93.184.216.34/hook")).toBeNull();
    expect(await db().webhookEndpoint.count({ where: { orgId } })).toBe(1);
  });

  it("deletes an endpoint of its own scope only, and fails the deliveries still queued for it", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const other = await orgWithAdmin();
    const { endpoint } = await createWebhookEndpoint(ctx, {
      orgId,
      url: hookUrl(),
      description: "",
      events: [],
    });
    const [queued] = await queueWebhookEvent(db(), firing(orgId));

    const foreign = deleteWebhookEndpoint(other.ctx, { orgId: other.orgId, webhookId: endpoint.id });
    await expect(foreign).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(deleteWebhookEndpoint(ctx, { orgId: null, webhookId: endpoint.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    await expect(deleteWebhookEndpoint(ctx, { orgId, webhookId: endpoint.id })).resolves.toEqual({
      ok: true,
    });
    expect(await db().webhookEndpoint.count({ where: { id: endpoint.id } })).toBe(0);
    expect(await message(queued!)).toMatchObject({
      status: "failed",
      lastError: "The webhook endpoint was deleted.",
    });
    await expect(deliver(queued!)).resolves.toBe("skipped");
    expect(await db().auditEvent.count({ where: { action: "webhook.delete", targetId: endpoint.id } })).toBe(
      1,
    );
  });
});

describe("queueWebhookEvent", () => {
  it("queues one message per enabled endpoint that wants the event: the org's and the fleet-wide ones", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const other = await orgWithAdmin();
    const sre = await sreContext();
    const all = await createWebhookEndpoint(ctx, { orgId, url: hookUrl(), description: "", events: [] });
    const firingOnly = await createWebhookEndpoint(ctx, {
      orgId,
      url: hookUrl(),
      description: "",
      events: ["alert.firing"],
    });
    const resolvedOnly = await createWebhookEndpoint(ctx, {
      orgId,
      url: hookUrl(),
      description: "",
      events: ["alert.resolved"],
    });
    const disabled = await createWebhookEndpoint(ctx, { orgId, url: hookUrl(), description: "", events: [] });
    await db().webhookEndpoint.update({ where: { id: disabled.endpoint.id }, data: { enabled: false } });
    const otherOrg = await createWebhookEndpoint(other.ctx, {
      orgId: other.orgId,
      url: hookUrl(),
      description: "",
      events: [],
    });
    const fleet = await createWebhookEndpoint(sre, {
      orgId: null,
      url: hookUrl(),
      description: "",
      events: [],
    });

    try {
      const event = firing(orgId);
      const ids = await db().$transaction((tx) => queueWebhookEvent(tx, event));
      const rows = await db().outboxMessage.findMany({ where: { id: { in: ids } } });
      const targets = rows.map((r) => r.webhookId).sort();
      expect(targets).toEqual([all.endpoint.id, firingOnly.endpoint.id, fleet.endpoint.id].sort());
      for (const r of rows) {
        expect(r).toMatchObject({
          channel: "webhook",
          status: "pending",
          orgId,
          dedupeKey: `${event.dedupeKey}:${r.webhookId}`,
          payload: {
            id: r.id,
            type: "alert.firing",
            occurredAt: "2026-11-27T12:00:00.000Z",
            data: event.data,
          },
        });
      }
      for (const e of [resolvedOnly, disabled, otherOrg]) {
        expect(await db().outboxMessage.count({ where: { webhookId: e.endpoint.id } })).toBe(0);
      }

      // The same cause again (a retried evaluation): nothing new.
      await expect(queueWebhookEvent(db(), event)).resolves.toEqual([]);
      expect(await db().outboxMessage.count({ where: { dedupeKey: { startsWith: event.dedupeKey } } })).toBe(
        3,
      );
    } finally {
      // Fleet-wide endpoints receive every org's events: leave none behind for the other tests.
      await deleteWebhookEndpoint(sre, { orgId: null, webhookId: fleet.endpoint.id });
    }
  });
});

describe("webhook delivery", () => {
  it("POSTs the payload as JSON with event, delivery id and a signature a receiver verifies", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const url = hookUrl();
    const { endpoint, secret } = await createWebhookEndpoint(ctx, {
      orgId,
      url,
      description: "",
      events: [],
    });
    const [id] = await queueWebhookEvent(db(), firing(orgId));

    const before = Math.floor(Date.now() / 1000);
    await expect(deliver(id!)).resolves.toBe("sent");
    const got = requestsTo(url);
    expect(got).toHaveLength(1);
    const req = got[0]!;
    expect(req.headers).toMatchObject({
      "content-type": "application/json",
      "x-cp-event": "alert.firing",
      "x-cp-delivery": id,
    });
    const signature = req.headers["x-cp-signature"] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(Number(/^t=(\d+)/.exec(signature)![1])).toBeGreaterThanOrEqual(before);
    expect(verifyWebhookSignature(secret, signature, req.rawBody, 300)).toBe(true);
    expect(verifyWebhookSignature(secret, signature, req.rawBody.replace("93.5", "9.5"), 300)).toBe(false);
    expect(JSON.parse(req.rawBody)).toEqual({
      id,
      type: "alert.firing",
      occurredAt: "2026-11-27T12:00:00.000Z",
      data: { alertId: "a1", rule: "database_cpu_high", value: 93.5 },
    });
    expect(req.rawBody).not.toContain(secret);

    expect(await message(id!)).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    const ep = await db().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(ep.lastStatus).toBe("HTTP 200");
    expect(ep.lastDeliveryAt).toBeInstanceOf(Date);

    // Delivered once: a second delivery of the same message sends nothing.
    await expect(deliver(id!)).resolves.toBe("skipped");
    expect(requestsTo(url)).toHaveLength(1);
  });

  it("retries on 500, 429 and 408 with backoff, keeps the delivery id, and succeeds when the receiver recovers", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const url = hookUrl();
    const { endpoint, secret } = await createWebhookEndpoint(ctx, {
      orgId,
      url,
      description: "",
      events: [],
    });
    const [id] = await queueWebhookEvent(db(), firing(orgId));

    receiver.statuses.push(500);
    const before = Date.now();
    await expect(deliver(id!)).resolves.toBe("retry");
    let m = await message(id!);
    expect(m).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: "HTTP 500 from the endpoint; retrying later.",
    });
    expect(m.nextAttemptAt.getTime()).toBeGreaterThan(before);
    expect((await db().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).lastStatus).toBe(
      "HTTP 500",
    );
    // Not due yet.
    await expect(deliver(id!)).resolves.toBe("skipped");

    await makeDue(id!);
    receiver.statuses.push(429);
    await expect(deliver(id!)).resolves.toBe("retry");
    m = await message(id!);
    expect(m.attempts).toBe(2);

    await makeDue(id!);
    await expect(deliver(id!)).resolves.toBe("sent");
    const got = requestsTo(url);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers["x-cp-delivery"]))).toEqual(new Set([id]));
    expect(new Set(got.map((r) => r.rawBody)).size).toBe(1);
    for (const r of got) {
      expect(verifyWebhookSignature(secret, r.headers["x-cp-signature"] as string, r.rawBody, 300)).toBe(
        true,
      );
    }
    expect(await message(id!)).toMatchObject({ status: "sent", attempts: 3, lastError: null });

    // 408 is retried too, and after CP_OUTBOX_MAX_ATTEMPTS the message fails for good.
    const [next] = await queueWebhookEvent(db(), firing(orgId));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      receiver.statuses.push(attempt === 1 ? 408 : 503);
      await expect(deliver(next!)).resolves.toBe(attempt < MAX_ATTEMPTS ? "retry" : "failed");
      await makeDue(next!);
    }
    expect(await message(next!)).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    await expect(deliver(next!)).resolves.toBe("skipped");
  });

  it("fails at once on a 4xx, on a redirect (not followed) and on an answer too long to read", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const url = hookUrl();
    const { endpoint } = await createWebhookEndpoint(ctx, { orgId, url, description: "", events: [] });

    const [rejected] = await queueWebhookEvent(db(), firing(orgId));
    receiver.statuses.push(400);
    await expect(deliver(rejected!)).resolves.toBe("failed");
    expect(await message(rejected!)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: "HTTP 400: the endpoint refused the delivery.",
    });
    expect((await db().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).lastStatus).toBe(
      "HTTP 400",
    );

    const [redirected] = await queueWebhookEvent(db(), firing(orgId));
    receiver.statuses.push(302);
    await expect(deliver(redirected!)).resolves.toBe("failed");
    expect((await message(redirected!)).lastError).toMatch(/^HTTP 302: redirects are not followed/);
    // One request per message: nothing went to the redirect's (metadata service) location.
    expect(requestsTo(url)).toHaveLength(2);

    // An answer too long to read: the receiver has the event, so it is not sent again.
    const [chatty] = await queueWebhookEvent(db(), firing(orgId));
    receiver.statuses.push(HUGE);
    await expect(deliver(chatty!)).resolves.toBe("failed");
    expect((await message(chatty!)).lastError).toMatch(/answer is too long/);
  });

  it("retries when the endpoint cannot be reached", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const closed = await startReceiver();
    await closed.close(); // a port nothing listens on any more
    const { endpoint } = await createWebhookEndpoint(ctx, {
      orgId,
      url: `${closed.base}/gone`,
      description: "",
      events: [],
    });
    const [id] = await queueWebhookEvent(db(), firing(orgId));
    await expect(deliver(id!)).resolves.toBe("retry");
    expect((await message(id!)).lastError).toMatch(/could not be reached: the connection was refused/);
    expect((await db().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).lastStatus).toBe(
      "unreachable",
    );
  });

  it("gives up on an endpoint that does not answer in time, and retries later", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const hanging = http.createServer(() => {
      // Reads the request, never answers.
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = hanging.address() as AddressInfo;
      const { endpoint } = await createWebhookEndpoint(ctx, {
        orgId,
        url: `http://127.0.0.1:${port}/slow`,
        description: "",
        events: [],
      });
      const [id] = await queueWebhookEvent(db(), firing(orgId));
      const started = Date.now();
      await expect(deliverOutboxMessage(id!, noMail, { webhook: { timeoutMs: 300 } })).resolves.toBe("retry");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await message(id!)).lastError).toMatch(/could not be reached: no complete answer within 0.3 s/);
      expect((await db().webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).lastStatus).toBe(
        "timeout",
      );
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it("signs with the new secret after a rotation, including deliveries queued before it", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const url = hookUrl();
    const { endpoint, secret: old } = await createWebhookEndpoint(ctx, {
      orgId,
      url,
      description: "",
      events: [],
    });
    const [id] = await queueWebhookEvent(db(), firing(orgId));

    const { secret } = await rotateWebhookSecret(ctx, { orgId, webhookId: endpoint.id });
    expect(secret).not.toBe(old);
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "webhook.rotate_secret", targetId: endpoint.id },
    });
    expect(JSON.stringify(audit)).not.toContain(secret);

    await expect(deliver(id!)).resolves.toBe("sent");
    const req = requestsTo(url)[0]!;
    const signature = req.headers["x-cp-signature"] as string;
    expect(verifyWebhookSignature(secret, signature, req.rawBody, 300)).toBe(true);
    expect(verifyWebhookSignature(old, signature, req.rawBody, 300)).toBe(false);
  });

  it("sends a test delivery on request, for an org's and for a fleet-wide endpoint", async () => {
    const { orgId, ctx } = await orgWithAdmin();
    const url = hookUrl();
    const { endpoint, secret } = await createWebhookEndpoint(ctx, {
      orgId,
      url,
      description: "",
      events: [],
    });
    const { deliveryId } = await sendTestWebhook(ctx, { orgId, webhookId: endpoint.id });
    await expect(deliver(deliveryId)).resolves.toBe("sent");
    const req = requestsTo(url)[0]!;
    expect(req.headers["x-cp-event"]).toBe("webhook.test");
    expect(JSON.parse(req.rawBody)).toMatchObject({
      id: deliveryId,
      type: "webhook.test",
      data: { endpointId: endpoint.id },
    });
    expect(verifyWebhookSignature(secret, req.headers["x-cp-signature"] as string, req.rawBody, 300)).toBe(
      true,
    );
    expect(await db().auditEvent.count({ where: { action: "webhook.test", targetId: endpoint.id } })).toBe(1);

    const sre = await sreContext();
    const fleetUrl = hookUrl();
    const fleet = await createWebhookEndpoint(sre, {
      orgId: null,
      url: fleetUrl,
      description: "",
      events: [],
    });
    try {
      await expect(sendTestWebhook(ctx, { orgId, webhookId: fleet.endpoint.id })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      const test = await sendTestWebhook(sre, { orgId: null, webhookId: fleet.endpoint.id });
      await expect(deliver(test.deliveryId)).resolves.toBe("sent");
      expect(requestsTo(fleetUrl)).toHaveLength(1);
    } finally {
      await deleteWebhookEndpoint(sre, { orgId: null, webhookId: fleet.endpoint.id });
    }
  });
});
