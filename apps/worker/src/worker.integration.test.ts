// The worker's parts in-process: BullMQ workers running real handlers, the sweep schedule, the health server.
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis, getQueue, JOBS, QUEUES, type QueueName } from "@cp/jobs";
import { createMailTransport, inviteMember, type ReadinessReport } from "@cp/services";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHealthServer } from "./http";
import { createOrgAdmin, settleEarlierFilesWork, uniqueAddress } from "./testing/fixtures";
import { startSmtpSink, type SmtpSink } from "./testing/smtp-sink";
import { ensureSweepScheduler, startWorkers, SWEEP_SCHEDULER_ID, type RunningWorkers } from "./worker";

let sink: SmtpSink;
let running: RunningWorkers;

beforeAll(async () => {
  await settleEarlierFilesWork();
  sink = await startSmtpSink();
  running = startWorkers({
    deps: {
      mail: createMailTransport(sink.url),
      engines: {},
      workerId: "worker-integration-test",
      collectors: {},
    },
    log: logger(),
  });
  await Promise.all(running.workers.map((w) => w.waitUntilReady()));
});

afterAll(async () => {
  await running.close();
  await sink.close();
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
});

async function waitForJob(queue: QueueName, id: string, states: string[], timeoutMs = 10_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getQueue(queue).getJob(id);
    // Read the job again once it is there: the copy fetched before the state check may predate the transition.
    if (job && states.includes(await job.getState())) return (await getQueue(queue).getJob(id)) ?? job;
    if (Date.now() > deadline)
      throw new Error(`job ${id} did not reach ${states.join("/")} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("worker (in-process)", () => {
  it("runs a worker for each queue with handlers: operations, outbox, system and monitoring", () => {
    expect(running.workers.map((w) => w.name).sort()).toEqual(
      [QUEUES.monitoring, QUEUES.operations, QUEUES.outbox, QUEUES.system].sort(),
    );
  });

  it("delivers an invitation e-mail from the job inviteMember enqueues", async () => {
    const { orgId, ctx } = await createOrgAdmin();
    const email = uniqueAddress("worker-invitee");
    const invitation = await inviteMember(ctx, { orgId, email, role: "admin" });
    const mail = await sink.waitFor((m) => m.to.includes(email));
    expect(mail.text).toMatch(/\/invite\/[A-Za-z0-9_-]{20,}/);
    const msg = await db().outboxMessage.findUniqueOrThrow({
      where: { dedupeKey: `invitation:${invitation.id}` },
    });
    // The job completes after the row is updated; poll briefly rather than race it.
    await expect
      .poll(async () => (await db().outboxMessage.findUniqueOrThrow({ where: { id: msg.id } })).status)
      .toBe("sent");
  });

  it("fails a job with an invalid payload at once, without retries", async () => {
    const job = await getQueue(QUEUES.outbox).add(
      JOBS.outboxDeliver.name,
      { messageId: "" },
      { attempts: 5, backoff: { type: "fixed", delay: 10 } },
    );
    const failed = await waitForJob(QUEUES.outbox, job.id!, ["failed", "completed"]);
    expect(await failed.getState()).toBe("failed");
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/invalid payload for job "outbox\.deliver"/);
  });

  it("registers the outbox sweep as a job scheduler, idempotently, and its job runs the sweep", async () => {
    await ensureSweepScheduler(60_000);
    await ensureSweepScheduler(60_000);
    const schedulers = await getQueue(QUEUES.system).getJobSchedulers();
    const sweep = schedulers.filter((s) => s.key === SWEEP_SCHEDULER_ID);
    expect(sweep).toHaveLength(1);
    expect(sweep[0]).toMatchObject({ name: JOBS.outboxSweep.name, every: 60_000 });

    // The first iteration runs right away; the system worker completes it with the sweep's result.
    const since = Date.now() - 1000;
    const deadline = Date.now() + 10_000;
    let done: Job | undefined;
    while (!done && Date.now() < deadline) {
      const completed = await getQueue(QUEUES.system).getJobs(["completed"]);
      done = completed.find((j) => j.name === JOBS.outboxSweep.name && (j.finishedOn ?? 0) >= since);
      if (!done) await new Promise((r) => setTimeout(r, 100));
    }
    expect(done?.returnvalue).toEqual({ enqueued: expect.any(Number) });
    await getQueue(QUEUES.system).removeJobScheduler(SWEEP_SCHEDULER_ID);
  });
});

describe("health server", () => {
  it("answers liveness and readiness, and 503 while shutting down or not ready", async () => {
    let shuttingDown = false;
    let report: ReadinessReport = {
      ok: true,
      checks: { postgres: { ok: true, ms: 1 }, redis: { ok: true, ms: 1 } },
    };
    const http = await startHealthServer({
      port: 0,
      host: "127.0.0.1",
      log: logger(),
      isShuttingDown: () => shuttingDown,
      readiness: async () => report,
    });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${http.port}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect(http.port).toBeGreaterThan(0);
      expect(await get("/healthz")).toEqual({ status: 200, body: { status: "ok" } });
      expect(await get("/readyz")).toEqual({ status: 200, body: report });

      report = {
        ok: false,
        checks: {
          postgres: { ok: true, ms: 1 },
          redis: { ok: false, ms: 2000, error: "no answer within 2000 ms" },
        },
      };
      const notReady = await get("/readyz");
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({
        ok: false,
        checks: { redis: { ok: false, error: "no answer within 2000 ms" } },
      });

      shuttingDown = true;
      expect((await get("/healthz")).status).toBe(503);
      expect((await get("/nope")).status).toBe(404);
    } finally {
      await http.close();
    }
  });
});
