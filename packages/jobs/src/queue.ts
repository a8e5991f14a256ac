import { logger } from "@cp/config/logger";
import { Queue, type JobsOptions } from "bullmq";
import {
  DEFAULT_JOB_OPTIONS,
  JOBS,
  jobId,
  type JobKey,
  type JobPayload,
  type QueueName,
} from "./definitions";
import { redis } from "./connection";

const queues = new Map<QueueName, Queue>();

export function getQueue(name: QueueName): Queue {
  let q = queues.get(name);
  if (!q) {
    q = new Queue(name, { connection: redis("producer"), defaultJobOptions: DEFAULT_JOB_OPTIONS });
    q.on("error", (err) => logger().warn({ err, queue: name }, "queue connection error"));
    queues.set(name, q);
  }
  return q;
}

/**
 * Validates the payload and enqueues it. With `dedupeOn`, the job id is derived from those parts, so enqueueing
 * the same work twice while the first is still known to Redis adds nothing.
 */
export async function enqueue<K extends JobKey>(
  key: K,
  payload: JobPayload<K>,
  options: { dedupeOn?: string[]; delayMs?: number } & Pick<JobsOptions, "priority"> = {},
): Promise<void> {
  const def = JOBS[key];
  const data = def.schema.parse(payload);
  const queue = getQueue(def.queue);
  const id = options.dedupeOn ? jobId(key, ...options.dedupeOn) : undefined;
  if (id) {
    // A finished job with the same id would make the add a no-op; PostgreSQL says the work is due again, so it is.
    const existing = await queue.getJob(id);
    if (existing && ((await existing.isFailed()) || (await existing.isCompleted()))) await existing.remove();
  }
  await queue.add(def.name, data, {
    jobId: id,
    delay: options.delayMs,
    priority: options.priority,
  });
}

export async function closeQueues(): Promise<void> {
  await Promise.all([...queues.values()].map((q) => q.close()));
  queues.clear();
}
