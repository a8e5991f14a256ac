// Support channel setup survives a crashed worker (issue 7: "channel setup is idempotent across retries and a
// crash"): real worker processes with short leases, against a fake Slack Web API server in this process. A Slack call
// is held open after it has taken effect, the worker is SIGKILLed while it waits for the answer, and a second worker
// takes over (the reconciler resumes the operation once its lease expires; the outbox sweep re-sends a stuck post).
// The outcome is what a customer would see in Slack: one channel, one setup message.
import { randomBytes } from "node:crypto";
import { logger } from "@cp/config/logger";
import { supportChannelName } from "@cp/core";
import { FakeSlack, type HeldCall } from "@cp/connectors/testing";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import { requestChannelSetup, type ServiceContext } from "@cp/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./testing/wait";
import { killAllWorkers, startWorkerProcess, type WorkerProcess } from "./testing/worker-process";

const RUN = `sc${randomBytes(3).toString("hex")}`;

let fake: FakeSlack;
let staff: ServiceContext;
let org: { id: string; slug: string };

const workerEnv = () => ({
  CP_OPERATION_LEASE_MS: "3000",
  CP_OPERATION_HEARTBEAT_MS: "500",
  CP_RECONCILE_INTERVAL_MS: "1000",
  CP_OUTBOX_POLL_MS: "500",
  CP_LOG_LEVEL: "warn",
  SMTP_URL: "log:",
  SLACK_BOT_TOKEN: fake.token,
  SLACK_API_URL: fake.apiUrl,
});

beforeAll(async () => {
  fake = await new FakeSlack().start();
  const user = await db().user.create({
    data: { email: `support-${RUN}@provider.example`, name: "Support", staffRole: "support" },
  });
  staff = {
    actor: { userId: user.id, email: user.email, staffRole: "support", memberships: [] },
    ip: "127.0.0.1",
    userAgent: "vitest",
    requestId: `req-${RUN}`,
    log: logger(),
  };
  org = await db().organization.create({
    data: { name: `Support ${RUN}`, slug: `support-${RUN}`, plan: "dedicated" },
    select: { id: true, slug: true },
  });
  await db().supportAssignment.create({ data: { orgId: org.id, role: "primary", userId: user.id } });
  fake.addUser(user.email);
});

afterAll(async () => {
  await killAllWorkers();
  await fake.stop();
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
});

let serial = 0;

/**
 * An instance row made directly (no provisioning: the setup talks to Slack only). Stopped, so the workers' health
 * polls leave it alone and no alert is posted into its channel while the test counts messages.
 */
async function newInstance() {
  const slug = `${RUN}-i${++serial}`;
  const instance = await db().instance.create({
    data: {
      orgId: org.id,
      name: `Support ${slug}`,
      slug,
      cloud: "local",
      region: "local",
      size: "small",
      mysqlVersion: "8.0",
      storageMode: "provider",
      status: "stopped",
      url: `https://${slug}.example.test`,
      version: "1.2.3",
    },
  });
  return { instance, channelName: supportChannelName(org.slug, instance.slug) };
}

/** Waits for a promise with a deadline; the error carries what the workers printed. */
async function within<T>(
  what: string,
  p: Promise<T>,
  timeoutMs: number,
  workers: WorkerProcess[],
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${what}: not within ${timeoutMs} ms\n` +
              workers.map((w) => `--- ${w.name}\n${w.output().slice(-3000)}`).join("\n"),
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the operation and the workers were doing, for a timeout's message. */
async function describeSetup(operationId: string, workers: WorkerProcess[]): Promise<string> {
  const op = await db().operation.findUnique({
    where: { id: operationId },
    include: { logs: { orderBy: { at: "asc" } } },
  });
  return (
    `${JSON.stringify({ status: op?.status, attempts: op?.attempts, error: op?.error, lease: op?.leaseExpiresAt })}\n` +
    (op?.logs.map((l) => `  ${l.level} ${l.message}`).join("\n") ?? "") +
    "\n" +
    workers.map((w) => `--- ${w.name}\n${w.output().slice(-3000)}`).join("\n")
  );
}

async function waitForSucceeded(operationId: string, workers: WorkerProcess[]) {
  return waitFor(
    "the channel setup to succeed",
    async () => {
      const op = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
      if (op.status === "failed" || op.status === "cancelled")
        throw new Error(`the setup ended ${op.status}: ${await describeSetup(operationId, workers)}`);
      return op.status === "succeeded" ? op : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250, describe: () => describeSetup(operationId, workers) },
  );
}

/** The setup post once delivered to Slack (its ts recorded). */
async function waitForSetupPostSent(instanceId: string, workers: WorkerProcess[]) {
  return waitFor(
    "the setup post to be delivered to Slack",
    async () => {
      const post = await db().channelPost.findUnique({ where: { dedupeKey: `setup:${instanceId}` } });
      return post?.externalTs ? post : undefined;
    },
    {
      timeoutMs: 120_000,
      intervalMs: 250,
      describe: async () =>
        JSON.stringify(
          await db().outboxMessage.findMany({
            where: { dedupeKey: { startsWith: "slack:" }, orgId: org.id },
            select: { status: true, attempts: true, lastError: true, updatedAt: true },
          }),
        ) +
        "\n" +
        workers.map((w) => `--- ${w.name}\n${w.output().slice(-3000)}`).join("\n"),
    },
  );
}

const messagesOfPost = (channelId: string, postId: string) =>
  fake.messagesIn(channelId).filter((m) => m.metadata?.event_payload.postId === postId);

describe("support channel setup when the worker is killed mid-call", () => {
  it(
    "SIGKILL while conversations.setTopic is unanswered: another worker resumes it, one channel, one setup post",
    { timeout: 300_000 },
    async () => {
      const { instance, channelName } = await newInstance();
      const workers: WorkerProcess[] = [];
      try {
        // Our instance's topic call (the topic starts with its name): it is set in Slack, the answer never comes.
        const held = fake.holdNext("conversations.setTopic", (p) =>
          String(p.topic).startsWith(instance.name),
        );
        const { operationId } = await requestChannelSetup(staff, { orgId: org.id, instanceId: instance.id });
        const first = await startWorkerProcess({ name: `${RUN}-topic-1`, env: workerEnv() });
        workers.push(first);
        const call: HeldCall = await within(
          "worker 1 to call conversations.setTopic",
          held,
          120_000,
          workers,
        );

        // By now the channel exists and its id is recorded (before anything else is done with it).
        const created = fake.channels.filter((c) => c.name === channelName);
        expect(created).toHaveLength(1);
        const channel = created[0]!;
        expect(call.params.channel).toBe(channel.id);
        expect(
          (await db().supportChannel.findUniqueOrThrow({ where: { instanceId: instance.id } })).externalId,
        ).toBe(channel.id);
        const running = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
        expect(running).toMatchObject({ status: "running", attempts: 1 });
        expect(running.leaseOwner).toMatch(new RegExp(`:${first.pid}$`));
        // The attempt's first log line is written within a moment; wait for it so the log tells the whole story.
        await waitFor(
          "worker 1's attempt to be logged",
          async () =>
            (await db().operationLog.count({
              where: { operationId, message: { startsWith: "Attempt 1 of" } },
            }))
              ? true
              : undefined,
          { timeoutMs: 30_000 },
        );

        expect((await first.kill()).signal).toBe("SIGKILL");
        await within("the held call's connection to close", call.closed, 30_000, workers);

        const second = await startWorkerProcess({ name: `${RUN}-topic-2`, env: workerEnv() });
        workers.push(second);
        const op = await waitForSucceeded(operationId, workers);
        const post = await waitForSetupPostSent(instance.id, workers);

        // One channel: the resumed attempt found it by its stored id, and never asked for another.
        expect(fake.channels.filter((c) => c.name === channelName)).toHaveLength(1);
        expect(
          fake.calls.filter((c) => c.method === "conversations.create" && c.params.name === channelName),
        ).toHaveLength(1);
        expect(channel.topic.startsWith(instance.name)).toBe(true);
        const stored = await db().supportChannel.findUniqueOrThrow({ where: { instanceId: instance.id } });
        expect(stored).toMatchObject({ provider: "slack", externalId: channel.id, name: channelName });
        expect(stored.readyAt).not.toBeNull();

        // One setup post, and one Slack message carrying it.
        expect(await db().channelPost.count({ where: { instanceId: instance.id, kind: "setup" } })).toBe(1);
        const landed = messagesOfPost(channel.id, post.id);
        expect(landed).toHaveLength(1);
        expect(landed[0]!.ts).toBe(post.externalTs);

        // The operation shows the crash and the resumption: two attempts on two workers.
        expect(op).toMatchObject({ attempts: 2, leaseOwner: null, error: null });
        const logs = (
          await db().operationLog.findMany({
            where: { operationId },
            orderBy: [{ at: "asc" }, { id: "asc" }],
          })
        ).map((l) => l.message);
        const started1 = logs.findIndex((m) => m.startsWith("Attempt 1 of") && m.endsWith(`:${first.pid}.`));
        const resumed = logs.indexOf(
          "The worker stopped responding; the operation resumes on another worker.",
        );
        const started2 = logs.findIndex((m) => m.startsWith("Attempt 2 of") && m.endsWith(`:${second.pid}.`));
        const story = logs.join("\n");
        expect(started1, story).toBeGreaterThanOrEqual(0);
        expect(resumed, story).toBeGreaterThan(started1);
        expect(started2, story).toBeGreaterThan(resumed);
      } finally {
        await killAllWorkers();
      }
    },
  );

  it(
    "SIGKILL while the setup post's chat.postMessage is unanswered: after the resume, still one message",
    { timeout: 300_000 },
    async () => {
      const { instance, channelName } = await newInstance();
      const workers: WorkerProcess[] = [];
      try {
        const held = fake.holdNext("chat.postMessage", (p) =>
          String(p.text).includes(`Support channel for ${instance.name} is ready.`),
        );
        const { operationId } = await requestChannelSetup(staff, { orgId: org.id, instanceId: instance.id });
        const first = await startWorkerProcess({ name: `${RUN}-post-1`, env: workerEnv() });
        workers.push(first);
        const call: HeldCall = await within("worker 1 to post the setup message", held, 120_000, workers);

        // The message is in the channel; the worker has not heard so, and dies before it does.
        const channel = fake.channelByName(channelName)!;
        expect(channel).toBeDefined();
        const post = await db().channelPost.findUniqueOrThrow({
          where: { dedupeKey: `setup:${instance.id}` },
        });
        expect(post.externalTs).toBeNull();
        expect(messagesOfPost(channel.id, post.id)).toHaveLength(1);
        const delivery = await db().outboxMessage.findUniqueOrThrow({
          where: { dedupeKey: `slack:${post.id}` },
        });
        expect(delivery).toMatchObject({ status: "sending", attempts: 1 });

        expect((await first.kill()).signal).toBe("SIGKILL");
        await within("the held call's connection to close", call.closed, 30_000, workers);
        // The sweep puts a message stuck in "sending" back after 10 minutes; let those minutes pass on the row.
        await db().$executeRaw`
          UPDATE "OutboxMessage" SET "updatedAt" = now() - interval '11 minutes' WHERE id = ${delivery.id}`;

        const second = await startWorkerProcess({ name: `${RUN}-post-2`, env: workerEnv() });
        workers.push(second);
        await waitForSucceeded(operationId, workers);
        const sent = await waitForSetupPostSent(instance.id, workers);

        // Still one message: the second attempt looked in the channel's history and found the first one.
        const landed = messagesOfPost(channel.id, post.id);
        expect(landed).toHaveLength(1);
        expect(sent.externalTs).toBe(landed[0]!.ts);
        expect(
          fake.calls.filter((c) => c.method === "chat.postMessage" && c.params.channel === channel.id),
        ).toHaveLength(1);
        expect(
          fake.calls.some((c) => c.method === "conversations.history" && c.params.channel === channel.id),
        ).toBe(true);
        expect(await db().outboxMessage.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({
          status: "sent",
          attempts: 2,
          providerMessageId: landed[0]!.ts,
        });
        expect(fake.channels.filter((c) => c.name === channelName)).toHaveLength(1);
        expect(await db().channelPost.count({ where: { instanceId: instance.id, kind: "setup" } })).toBe(1);
      } finally {
        await killAllWorkers();
      }
    },
  );
});
