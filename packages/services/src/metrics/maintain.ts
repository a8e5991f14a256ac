// Downsampling and retention of metric samples, run by the worker every CP_METRICS_MAINTAIN_MS. Raw samples roll up
// into 5-minute buckets, those into hourly ones; a bucket is rolled once it is complete (plus a grace for polls
// still writing), and the newest rolled bucket is rolled again on the next run to take in late samples. Every
// statement is an idempotent upsert or delete, so replicas and retries may overlap safely. Raw samples are removed
// only once rolled up.
import { env } from "@cp/config";
import { pgPool } from "@cp/db";

/** Rollup resolutions in seconds. */
export const ROLLUP_RESOLUTIONS = [300, 3600] as const;
/** A bucket is rolled up this long after it ends: polls that started before its end have written by then. */
const GRACE_MS = 60_000;
/** Raw samples are rolled up an hour at a time, so a long catch-up is many modest statements. */
const RAW_CHUNK_MS = 3600_000;
const ROLLUP_CHUNK_MS = 24 * 3600_000;
/** Baselines are refreshed when older than this (they follow the hourly rollups). */
const BASELINE_REFRESH_MS = 3600_000;
const BASELINE_WINDOW_MS = 24 * 3600_000;

const floorTo = (t: number, ms: number) => Math.floor(t / ms) * ms;

export interface MaintainSummary {
  /** Rollup rows written (inserted or refreshed), by resolution. */
  rolled5m: number;
  rolled1h: number;
  baselines: number;
  deletedSamples: number;
  deletedRollups: number;
  /** True when the time budget ended the catch-up early; the next run continues. */
  partial: boolean;
}

/**
 * The start of the newest bucket of a resolution in [since, before); null when none. Looking no further back than
 * raw retention keeps the scan short (BRIN on bucket); ignoring buckets from `before` on keeps a clock that is
 * behind (or samples written with a future time) from stopping the rollups.
 */
async function newestBucket(resolution: number, since: Date, before: Date): Promise<Date | null> {
  const r = await pgPool().query<{ b: Date | null }>(
    `SELECT max(bucket) AS b FROM metric_rollups WHERE resolution = $1 AND bucket >= $2 AND bucket < $3`,
    [resolution, since, before],
  );
  return r.rows[0]?.b ?? null;
}

async function rollRaw(from: Date, to: Date): Promise<number> {
  const r = await pgPool().query(
    `INSERT INTO metric_rollups (series_id, resolution, bucket, min, max, sum, count)
     SELECT series_id, 300, to_timestamp(floor(extract(epoch FROM ts) / 300) * 300) AS b,
            min(value), max(value), sum(value), count(*)
     FROM metric_samples WHERE ts >= $1 AND ts < $2
     GROUP BY series_id, b
     ON CONFLICT (series_id, resolution, bucket) DO UPDATE
       SET min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, count = EXCLUDED.count`,
    [from, to],
  );
  return r.rowCount ?? 0;
}

async function rollHourly(from: Date, to: Date): Promise<number> {
  const r = await pgPool().query(
    `INSERT INTO metric_rollups (series_id, resolution, bucket, min, max, sum, count)
     SELECT series_id, 3600, to_timestamp(floor(extract(epoch FROM bucket) / 3600) * 3600) AS b,
            min(min), max(max), sum(sum), sum(count)
     FROM metric_rollups WHERE resolution = 300 AND bucket >= $1 AND bucket < $2
     GROUP BY series_id, b
     ON CONFLICT (series_id, resolution, bucket) DO UPDATE
       SET min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, count = EXCLUDED.count`,
    [from, to],
  );
  return r.rowCount ?? 0;
}

/**
 * One maintenance pass: 5-minute rollups of complete buckets, hourly rollups of complete hours (from the 5-minute
 * ones), 24-hour baselines, then retention. `budgetMs` bounds a long catch-up (after the job did not run for a
 * while); the next pass continues where this one stopped.
 */
export async function maintainMetrics(
  now: Date = new Date(),
  options: { budgetMs?: number } = {},
): Promise<MaintainSummary> {
  const cfg = env();
  const started = Date.now();
  const budgetMs = options.budgetMs ?? 120_000;
  const rawRetentionMs = cfg.CP_METRICS_RAW_RETENTION_HOURS * 3600_000;
  const summary: MaintainSummary = {
    rolled5m: 0,
    rolled1h: 0,
    baselines: 0,
    deletedSamples: 0,
    deletedRollups: 0,
    partial: false,
  };
  const pool = pgPool();
  const t = now.getTime();
  // Nothing older than raw retention is left to roll up (retention removes it once rolled).
  const horizon = floorTo(t - rawRetentionMs - RAW_CHUNK_MS, RAW_CHUNK_MS);

  // 5-minute rollups: from the newest rolled bucket (again, for late samples) up to the last complete bucket.
  const end5 = floorTo(t - GRACE_MS, 300_000);
  const newest5 = await newestBucket(300, new Date(horizon), new Date(end5));
  let cursor = newest5 ? newest5.getTime() : horizon;
  let rolledUpTo5 = newest5 ? newest5.getTime() + 300_000 : null;
  while (cursor < end5) {
    if (Date.now() - started > budgetMs) {
      summary.partial = true;
      break;
    }
    const next = Math.min(end5, cursor + RAW_CHUNK_MS);
    summary.rolled5m += await rollRaw(new Date(cursor), new Date(next));
    cursor = next;
    rolledUpTo5 = next;
  }

  // Hourly rollups, from the 5-minute ones, of hours whose 5-minute buckets are all rolled.
  if (rolledUpTo5 !== null) {
    const end1h = floorTo(Math.min(rolledUpTo5, t - GRACE_MS), 3600_000);
    const newest1h = await newestBucket(
      3600,
      new Date(floorTo(horizon, 3600_000) - ROLLUP_CHUNK_MS),
      new Date(end1h),
    );
    let hour = newest1h ? newest1h.getTime() : floorTo(horizon, 3600_000);
    while (hour < end1h && !summary.partial) {
      const next = Math.min(end1h, hour + ROLLUP_CHUNK_MS);
      summary.rolled1h += await rollHourly(new Date(hour), new Date(next));
      hour = next;
    }

    // Baselines: the mean of the last 24 complete hours, refreshed hourly.
    const baselines = await pool.query(
      `UPDATE "MetricSeries" m SET baseline = x.mean, "baselineAt" = $3::timestamptz AT TIME ZONE 'UTC'
       FROM (
         SELECT series_id, sum(sum) / sum(count) AS mean FROM metric_rollups
         WHERE resolution = 3600 AND bucket >= $1 AND bucket < $2 GROUP BY series_id
       ) x
       WHERE m.id = x.series_id
         AND (m."baselineAt" IS NULL OR m."baselineAt" <= ($4::timestamptz AT TIME ZONE 'UTC'))`,
      [new Date(end1h - BASELINE_WINDOW_MS), new Date(end1h), now, new Date(t - BASELINE_REFRESH_MS)],
    );
    summary.baselines = baselines.rowCount ?? 0;

    // Raw samples past retention, once rolled up.
    const rawCutoff = Math.min(t - rawRetentionMs, rolledUpTo5);
    const deleted = await pool.query(`DELETE FROM metric_samples WHERE ts < $1`, [new Date(rawCutoff)]);
    summary.deletedSamples = deleted.rowCount ?? 0;
  }

  const rollups = await pool.query(
    `DELETE FROM metric_rollups
     WHERE (resolution = 300 AND bucket < $1) OR (resolution = 3600 AND bucket < $2)`,
    [
      new Date(t - cfg.CP_METRICS_ROLLUP_5M_RETENTION_DAYS * 86400_000),
      new Date(t - cfg.CP_METRICS_ROLLUP_1H_RETENTION_DAYS * 86400_000),
    ],
  );
  summary.deletedRollups = rollups.rowCount ?? 0;
  return summary;
}
