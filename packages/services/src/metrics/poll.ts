// The health and metrics poll (DESIGN.md, Health): every monitored instance is polled once per interval at a stable
// phase of it (hash of its id), so a fleet's polls spread evenly instead of bunching up; replicas claim due
// instances with SKIP LOCKED, so each poll runs once however many workers tick.
import { createHash } from "node:crypto";
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import type { MetricName, OrderableCloud } from "@cp/core";
import { pgPool } from "@cp/db";
import type { CollectResult, CollectTarget, Collectors, EngineOutputs } from "@cp/engine";
import { insertSamples, type SampleRow } from "./samples";

/** Instances that are polled: those that exist and serve (being changed included). */
export const MONITORED_STATUSES = ["running", "updating", "upgrading", "restoring"] as const;

const MAX_ERROR_CHARS = 1000;

/** A stable offset in [0, intervalMs) for an instance: its polls happen at this phase of each interval. */
export function pollPhaseMs(instanceId: string, intervalMs: number): number {
  const hash = createHash("sha1").update(instanceId).digest().readUInt32BE(0);
  return hash % intervalMs;
}

/** The first poll slot of an instance strictly after `after` (slots: phase + k x interval since the epoch). */
export function nextPollSlot(instanceId: string, after: Date, intervalMs: number): Date {
  const phase = pollPhaseMs(instanceId, intervalMs);
  const t = after.getTime();
  const k = Math.floor((t - phase) / intervalMs) + 1;
  return new Date(k * intervalMs + phase);
}

/**
 * Gives monitored instances without a MonitorState row one, first due at their next slot (at most one interval
 * from now). Returns how many were created.
 */
export async function ensureMonitorStates(
  now: Date,
  intervalMs: number,
  options: { limit?: number; instanceIds?: string[] } = {},
): Promise<number> {
  const pool = pgPool();
  const missing = await pool.query<{ id: string }>(
    `SELECT i.id FROM "Instance" i
     WHERE i.status::text = ANY($1) AND i."deletedAt" IS NULL
       AND NOT EXISTS (SELECT 1 FROM "MonitorState" m WHERE m."instanceId" = i.id)
       AND ($3::text[] IS NULL OR i.id = ANY($3))
     LIMIT $2`,
    [MONITORED_STATUSES, options.limit ?? 5000, options.instanceIds ?? null],
  );
  if (missing.rows.length === 0) return 0;
  const ids = missing.rows.map((r) => r.id);
  const due = ids.map((id) => nextPollSlot(id, new Date(now.getTime() - 1), intervalMs));
  const created = await pool.query(
    `INSERT INTO "MonitorState" ("instanceId", "nextPollAt")
     SELECT i, t AT TIME ZONE 'UTC' FROM unnest($1::text[], $2::timestamptz[]) AS u(i, t)
     ON CONFLICT DO NOTHING`,
    [ids, due],
  );
  return created.rowCount ?? 0;
}

interface Claimed {
  instanceId: string;
  lastCounters: unknown;
  lastPolledAt: Date | null;
  slug: string;
  cloud: string;
  region: string;
  size: string;
  status: string;
  deletedAt: Date | null;
  outputs: EngineOutputs | null;
}

/**
 * Claims up to `limit` due instances: moves each one's next poll to its next slot after now (same phase), so no
 * other replica polls it in this interval. Rows another transaction holds are skipped, not waited for.
 */
async function claimDue(
  now: Date,
  intervalMs: number,
  limit: number,
  instanceIds: string[] | null,
): Promise<Claimed[]> {
  const result = await pgPool().query<Omit<Claimed, "lastPolledAt"> & { lastPolledAt: Date | null }>(
    `WITH due AS (
       SELECT "instanceId", "lastPolledAt" AS prev FROM "MonitorState"
       WHERE "nextPollAt" <= ($1::timestamptz AT TIME ZONE 'UTC') AND ($4::text[] IS NULL OR "instanceId" = ANY($4))
       ORDER BY "nextPollAt" LIMIT $3
       FOR UPDATE SKIP LOCKED
     )
     UPDATE "MonitorState" m
     SET "nextPollAt" = m."nextPollAt" + make_interval(secs =>
           (floor(extract(epoch FROM (($1::timestamptz AT TIME ZONE 'UTC') - m."nextPollAt")) * 1000 / $2) + 1)
           * $2 / 1000.0)
     FROM due, "Instance" i
     WHERE m."instanceId" = due."instanceId" AND i.id = m."instanceId"
     RETURNING m."instanceId", m."lastCounters", due.prev AT TIME ZONE 'UTC' AS "lastPolledAt",
               i.slug, i.cloud::text AS cloud, i.region, i.size, i.status::text AS status, i."deletedAt",
               i.outputs`,
    [now, intervalMs, limit, instanceIds],
  );
  return result.rows;
}

interface PollOutcome {
  instanceId: string;
  at: Date;
  result?: CollectResult;
  error?: string;
}

async function collectOne(
  c: Claimed,
  collectors: Collectors,
  timeoutMs: number,
): Promise<PollOutcome | null> {
  const collector = collectors[c.cloud as OrderableCloud];
  if (!collector) return null;
  const target: CollectTarget = {
    instanceId: c.instanceId,
    slug: c.slug,
    cloud: c.cloud as OrderableCloud,
    region: c.region,
    size: c.size,
    outputs: c.outputs,
    previous: c.lastCounters ?? null,
    previousAt: c.lastPolledAt,
  };
  const ac = new AbortController();
  // A collector gets its own timeout; this one is the backstop for a collector that ignores it.
  const guardMs = timeoutMs + 2_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      collector.collect(target, { timeoutMs, signal: ac.signal }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new Error(`collector did not answer within ${guardMs} ms`));
        }, guardMs);
      }),
    ]);
    return { instanceId: c.instanceId, at: result.at, result };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger().warn({ err, instanceId: c.instanceId, cloud: c.cloud }, "metrics collector failed");
    return { instanceId: c.instanceId, at: new Date(), error: `collector failed: ${message}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items`, at most `concurrency` at a time, keeping the order of the results. */
async function mapBounded<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export interface PollSummary {
  /** Instances whose collector answered or failed (skipped ones are not counted). */
  polled: number;
  /** Health checks that passed (degraded included: the instance answers). */
  up: number;
  down: number;
  /** Collectors that threw: health unknown this time, nothing recorded but the error. */
  failed: number;
}

/**
 * Polls the instances that are due: creates missing MonitorState rows, claims a batch, collects with bounded
 * concurrency, and writes the batch's samples, the collectors' state and the instances' health in a few statements.
 * Instances on a cloud without a collector here, or no longer monitored, are passed over (their slot still moves).
 */
export async function pollDueInstances(
  collectors: Collectors,
  options: {
    now?: Date;
    limit?: number;
    concurrency?: number;
    timeoutMs?: number;
    intervalMs?: number;
    /** Only these instances (a poll on demand, and tests that share a database). */
    instanceIds?: string[];
  } = {},
): Promise<PollSummary> {
  const cfg = env();
  const now = options.now ?? new Date();
  const intervalMs = options.intervalMs ?? cfg.CP_HEALTH_POLL_MS;
  const timeoutMs = options.timeoutMs ?? cfg.CP_HEALTH_POLL_TIMEOUT_MS;
  const concurrency = options.concurrency ?? cfg.CP_HEALTH_POLL_CONCURRENCY;
  const limit = options.limit ?? 500;

  await ensureMonitorStates(now, intervalMs, { instanceIds: options.instanceIds });
  const claimed = await claimDue(now, intervalMs, limit, options.instanceIds ?? null);
  const monitored = claimed.filter(
    (c) => c.deletedAt === null && (MONITORED_STATUSES as readonly string[]).includes(c.status),
  );
  const outcomes = (
    await mapBounded(monitored, concurrency, (c) => collectOne(c, collectors, timeoutMs))
  ).filter((o): o is PollOutcome => o !== null);
  const summary: PollSummary = { polled: outcomes.length, up: 0, down: 0, failed: 0 };
  if (outcomes.length === 0) return summary;

  const samples: SampleRow[] = [];
  for (const o of outcomes) {
    if (!o.result) {
      summary.failed += 1;
      continue;
    }
    if (o.result.health === "down") summary.down += 1;
    else summary.up += 1;
    for (const [metric, value] of Object.entries(o.result.values)) {
      if (value !== undefined)
        samples.push({ instanceId: o.instanceId, metric: metric as MetricName, ts: o.at, value });
    }
  }
  await insertSamples(samples);
  await recordOutcomes(outcomes);
  return summary;
}

/** MonitorState and Instance health of a batch, one statement each (Instance.updatedAt is left alone). */
async function recordOutcomes(outcomes: PollOutcome[]): Promise<void> {
  const pool = pgPool();
  const ids: string[] = [];
  const times: Date[] = [];
  const counters: (string | null)[] = [];
  const keepCounters: boolean[] = [];
  const errors: (string | null)[] = [];
  const failing: boolean[] = [];
  for (const o of outcomes) {
    ids.push(o.instanceId);
    times.push(o.at);
    const state = o.result?.state;
    counters.push(state === undefined || state === null ? null : JSON.stringify(state));
    // A collector that threw returned no state: keep the last one for the next try.
    keepCounters.push(!o.result);
    const detail = o.error ?? (o.result?.health !== "up" ? o.result?.healthDetail : undefined);
    errors.push(detail ? detail.slice(0, MAX_ERROR_CHARS) : null);
    failing.push(!o.result || o.result.health === "down");
  }
  await pool.query(
    `UPDATE "MonitorState" m
     SET "lastPolledAt" = u.t AT TIME ZONE 'UTC',
         "lastCounters" = CASE WHEN u.keep THEN m."lastCounters" ELSE u.c::jsonb END,
         "lastError" = u.e,
         "consecutiveFailures" = CASE WHEN u.f THEN m."consecutiveFailures" + 1 ELSE 0 END
     FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bool[], $5::text[], $6::bool[]) AS u(i, t, c, keep, e, f)
     WHERE m."instanceId" = u.i`,
    [ids, times, counters, keepCounters, errors, failing],
  );
  const answered = outcomes.filter((o) => o.result);
  if (answered.length === 0) return;
  await pool.query(
    `UPDATE "Instance" i
     SET "healthStatus" = u.h::"HealthStatus", "healthCheckedAt" = u.t AT TIME ZONE 'UTC'
     FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(id, h, t)
     WHERE i.id = u.id`,
    [answered.map((o) => o.instanceId), answered.map((o) => o.result!.health), answered.map((o) => o.at)],
  );
}
