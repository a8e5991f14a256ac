// Job name -> handler, imported on first use (STYLE.md #9): a worker loads only the code of the jobs it runs.
// Every payload is checked against its schema before the handler sees it.
import type { Logger } from "@cp/config/logger";
import { JOBS, type JobKey, type JobPayload, type QueueName } from "@cp/jobs";
import type { Collectors } from "@cp/engine";
import type { Engines, MailTransport } from "@cp/services";
import { UnrecoverableError, type Job } from "bullmq";

/** Long-lived things the process creates once and hands to every handler. */
export interface WorkerDeps {
  mail: MailTransport;
  /** The engine drivers this worker can run, by cloud. */
  engines: Engines;
  /** Names this process in operation leases. */
  workerId: string;
  /** The health and metrics collectors this worker can use, by cloud (instances of other clouds are skipped). */
  collectors: Collectors;
}

export interface HandlerContext {
  job: Job;
  log: Logger;
  deps: WorkerDeps;
}

export type Handler<K extends JobKey> = (payload: JobPayload<K>, ctx: HandlerContext) => Promise<unknown>;

export type Registry = { [K in JobKey]?: () => Promise<Handler<K>> };

export const registry: Registry = {
  outboxDeliver: () => import("./handlers/outbox-deliver").then((m) => m.handleOutboxDeliver),
  outboxSweep: () => import("./handlers/outbox-sweep").then((m) => m.handleOutboxSweep),
  operationRun: () => import("./handlers/operation-run").then((m) => m.handleOperationRun),
  operationReconcile: () => import("./handlers/operation-reconcile").then((m) => m.handleOperationReconcile),
  backupsTick: () => import("./handlers/backups-tick").then((m) => m.handleBackupsTick),
  healthTick: () => import("./handlers/health-tick").then((m) => m.handleHealthTick),
  alertsEvaluate: () => import("./handlers/alerts-evaluate").then((m) => m.handleAlertsEvaluate),
  metricsMaintain: () => import("./handlers/metrics-maintain").then((m) => m.handleMetricsMaintain),
  bucketsRecheck: () => import("./handlers/buckets-recheck").then((m) => m.handleBucketsRecheck),
  supportSlaTick: () => import("./handlers/support-sla-tick").then((m) => m.handleSupportSlaTick),
  maintenanceNoticesTick: () =>
    import("./handlers/maintenance-notices-tick").then((m) => m.handleMaintenanceNoticesTick),
  campaignTick: () => import("./handlers/campaign-tick").then((m) => m.handleCampaignTick),
};

/** The queues that have at least one handler: the worker runs a BullMQ Worker for each, and only for those. */
export function queuesWithHandlers(reg: Registry = registry): QueueName[] {
  const keys = Object.keys(reg) as JobKey[];
  return [...new Set(keys.map((k) => JOBS[k].queue))];
}

const keyByName = new Map<string, JobKey>(
  Object.entries(JOBS).map(([key, def]) => [def.name, key as JobKey]),
);

/**
 * Runs one job: finds its handler, validates the payload and calls it. A job that can never succeed (unknown name,
 * payload that fails its schema) throws UnrecoverableError so BullMQ does not retry it.
 */
export async function runJob(
  job: Job,
  ctx: Omit<HandlerContext, "job">,
  reg: Registry = registry,
): Promise<unknown> {
  const key = keyByName.get(job.name);
  const load = key ? reg[key] : undefined;
  if (!key || !load)
    throw new UnrecoverableError(`no handler for job "${job.name}" on queue "${job.queueName}"`);
  const parsed = JOBS[key].schema.safeParse(job.data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`)
      .join("; ");
    throw new UnrecoverableError(`invalid payload for job "${job.name}": ${issues}`);
  }
  // The registry's mapped type guarantees each loader returns the handler of its own key.
  const handler = (await load()) as (payload: unknown, ctx: HandlerContext) => Promise<unknown>;
  return handler(parsed.data, { ...ctx, job });
}
