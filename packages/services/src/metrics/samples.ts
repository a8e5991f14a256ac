// Metric samples: written in batches with one unnest statement each (through the bulk pg pool: Prisma's raw queries
// are several times slower for large array parameters), read back as chart series (raw samples or rollups,
// a bounded number of points) and as monthly uptime.
import { METRIC_NAMES, METRIC_RANGES, type MetricName, type MetricRange } from "@cp/core";
import { pgPool } from "@cp/db";

export interface SampleRow {
  instanceId: string;
  metric: MetricName;
  ts: Date;
  value: number;
}

export interface SeriesPoint {
  /** Start of the point's interval (ms since epoch). */
  t: number;
  /** Mean over the interval. */
  v: number;
  /** Present when the point stands for more than one sample. */
  min?: number;
  max?: number;
}

/** Rows per INSERT statement: large enough to amortize a round trip, small enough to keep statements short. */
const INSERT_BATCH = 10_000;
/** Statements in flight at once (the bulk pool has 4 connections): PostgreSQL parses and indexes on more cores. */
const INSERT_PARALLEL = 2;
/** Series ids cached in memory (key: instanceId + metric); the cache starts over when it is full. */
const SERIES_CACHE_MAX = 250_000;
/** Most points a chart series has; longer ranges are merged into wider intervals. */
export const MAX_CHART_POINTS = 720;

/** instanceId -> metric -> series id. Nested maps: no key strings to build and hash on the hot path. */
const seriesCache = new Map<string, Map<string, number>>();
let cachedSeries = 0;

const cachedSeriesId = (instanceId: string, metric: string) => seriesCache.get(instanceId)?.get(metric);

function rememberSeries(instanceId: string, metric: string, id: number): void {
  let byMetric = seriesCache.get(instanceId);
  if (!byMetric) {
    byMetric = new Map();
    seriesCache.set(instanceId, byMetric);
  }
  if (!byMetric.has(metric)) cachedSeries += 1;
  byMetric.set(metric, id);
}

/** Forgets the cached series ids (tests, or after series were deleted). */
export function clearSeriesCache(): void {
  seriesCache.clear();
  cachedSeries = 0;
}

/** Creates the series that do not exist yet (of instances that exist) and caches the ids of all of them. */
async function loadSeries(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const instanceIds = pairs.map((p) => p[0]);
  const metrics = pairs.map((p) => p[1]);
  const pool = pgPool();
  await pool.query(
    `INSERT INTO "MetricSeries" ("instanceId", "metric")
     SELECT k.i, k.m FROM unnest($1::text[], $2::text[]) AS k(i, m)
     WHERE EXISTS (SELECT 1 FROM "Instance" WHERE id = k.i)
     ORDER BY 1, 2
     ON CONFLICT ("instanceId", "metric") DO NOTHING`,
    [instanceIds, metrics],
  );
  const found = await pool.query<{ id: number; instanceId: string; metric: string }>(
    `SELECT s.id, s."instanceId", s.metric FROM "MetricSeries" s
     JOIN unnest($1::text[], $2::text[]) AS k(i, m) ON s."instanceId" = k.i AND s.metric = k.m`,
    [instanceIds, metrics],
  );
  if (cachedSeries + found.rows.length > SERIES_CACHE_MAX) clearSeriesCache();
  for (const row of found.rows) rememberSeries(row.instanceId, row.metric, row.id);
}

/**
 * The series ids of (instance, metric) pairs (key: instanceId + NUL + metric), creating the missing series. Pairs
 * of instances that no longer exist get no id.
 */
export async function ensureSeriesIds(
  pairs: Iterable<readonly [instanceId: string, metric: string]>,
): Promise<Map<string, number>> {
  const wanted = [...pairs];
  const missing = wanted.filter(([i, m]) => cachedSeriesId(i, m) === undefined);
  if (missing.length) await loadSeries(missing);
  const ids = new Map<string, number>();
  for (const [i, m] of wanted) {
    const id = cachedSeriesId(i, m);
    if (id !== undefined) ids.set(`${i}\u0000${m}`, id);
  }
  return ids;
}

/**
 * Stores samples (a sample already stored for the same series and time is kept). Values that are not finite
 * numbers, and samples of instances that no longer exist, are dropped. Returns the number of rows inserted.
 */
export async function insertSamples(rows: SampleRow[]): Promise<number> {
  // Series ids by row: from the cache, then the misses created and looked up in two statements.
  const ids = new Array<number | undefined>(rows.length);
  const missing = new Map<string, readonly [string, string]>();
  for (let k = 0; k < rows.length; k += 1) {
    const r = rows[k]!;
    if (!Number.isFinite(r.value) || Number.isNaN(r.ts.getTime())) continue;
    const id = cachedSeriesId(r.instanceId, r.metric);
    ids[k] = id;
    if (id === undefined) missing.set(`${r.instanceId}\u0000${r.metric}`, [r.instanceId, r.metric]);
  }
  if (missing.size) {
    await loadSeries([...missing.values()]);
    for (let k = 0; k < rows.length; k += 1) {
      const r = rows[k]!;
      if (ids[k] === undefined && Number.isFinite(r.value) && !Number.isNaN(r.ts.getTime())) {
        ids[k] = cachedSeriesId(r.instanceId, r.metric);
      }
    }
  }
  // One row per series and time (the first wins, as the table keeps the first): no two statements of this call
  // then touch the same key, so running them side by side cannot make them wait for, or deadlock on, each other.
  // Nearly always a call has one time per series: a number map finds that; a set handles the rest.
  const firstTime = new Map<number, number>();
  const seen = new Set<string>();
  const seriesIds: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  for (let k = 0; k < rows.length; k += 1) {
    const id = ids[k];
    if (id === undefined) continue;
    const r = rows[k]!;
    const t = r.ts.getTime();
    const first = firstTime.get(id);
    if (first === undefined) firstTime.set(id, t);
    else {
      if (first === t) continue;
      const key = `${id}:${t}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    seriesIds.push(id);
    times.push(t);
    values.push(r.value);
  }
  const pool = pgPool();
  const batches: number[] = [];
  for (let start = 0; start < seriesIds.length; start += INSERT_BATCH) batches.push(start);
  let inserted = 0;
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const start = batches[next++]!;
      const end = start + INSERT_BATCH;
      // Times travel as epoch milliseconds: a float8 array is cheaper to encode and parse than timestamps.
      const result = await pool.query(
        `INSERT INTO metric_samples (series_id, ts, value)
         SELECT s, to_timestamp(t / 1000.0), v FROM unnest($1::int[], $2::float8[], $3::float8[]) AS u(s, t, v)
         ON CONFLICT DO NOTHING`,
        [seriesIds.slice(start, end), times.slice(start, end), values.slice(start, end)],
      );
      inserted += result.rowCount ?? 0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(INSERT_PARALLEL, batches.length) }, worker));
  return inserted;
}

/** The width of a chart point for a range: the range's resolution, widened so the series stays short. */
export function chartStepSeconds(range: MetricRange): number {
  const { seconds, resolution } = METRIC_RANGES[range];
  const unit = resolution || 1;
  return Math.max(unit, Math.ceil(seconds / MAX_CHART_POINTS / unit) * unit);
}

type PointRow = { series_id: number; t: string; v: number; min: number; max: number; n: string };

/**
 * Every metric of an instance over a chart range, oldest first. Short ranges read raw samples; longer ones read
 * rollups, plus the raw samples newer than each series' last rollup (not yet rolled up), so the chart reaches now.
 */
export async function readSeries(
  instanceId: string,
  range: MetricRange,
  now: Date = new Date(),
): Promise<Record<MetricName, SeriesPoint[]>> {
  const { seconds, resolution } = METRIC_RANGES[range];
  const step = chartStepSeconds(range);
  const from = new Date(now.getTime() - seconds * 1000);
  const out = Object.fromEntries(METRIC_NAMES.map((m) => [m, [] as SeriesPoint[]])) as Record<
    MetricName,
    SeriesPoint[]
  >;
  const pool = pgPool();
  const series = await pool.query<{ id: number; metric: string }>(
    `SELECT id, metric FROM "MetricSeries" WHERE "instanceId" = $1`,
    [instanceId],
  );
  if (series.rows.length === 0) return out;
  const metricOf = new Map(series.rows.map((s) => [s.id, s.metric]));
  const ids = series.rows.map((s) => s.id);
  // Parts (min, max, sum, count) from rollups and raw samples, merged into points of `step` seconds.
  const parts =
    resolution === 0
      ? `SELECT series_id, ts AS at, value AS min, value AS max, value AS sum, 1 AS count
         FROM metric_samples WHERE series_id = ANY($1) AND ts >= $2 AND ts <= $3`
      : `SELECT series_id, bucket AS at, min, max, sum, count FROM metric_rollups
         WHERE series_id = ANY($1) AND resolution = $5 AND bucket >= $2 AND bucket <= $3
         UNION ALL
         SELECT s.series_id, s.ts, s.value, s.value, s.value, 1
         FROM metric_samples s
         LEFT JOIN (
           SELECT series_id, max(bucket) AS last FROM metric_rollups
           WHERE series_id = ANY($1) AND resolution = $5 AND bucket >= $2
           GROUP BY series_id
         ) r ON r.series_id = s.series_id
         WHERE s.series_id = ANY($1) AND s.ts >= $2 AND s.ts <= $3
           AND (r.last IS NULL OR s.ts >= r.last + make_interval(secs => $5))`;
  const points = await pool.query<PointRow>(
    `SELECT series_id, floor(extract(epoch FROM at) / $4) * $4 * 1000 AS t,
            sum(sum) / sum(count) AS v, min(min) AS min, max(max) AS max, sum(count) AS n
     FROM (${parts}) p
     GROUP BY series_id, 2 ORDER BY series_id, 2`,
    resolution === 0 ? [ids, from, now, step] : [ids, from, now, step, resolution],
  );
  for (const row of points.rows) {
    const metric = metricOf.get(row.series_id) as MetricName | undefined;
    if (!metric || !(metric in out)) continue;
    const point: SeriesPoint = { t: Number(row.t), v: row.v };
    if (Number(row.n) > 1) {
      point.min = row.min;
      point.max = row.max;
    }
    out[metric].push(point);
  }
  return out;
}

export interface MonthlyUptime {
  /** YYYY-MM (UTC). */
  month: string;
  /** Share of health checks that passed; null without checks that month. */
  uptimePercent: number | null;
  samples: number;
}

/**
 * Uptime per calendar month (UTC), newest last, from the health_up series: hourly rollups, plus the raw samples
 * after the series' last hourly rollup (not rolled up yet), so nothing is counted twice.
 */
export async function monthlyUptime(
  instanceId: string,
  months: number,
  now: Date = new Date(),
): Promise<MonthlyUptime[]> {
  const count = Math.max(1, Math.min(months, 36));
  const starts: Date[] = [];
  for (let k = count - 1; k >= 0; k -= 1) {
    starts.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1)));
  }
  const from = starts[0]!;
  const result = await pgPool().query<{ month: string; up: number; n: string }>(
    `WITH s AS (SELECT id FROM "MetricSeries" WHERE "instanceId" = $1 AND metric = 'health_up'),
     last AS (SELECT max(bucket) AS b FROM metric_rollups WHERE series_id = (SELECT id FROM s) AND resolution = 3600),
     parts AS (
       SELECT bucket AS at, sum AS up, count AS n FROM metric_rollups
       WHERE series_id = (SELECT id FROM s) AND resolution = 3600 AND bucket >= $2 AND bucket <= $3
       UNION ALL
       SELECT ts, value, 1 FROM metric_samples
       WHERE series_id = (SELECT id FROM s) AND ts >= $2 AND ts <= $3
         AND ts >= coalesce((SELECT b FROM last) + interval '1 hour', '-infinity'::timestamptz)
     )
     SELECT to_char(date_trunc('month', at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, sum(up) AS up, sum(n) AS n
     FROM parts GROUP BY 1`,
    [instanceId, from, now],
  );
  const byMonth = new Map(result.rows.map((r) => [r.month, r]));
  return starts.map((start) => {
    const month = start.toISOString().slice(0, 7);
    const row = byMonth.get(month);
    const samples = row ? Number(row.n) : 0;
    return { month, samples, uptimePercent: samples > 0 ? (Number(row!.up) / samples) * 100 : null };
  });
}
