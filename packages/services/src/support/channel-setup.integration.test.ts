// Support channel setup and channel posts against a fake Slack Web API server, with the real @slack/web-api client
// and the real operation runner and outbox delivery. Assertions are about the product's outcome (one channel, one
// post, what is stored), not about the client library's own retries (it has none here).
import { randomUUID } from "node:crypto";
import { resetEnvCache } from "@cp/config";
import { logger } from "@cp/config/logger";
import { supportChannelName, type Actor } from "@cp/core";
import { FakeSlack } from "@cp/connectors/testing";
import { db } from "@cp/db";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestInstance } from "../testing/instances";
import { ensureDefaultAlertRules } from "../alerts/alert-rules";
import { evaluateAlerts } from "../alerts/evaluate-alerts";
import type { ServiceContext } from "../context";
import { processInstanceQueue } from "../operations/run-operation";
import { ScriptedEngine } from "../operations/testing/scripted-engine";
import { deliverOutboxMessage, type MailTransport } from "../outbox/outbox";
import { setSupportAssignment } from "./assignments";
import { requestChannelSetup } from "./channel-setup";

let fake: FakeSlack;
let staffCtx: ServiceContext;
let supportUser: { id: string; email: string };
const deps = { engines: { local: new ScriptedEngine() }, workerId: "channel-test" };
const noMail: MailTransport = {
  sendMail: () => Promise.reject(new Error("no mail in this test")),
};

/* eslint-disable no-restricted-properties -- the test points the Slack configuration at the fake server */
function useSlack(on: boolean) {
  if (on) {
    process.env.SLACK_BOT_TOKEN = fake.token;
    process.env.SLACK_API_URL = fake.apiUrl;
  } else {
    delete process.env.SLACK_BOT_TOKEN;
  }
  resetEnvCache();
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  Object.assign(process.env, { CP_OPERATION_HEARTBEAT_MS: "50", CP_OPERATION_MAX_ATTEMPTS: "5" });
  process.env.SLACK_CONNECT_INVITES = "true";
  supportUser = await db().user.create({
    data: { email: `support-${randomUUID().slice(0, 8)}@provider.example`, staffRole: "support" },
  });
  const actor: Actor = {
    userId: supportUser.id,
    email: supportUser.email,
    staffRole: "support",
    memberships: [],
  };
  staffCtx = { actor, ip: "203.0.113.9", userAgent: "test", requestId: randomUUID(), log: logger() };
});
afterAll(async () => {
  useSlack(false);
  await fake.stop();
});
beforeEach(() => useSlack(true));
/* eslint-enable no-restricted-properties */

async function world() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Chan ${suffix}`, slug: `chan-${suffix}`, plan: "dedicated" },
  });
  const admin = await db().user.create({ data: { email: `admin-${suffix}@customer.example` } });
  const member = await db().user.create({ data: { email: `member-${suffix}@customer.example` } });
  await db().membership.create({ data: { orgId: org.id, userId: admin.id, role: "admin" } });
  await db().membership.create({ data: { orgId: org.id, userId: member.id, role: "member" } });
  await db().supportAssignment.create({ data: { orgId: org.id, role: "primary", userId: supportUser.id } });
  const instance = await createTestInstance(org.id, `inst-${suffix}`, {
    url: `https://inst-${suffix}.example.test`,
    version: "1.2.3",
  });
  return { org, admin, member, instance, channelName: supportChannelName(org.slug, instance.slug) };
}

/** Runs the instance's queue until its operations are done, making retries due at once (up to `rounds`). */
async function runOperations(instanceId: string, rounds = 6) {
  for (let n = 0; n < rounds; n++) {
    await processInstanceQueue(instanceId, deps);
    const waiting = await db().operation.findMany({ where: { instanceId, status: "queued" } });
    if (waiting.length === 0) return;
    await db().operation.updateMany({
      where: { instanceId, status: "queued" },
      data: { notBefore: new Date() },
    });
  }
}

async function setUp(w: { org: { id: string }; instance: { id: string } }) {
  const { operationId } = await requestChannelSetup(staffCtx, { orgId: w.org.id, instanceId: w.instance.id });
  await runOperations(w.instance.id);
  return db().operation.findUniqueOrThrow({ where: { id: operationId } });
}

/** Delivers the instance's pending Slack posts once each; returns the results. */
async function deliverPosts(instanceId: string) {
  const posts = await db().channelPost.findMany({ where: { instanceId }, select: { id: true } });
  const msgs = await db().outboxMessage.findMany({
    where: { dedupeKey: { in: posts.map((p) => `slack:${p.id}`) }, status: "pending" },
    orderBy: { createdAt: "asc" },
  });
  const results = [];
  for (const m of msgs) {
    await db().outboxMessage.update({ where: { id: m.id }, data: { nextAttemptAt: new Date() } });
    results.push(await deliverOutboxMessage(m.id, noMail));
  }
  return results;
}

const channelOf = (instanceId: string) => db().supportChannel.findUniqueOrThrow({ where: { instanceId } });

describe("channel setup with Slack", () => {
  it("creates one channel with topic and invitations, and stays one channel across a lost answer and reruns", async () => {
    const w = await world();
    const staffSlackId = fake.addUser(supportUser.email);
    // The channel is created, but the answer never arrives: the retry must find it, not make a second one.
    fake.dropResponseNext("conversations.create");
    const op = await setUp(w);
    expect(op).toMatchObject({ status: "succeeded", attempts: 2 });
    const channels = fake.channels.filter((c) => c.name === w.channelName);
    expect(channels).toHaveLength(1);
    const stored = await channelOf(w.instance.id);
    expect(stored).toMatchObject({ provider: "slack", externalId: channels[0]!.id, name: w.channelName });
    expect(stored.readyAt).not.toBeNull();
    expect(channels[0]!.topic).toContain(w.instance.url!);
    expect(channels[0]!.topic).toContain("local local");
    expect(channels[0]!.topic).toContain("1.2.3");
    expect(channels[0]!.members).toContain(staffSlackId);
    expect(fake.sharedInvites.filter((i) => i.channel === channels[0]!.id).map((i) => i.email)).toEqual([
      w.admin.email,
    ]);

    // Asked again (e.g. by support): same channel, no second invitation, no second announcement.
    const again = await setUp(w);
    expect(again.status).toBe("succeeded");
    expect(fake.channels.filter((c) => c.name === w.channelName)).toHaveLength(1);
    expect(fake.sharedInvites.filter((i) => i.channel === channels[0]!.id)).toHaveLength(1);
    expect(await deliverPosts(w.instance.id)).toEqual(["sent"]);
    expect(await deliverPosts(w.instance.id)).toEqual([]);
    const messages = fake.messagesIn(channels[0]!.id);
    expect(messages.map((m) => m.text)).toEqual([`Support channel for ${w.instance.name} is ready.`]);
    const post = await db().channelPost.findUniqueOrThrow({ where: { dedupeKey: `setup:${w.instance.id}` } });
    expect(post).toMatchObject({ externalTs: messages[0]!.ts, channelId: stored.id });
    expect(messages[0]!.metadata).toEqual({
      event_type: "cp_channel_post",
      event_payload: { postId: post.id },
    });
  });

  it("is idempotent while a setup is queued, and audits the request", async () => {
    const w = await world();
    const a = await requestChannelSetup(staffCtx, { orgId: w.org.id, instanceId: w.instance.id });
    const b = await requestChannelSetup(staffCtx, { orgId: w.org.id, instanceId: w.instance.id });
    expect(a.created).toBe(true);
    expect(b).toEqual({ operationId: a.operationId, created: false });
    expect(
      await db().auditEvent.count({ where: { action: "support_channel.setup", targetId: w.instance.id } }),
    ).toBe(1);
    const customer: ServiceContext = {
      ...staffCtx,
      actor: {
        userId: w.admin.id,
        email: w.admin.email,
        staffRole: "none",
        memberships: [{ orgId: w.org.id, role: "admin" }],
      },
    };
    await expect(
      requestChannelSetup(customer, { orgId: w.org.id, instanceId: w.instance.id }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await runOperations(w.instance.id);
  });

  it("a newly assigned support engineer is invited to the org's channels by a setup run", async () => {
    const w = await world();
    await setUp(w);
    const sre = await db().user.create({
      data: { email: `sre-${randomUUID().slice(0, 8)}@provider.example`, staffRole: "sre" },
    });
    const sreSlackId = fake.addUser(sre.email);
    const admin: ServiceContext = {
      ...staffCtx,
      actor: { userId: sre.id, email: sre.email, staffRole: "sre", memberships: [] },
    };
    await setSupportAssignment(admin, { orgId: w.org.id, role: "secondary", userId: sre.id });
    const queued = await db().operation.findMany({
      where: { instanceId: w.instance.id, kind: "channel_setup", status: "queued" },
    });
    expect(queued).toHaveLength(1);
    await runOperations(w.instance.id);
    const { externalId } = await channelOf(w.instance.id);
    expect(fake.channels.find((c) => c.id === externalId)?.members).toContain(sreSlackId);
    // The same assignment again queues nothing.
    await setSupportAssignment(admin, { orgId: w.org.id, role: "secondary", userId: sre.id });
    expect(
      await db().operation.count({
        where: { instanceId: w.instance.id, kind: "channel_setup", status: "queued" },
      }),
    ).toBe(0);
  });

  it("reuses a channel that already has the name (name_taken)", async () => {
    const w = await world();
    const existing = fake.addChannel(w.channelName);
    const op = await setUp(w);
    expect(op.status).toBe("succeeded");
    expect(fake.channels.filter((c) => c.name === w.channelName)).toHaveLength(1);
    expect((await channelOf(w.instance.id)).externalId).toBe(existing.id);
    expect(existing.topic).toContain(w.instance.url!);
  });

  it("finds a renamed channel by its id, and unarchives an archived one", async () => {
    const w = await world();
    await setUp(w);
    const { externalId } = await channelOf(w.instance.id);
    fake.rename(externalId!, "customer-renamed-it");
    const creates = fake.callsOf("conversations.create");
    expect((await setUp(w)).status).toBe("succeeded");
    expect(fake.callsOf("conversations.create")).toBe(creates);
    expect(await channelOf(w.instance.id)).toMatchObject({ externalId, name: "customer-renamed-it" });

    fake.archive(externalId!);
    expect((await setUp(w)).status).toBe("succeeded");
    expect(fake.channels.find((c) => c.id === externalId)?.archived).toBe(false);
    expect(fake.callsOf("conversations.create")).toBe(creates);
  });

  it("waits out rate limits on create and postMessage: one channel, one post", async () => {
    const w = await world();
    fake.rateLimitNext("conversations.create", 2, 3);
    const { operationId } = await requestChannelSetup(staffCtx, {
      orgId: w.org.id,
      instanceId: w.instance.id,
    });
    const limited = () => fake.rateLimitedCalls.filter((m) => m === "conversations.create").length;
    const limitedBefore = limited();
    const started = Date.now();
    await processInstanceQueue(w.instance.id, deps);
    let op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
    // Back in the queue for Slack's Retry-After (3 s), not the runner's 2 s backoff, and not slept on: the step
    // made one call and returned (no wall-clock bound, which a loaded machine would break).
    expect(op.status).toBe("queued");
    expect(limited() - limitedBefore).toBe(1);
    expect(op.notBefore.getTime() - started).toBeGreaterThanOrEqual(2_900);
    expect(op.error).toBe("Slack asked us to wait 3 s (rate limited); retrying then.");
    // The wait gave its attempt back.
    expect(op.attempts).toBe(0);
    await runOperations(w.instance.id);
    op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
    expect(op).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(fake.channels.filter((c) => c.name === w.channelName)).toHaveLength(1);

    fake.rateLimitNext("chat.postMessage", 1, 5);
    const before = Date.now();
    expect(await deliverPosts(w.instance.id)).toEqual(["retry"]);
    const msg = await db().outboxMessage.findFirstOrThrow({
      where: { dedupeKey: { startsWith: "slack:" }, orgId: w.org.id },
    });
    expect(msg.nextAttemptAt.getTime() - before).toBeGreaterThanOrEqual(4_900);
    expect(await deliverPosts(w.instance.id)).toEqual(["sent"]);
    const { externalId } = await channelOf(w.instance.id);
    expect(fake.messagesIn(externalId!)).toHaveLength(1);
  });

  it("rate limits do not use up attempts: four in a row on create, still one channel", async () => {
    const w = await world();
    // More waits than the operation has attempts (5 here): only failures count.
    fake.rateLimitNext("conversations.create", 4, 1);
    const { operationId } = await requestChannelSetup(staffCtx, {
      orgId: w.org.id,
      instanceId: w.instance.id,
    });
    await runOperations(w.instance.id, 8);
    const op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
    expect(op).toMatchObject({ status: "succeeded", attempts: 1, params: { rateLimitWaits: 4 } });
    const waits = await db().operationLog.findMany({
      where: { operationId, message: { startsWith: "Slack asked us to wait" } },
    });
    expect(waits.map((l) => [l.level, l.message])).toEqual(
      Array(4).fill(["warn", "Slack asked us to wait 1 s (rate limited); retrying then."]),
    );
    expect(fake.channels.filter((c) => c.name === w.channelName)).toHaveLength(1);
    expect((await channelOf(w.instance.id)).externalId).toBe(fake.channelByName(w.channelName)!.id);
    expect(await deliverPosts(w.instance.id)).toEqual(["sent"]);
    expect(fake.messagesIn(fake.channelByName(w.channelName)!.id)).toHaveLength(1);
  });

  it("a rate limit that never lifts fails the setup after 20 waits, with a reason", async () => {
    const w = await world();
    fake.rateLimitNext("conversations.create", 100, 1);
    const { operationId } = await requestChannelSetup(staffCtx, {
      orgId: w.org.id,
      instanceId: w.instance.id,
    });
    await runOperations(w.instance.id, 30);
    fake.rateLimitNext("conversations.create", 0);
    const op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
    expect(op).toMatchObject({ status: "failed", attempts: 1, params: { rateLimitWaits: 20 } });
    expect(op.error).toBe(
      "Still rate limited after 20 waits (Slack rate-limited conversations.create); gave up. Try again later.",
    );
    expect(
      await db().operationLog.count({ where: { operationId, level: "error", message: op.error! } }),
    ).toBe(1);
    expect(fake.channels.filter((c) => c.name === w.channelName)).toHaveLength(0);
  });

  it("does not post twice when the answer to postMessage was lost", async () => {
    const w = await world();
    await setUp(w);
    fake.dropResponseNext("chat.postMessage");
    expect(await deliverPosts(w.instance.id)).toEqual(["retry"]);
    expect(await deliverPosts(w.instance.id)).toEqual(["sent"]);
    const { externalId } = await channelOf(w.instance.id);
    const messages = fake.messagesIn(externalId!);
    expect(messages).toHaveLength(1);
    const post = await db().channelPost.findUniqueOrThrow({ where: { dedupeKey: `setup:${w.instance.id}` } });
    expect(post.externalTs).toBe(messages[0]!.ts);
  });

  it("an alert for the instance lands in its channel once, even when it fired before the channel existed", async () => {
    const w = await world();
    await ensureDefaultAlertRules();
    const series = await db().metricSeries.create({
      data: { instanceId: w.instance.id, metric: "bucket_checks_ok" },
    });
    const t0 = Date.now();
    await db().$executeRaw`
      INSERT INTO metric_samples (series_id, ts, value) VALUES (${series.id}, ${new Date(t0).toISOString()}::timestamptz, 0)`;
    await evaluateAlerts(new Date(t0));
    await evaluateAlerts(new Date(t0 + 1000));
    const alert = await db().alert.findFirstOrThrow({ where: { instanceId: w.instance.id } });
    expect(alert.state).toBe("firing");
    const posts = await db().channelPost.findMany({ where: { instanceId: w.instance.id, kind: "alert" } });
    expect(posts.map((p) => p.dedupeKey)).toEqual([`alert:${alert.id}:firing`]);
    // No channel yet: the post waits, and that is not a failed attempt.
    expect(await deliverPosts(w.instance.id)).toEqual(["retry"]);
    const waiting = await db().outboxMessage.findFirstOrThrow({
      where: { dedupeKey: `slack:${posts[0]!.id}` },
    });
    expect(waiting).toMatchObject({ status: "pending", attempts: 0 });

    await setUp(w);
    expect(await deliverPosts(w.instance.id)).toEqual(["sent", "sent"]);
    await evaluateAlerts(new Date(t0 + 2000));
    expect(await deliverPosts(w.instance.id)).toEqual([]);
    const { externalId } = await channelOf(w.instance.id);
    const alertMessages = fake
      .messagesIn(externalId!)
      .filter((m) => m.metadata?.event_payload.postId === posts[0]!.id);
    expect(alertMessages).toHaveLength(1);
    expect(alertMessages[0]!.text).toContain("is firing on");
  });
});

describe("channel setup without Slack", () => {
  it("uses the console: the setup post becomes notifications for members and assigned staff", async () => {
    useSlack(false);
    const w = await world();
    const op = await setUp(w);
    expect(op.status).toBe("succeeded");
    const channel = await channelOf(w.instance.id);
    expect(channel).toMatchObject({ provider: "console", externalId: null, name: w.channelName });
    expect(channel.readyAt).not.toBeNull();
    const post = await db().channelPost.findUniqueOrThrow({ where: { dedupeKey: `setup:${w.instance.id}` } });
    expect(post.postedAt).not.toBeNull();
    const notes = await db().outboxMessage.findMany({
      where: { dedupeKey: { startsWith: `post:${post.id}:` } },
    });
    expect(notes.map((n) => n.userId).sort()).toEqual([w.admin.id, w.member.id, supportUser.id].sort());
    expect(notes.every((n) => n.channel === "console" && n.bodyText === post.text)).toBe(true);
    expect(await db().outboxMessage.count({ where: { dedupeKey: `slack:${post.id}` } })).toBe(0);
    // Run again: no second announcement.
    await setUp(w);
    expect(await db().outboxMessage.count({ where: { dedupeKey: { startsWith: `post:${post.id}:` } } })).toBe(
      3,
    );
  });
});
