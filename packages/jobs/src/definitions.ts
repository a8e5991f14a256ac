// Queue and job names, one payload schema each, and the retry defaults they share (STYLE.md #9).
// Payloads carry ids only: never secrets, never state that PostgreSQL owns.
import { z } from "zod";

export const QUEUES = {
  outbox: "outbox",
  operations: "operations",
  system: "system",
  /** Health polls, alert evaluation, metric rollups and bucket re-checks: frequent, and kept off the system queue
   * so a long poll tick never delays sweeps, reconciling or backups (and the other way round). */
  monitoring: "monitoring",
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  /** Deliver one outbox message. */
  outboxDeliver: {
    queue: QUEUES.outbox,
    name: "outbox.deliver",
    schema: z.object({ messageId: z.string().min(1) }),
  },
  /** Re-enqueue outbox messages that are due (Redis may have lost their jobs). */
  outboxSweep: { queue: QUEUES.system, name: "outbox.sweep", schema: z.object({}) },
  /** Wake a worker to claim the next operation of an instance (DESIGN.md, Operations). */
  operationRun: {
    queue: QUEUES.operations,
    name: "operation.run",
    schema: z.object({ operationId: z.string().min(1) }),
  },
  /** Resume operations whose worker died, force stuck cancels, wake due operations (DESIGN.md, Operations). */
  operationReconcile: { queue: QUEUES.system, name: "operation.reconcile", schema: z.object({}) },
  /** Queue scheduled backups that are due and remove expired ones (storage and row together). */
  backupsTick: { queue: QUEUES.system, name: "backups.tick", schema: z.object({}) },
  /** Poll the health and metrics of the instances that are due (each once per CP_HEALTH_POLL_MS, spread). */
  healthTick: { queue: QUEUES.monitoring, name: "health.tick", schema: z.object({}) },
  /** Evaluate the threshold rules over the fleet: alert transitions and their notifications. */
  alertsEvaluate: { queue: QUEUES.monitoring, name: "alerts.evaluate", schema: z.object({}) },
  /** Downsample samples into rollups, refresh baselines, remove samples past retention. */
  metricsMaintain: { queue: QUEUES.monitoring, name: "metrics.maintain", schema: z.object({}) },
  /** Re-check the customer-owned buckets that are due (daily) with the ordering flow's checks. */
  bucketsRecheck: { queue: QUEUES.monitoring, name: "buckets.recheck", schema: z.object({}) },
  /** Record support requests' SLA breaches and warn support of near ones. */
  supportSlaTick: { queue: QUEUES.system, name: "support.sla-tick", schema: z.object({}) },
  /** Send the notices due before maintenance windows (e.g. 7 days and 24 hours ahead), once per window and lead. */
  maintenanceNoticesTick: { queue: QUEUES.system, name: "maintenance.notices-tick", schema: z.object({}) },
  /** Advance upgrade campaigns: start due upgrades, judge gates, move waves, pause on failures. Without a
   * campaignId every running campaign is looked at (the periodic tick); with one, that campaign only (a wake-up). */
  campaignTick: {
    queue: QUEUES.operations,
    name: "campaign.tick",
    schema: z.object({ campaignId: z.string().min(1).optional() }),
  },
} as const;

export type JobKey = keyof typeof JOBS;
export type JobPayload<K extends JobKey> = z.infer<(typeof JOBS)[K]["schema"]>;

export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: "exponential" as const, delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Deterministic job ids make a repeated enqueue of the same work a no-op. BullMQ forbids ':' in ids. */
export function jobId(key: JobKey, ...parts: string[]): string {
  return [JOBS[key].name.replaceAll(".", "-"), ...parts].join("_");
}
