import { Queue, type JobsOptions } from "bullmq";
import { DEFAULT_JOB_OPTIONS, JOBS, jobId, type JobKey, type JobPayload, type QueueName } from "./definitions";
import { redis } from "./connection";

const queues = new Map<QueueName, Queue>();

export function getQueue(name: QueueName): Queue {
  let q = queues.get(name);
  if (!q) {
    q = new Queue(name, { connection: redis("producer"), defaultJobOptions: DEFAULT_JOB_OPTIONS });
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
  await getQueue(def.queue).add(def.name, data, {
    jobId: options.dedupeOn ? jobId(key, ...options.dedupeOn) : undefined,
    delay: options.delayMs,
    priority: options.priority,
  });
}

export async function closeQueues(): Promise<void> {
  await Promise.all([...queues.values()].map((q) => q.close()));
  queues.clear();
}
