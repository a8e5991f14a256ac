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
  // Operations of different instances run side by side (CP_OPERATION_CONCURRENCY at once, see concurrencyOf);
  // those of one instance are ordered in PostgreSQL.
  // Each monitoring job is safe beside itself (polls claim rows with SKIP LOCKED, evaluation takes a lock), and a
  // slow maintenance run must not hold up polls and alert evaluation.
  [QUEUES.monitoring]: 3,
};

const concurrencyOf = (queue: QueueName): number =>
  queue === QUEUES.operations ? env().CP_OPERATION_CONCURRENCY : (CONCURRENCY[queue] ?? 1);

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
      { connection, concurrency: concurrencyOf(queue) },
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
export const HEALTH_SCHEDULER_ID = "health-tick";
export const ALERTS_SCHEDULER_ID = "alerts-evaluate";
export const METRICS_MAINTAIN_SCHEDULER_ID = "metrics-maintain";
export const BUCKETS_RECHECK_SCHEDULER_ID = "buckets-recheck";
export const SUPPORT_SLA_SCHEDULER_ID = "support-sla-tick";
export const MAINTENANCE_NOTICES_SCHEDULER_ID = "maintenance-notices-tick";
export const CAMPAIGN_SCHEDULER_ID = "campaign-tick";
/** Re-checks are due once a day per bucket, spread by instance: looking every 10 minutes is often enough. */
const BUCKETS_RECHECK_EVERY_MS = 10 * 60_000;

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

/** The support SLA tick's schedule (breaches and near-breach warnings); idempotent like the others. */
export async function ensureSupportSlaScheduler(
  everyMs: number = env().CP_SUPPORT_SLA_TICK_MS,
): Promise<void> {
  await getQueue(QUEUES.system).upsertJobScheduler(
    SUPPORT_SLA_SCHEDULER_ID,
    { every: everyMs },
    {
      name: JOBS.supportSlaTick.name,
      data: {},
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}

/** The maintenance notices' schedule: each tick sends the notices that are due (idempotent per window and lead). */
export async function ensureMaintenanceNoticesScheduler(
  everyMs: number = env().CP_MAINTENANCE_TICK_MS,
): Promise<void> {
  await getQueue(QUEUES.system).upsertJobScheduler(
    MAINTENANCE_NOTICES_SCHEDULER_ID,
    { every: everyMs },
    {
      name: JOBS.maintenanceNoticesTick.name,
      data: {},
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}

/** The campaigns' periodic tick (a safety net: finishing upgrades wake their campaign directly). */
export async function ensureCampaignScheduler(everyMs: number = env().CP_CAMPAIGN_TICK_MS): Promise<void> {
  await getQueue(QUEUES.operations).upsertJobScheduler(
    CAMPAIGN_SCHEDULER_ID,
    { every: everyMs },
    {
      name: JOBS.campaignTick.name,
      data: {},
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}

/** One repeating monitoring job: idempotent like the others (any replica may call it, at any time). */
async function ensureMonitoringScheduler(id: string, name: string, everyMs: number): Promise<void> {
  await getQueue(QUEUES.monitoring).upsertJobScheduler(
    id,
    { every: everyMs },
    {
      name,
      data: {},
      // The next tick is the retry.
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 200 } },
    },
  );
}

/** The health and metrics poll's schedule: each tick polls the instances that are due. */
export async function ensureHealthScheduler(everyMs: number = env().CP_HEALTH_TICK_MS): Promise<void> {
  await ensureMonitoringScheduler(HEALTH_SCHEDULER_ID, JOBS.healthTick.name, everyMs);
}

/** The alert evaluation's schedule. */
export async function ensureAlertsScheduler(everyMs: number = env().CP_ALERT_EVAL_MS): Promise<void> {
  await ensureMonitoringScheduler(ALERTS_SCHEDULER_ID, JOBS.alertsEvaluate.name, everyMs);
}

/** Rollups, baselines and retention of metric samples. */
export async function ensureMetricsMaintainScheduler(
  everyMs: number = env().CP_METRICS_MAINTAIN_MS,
): Promise<void> {
  await ensureMonitoringScheduler(METRICS_MAINTAIN_SCHEDULER_ID, JOBS.metricsMaintain.name, everyMs);
}

/** The daily bucket re-checks (looked for every few minutes; each bucket is due once a day). */
export async function ensureBucketsRecheckScheduler(
  everyMs: number = BUCKETS_RECHECK_EVERY_MS,
): Promise<void> {
  await ensureMonitoringScheduler(BUCKETS_RECHECK_SCHEDULER_ID, JOBS.bucketsRecheck.name, everyMs);
}
