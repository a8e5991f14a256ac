// BullMQ workers for every queue that has handlers, plus the outbox sweep schedule.
import { env } from "@cp/config";
import type { Logger } from "@cp/config/logger";
import { createRedis, getQueue, JOBS, QUEUES, type QueueName } from "@cp/jobs";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { queuesWithHandlers, registry, runJob, type Registry, type WorkerDeps } from "./registry";

const CONCURRENCY: Partial<Record<QueueName, number>> = {
  [QUEUES.outbox]: 5,
  // Sweeps and other housekeeping must not overlap with themselves.
  [QUEUES.system]: 1,
  // Operations of different instances run side by side; those of one instance are ordered in PostgreSQL.
  [QUEUES.operations]: 4,
};

export interface RunningWorkers {
  workers: Worker[];
  /** Stops taking jobs, waits for running ones to finish, then closes the worker connection. */
  close(): Promise<void>;
}

export function startWorkers(options: {
  deps: WorkerDeps;
  log: Logger;
  registry?: Registry;
  connection?: Redis;
}): RunningWorkers {
  const reg = options.registry ?? registry;
  // Workers block on Redis: their own connection (maxRetriesPerRequest: null), never the producers'.
  const connection = options.connection ?? createRedis("worker");
  const workers = queuesWithHandlers(reg).map((queue) => {
    const qlog = options.log.child({ queue });
    const worker = new Worker(
      queue,
      async (job) => {
        const log = qlog.child({ jobId: job.id, jobName: job.name, attempt: job.attemptsMade + 1 });
        return runJob(job, { log, deps: options.deps }, reg);
      },
      { connection, concurrency: CONCURRENCY[queue] ?? 1 },
    );
    worker.on("error", (err) => qlog.error({ err }, "worker error"));
    worker.on("failed", (job, err) => {
      qlog.child({ jobId: job?.id, jobName: job?.name }).error(
        {
          err,
          attemptsMade: job?.attemptsMade,
          finalAttempt: job ? job.attemptsMade >= (job.opts.attempts ?? 1) : undefined,
        },
        "job failed",
      );
    });
    return worker;
  });
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      if (!options.connection) await connection.quit().catch(() => connection.disconnect());
    },
  };
}

export const SWEEP_SCHEDULER_ID = "outbox-sweep";
export const RECONCILE_SCHEDULER_ID = "operation-reconcile";
export const BACKUPS_SCHEDULER_ID = "backups-tick";

/**
 * Creates or refreshes the outbox sweep schedule. Idempotent (any replica may call it), and called again from time
 * to time because Redis, and the schedule with it, may be lost at any time.
 */
export async function ensureSweepScheduler(everyMs: number = env().CP_OUTBOX_POLL_MS): Promise<void> {
  await getQueue(QUEUES.system).upsertJobScheduler(
    SWEEP_SCHEDULER_ID,
    { every: everyMs },
    {
      name: JOBS.outboxSweep.name,
      data: {},
      // The next tick is a retry: a failed sweep need not be retried on its own.
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}

/** The operations reconciler's schedule; idempotent like the sweep's. */
export async function ensureReconcileScheduler(
  everyMs: number = env().CP_RECONCILE_INTERVAL_MS,
): Promise<void> {
  await getQueue(QUEUES.system).upsertJobScheduler(
    RECONCILE_SCHEDULER_ID,
    { every: everyMs },
    {
      name: JOBS.operationReconcile.name,
      data: {},
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}

/** The backup scheduler's and pruning's schedule; idempotent like the others. */
export async function ensureBackupsScheduler(everyMs: number = env().CP_BACKUP_TICK_MS): Promise<void> {
  await getQueue(QUEUES.system).upsertJobScheduler(
    BACKUPS_SCHEDULER_ID,
    { every: everyMs },
    {
      name: JOBS.backupsTick.name,
      data: {},
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}
