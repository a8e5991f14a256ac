import { JOBS, QUEUES } from "@cp/jobs";
import { UnrecoverableError, type Job } from "bullmq";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { queuesWithHandlers, registry, runJob, type Registry } from "./registry";

const log = pino({ level: "silent" });
const deps = { mail: { sendMail: vi.fn() }, engines: {}, workerId: "test-worker", collectors: {} };
const fakeJob = (name: string, data: unknown, queueName = "outbox") =>
  ({ id: "1", name, data, queueName, attemptsMade: 0 }) as unknown as Job;

describe("job registry", () => {
  it("runs workers only for queues that have handlers", () => {
    expect(queuesWithHandlers().sort()).toEqual(
      [QUEUES.monitoring, QUEUES.operations, QUEUES.outbox, QUEUES.system].sort(),
    );
    expect(Object.keys(registry).sort()).toEqual([
      "alertsEvaluate",
      "backupsTick",
      "bucketsRecheck",
      "campaignTick",
      "healthTick",
      "maintenanceNoticesTick",
      "metricsMaintain",
      "operationReconcile",
      "operationRun",
      "outboxDeliver",
      "outboxSweep",
      "supportSlaTick",
    ]);
    expect(queuesWithHandlers({ outboxDeliver: registry.outboxDeliver })).toEqual([QUEUES.outbox]);
  });

  it("passes a validated payload and the context to the handler of the job's name", async () => {
    const handler = vi.fn(async () => "done");
    const reg: Registry = { outboxDeliver: async () => handler };
    const job = fakeJob(JOBS.outboxDeliver.name, { messageId: "m1", extra: "dropped" });
    await expect(runJob(job, { log, deps }, reg)).resolves.toBe("done");
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith({ messageId: "m1" }, expect.objectContaining({ job, log, deps }));
  });

  it("throws UnrecoverableError, without loading the handler, for a payload that fails its schema", async () => {
    const load = vi.fn(async () => vi.fn());
    const reg: Registry = { outboxDeliver: load };
    const err = await runJob(fakeJob(JOBS.outboxDeliver.name, { messageId: "" }), { log, deps }, reg).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/invalid payload for job "outbox\.deliver": messageId:/);
    expect(load).not.toHaveBeenCalled();
  });

  it("throws UnrecoverableError for a job name without a handler", async () => {
    await expect(runJob(fakeJob("no.such.job", {}), { log, deps }, registry)).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    // Known to JOBS but not handled by this worker's registry.
    const op = fakeJob(JOBS.operationRun.name, { operationId: "op1" }, QUEUES.operations);
    const partial: Registry = { outboxDeliver: registry.outboxDeliver };
    await expect(runJob(op, { log, deps }, partial)).rejects.toThrow(/no handler for job "operation\.run"/);
  });
});
