// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the package has no types: programs that import this file from other packages (worker, services) need the declaration too
/// <reference path="./parse-prometheus-text-format.d.ts" />
// The tenant service's Prometheus exposition reduced to what the control plane keeps, and the pure arithmetic that
// turns two scrapes into rates and a latency percentile (the way Prometheus' rate() and histogram_quantile() do,
// including counter resets). No I/O here: the local collector fetches, this computes.
import { databaseVcpus, storageQuotaBytes, type MetricName } from "@cp/core";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";

/** One histogram bucket: upper bound (seconds; Infinity for +Inf) and cumulative count. */
export type Bucket = [le: number, count: number];

/** The counters and gauges of one scrape: small, JSON-safe, kept as MonitorState.lastCounters between scrapes. */
export interface ScrapeSnapshot {
  /** When the scrape was taken (ms since epoch). */
  at: number;
  /** tenant_process_start_time_seconds: a change means the process restarted and its counters started over. */
  startTime: number | null;
  processCpuSeconds: number | null;
  /** The database user's CPU time; MariaDB's counter, so it does not restart with the process. */
  dbCpuSeconds: number | null;
  requests: number;
  errors: number;
  /** Latency histogram summed over its labels, cumulative, sorted by upper bound; +Inf last when present. */
  buckets: Bucket[];
  memoryBytes: number | null;
  storageBytes: number | null;
}

/**
 * Routes of the control plane's own probes: left out of request rate, errors and latency, which describe the
 * customer's traffic (the probe's own health is health_up).
 */
const PROBE_ROUTES = new Set(["/healthz", "/metrics"]);

const num = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const v = Number(s.trim() === "+Inf" ? Infinity : s.trim() === "-Inf" ? -Infinity : s);
  return Number.isNaN(v) ? null : v;
};

function single(families: Map<string, PrometheusFamily>, name: string): number | null {
  const f = families.get(name);
  if (!f) return null;
  let total: number | null = null;
  for (const m of f.metrics) {
    const v = num(m.value);
    if (v !== null) total = (total ?? 0) + v;
  }
  return total;
}

function counterSum(families: Map<string, PrometheusFamily>, name: string): number {
  let total = 0;
  for (const m of families.get(name)?.metrics ?? []) {
    if (m.labels?.route && PROBE_ROUTES.has(m.labels.route)) continue;
    total += num(m.value) ?? 0;
  }
  return total;
}

function histogramSum(families: Map<string, PrometheusFamily>, name: string): Bucket[] {
  const byLe = new Map<number, number>();
  for (const m of families.get(`${name}_bucket`)?.metrics ?? []) {
    if (m.labels?.route && PROBE_ROUTES.has(m.labels.route)) continue;
    const bound = num(m.labels?.le);
    const c = num(m.value);
    if (bound === null || c === null) continue;
    byLe.set(bound, (byLe.get(bound) ?? 0) + c);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * Parses exposition text into families by sample name. The parser folds the series of a labelled histogram into
 * one (keeping only the last), so histogram TYPE lines are dropped first: `<name>_bucket` samples then come back
 * as their own families (one per series, as prom-client interleaves _bucket, _sum and _count), merged here by
 * name. The trailing newline keeps the parser from losing a last sample line.
 */
function parseFamilies(text: string): Map<string, PrometheusFamily> {
  const untyped = text.replace(/^# TYPE \S+ histogram[ \t]*$/gm, "");
  const families = new Map<string, PrometheusFamily>();
  for (const f of parsePrometheusTextFormat(`${untyped}\n`)) {
    const seen = families.get(f.name);
    if (seen) seen.metrics.push(...f.metrics);
    else families.set(f.name, f);
  }
  return families;
}

/** Parses a /metrics answer of the tenant service into a snapshot. */
export function parseTenantMetrics(text: string, at: Date): ScrapeSnapshot {
  const families = parseFamilies(text);
  return {
    at: at.getTime(),
    startTime: single(families, "tenant_process_start_time_seconds"),
    processCpuSeconds: single(families, "tenant_process_cpu_seconds_total"),
    dbCpuSeconds: single(families, "tenant_database_cpu_seconds"),
    requests: counterSum(families, "tenant_http_requests_total"),
    errors: counterSum(families, "tenant_http_errors_total"),
    buckets: histogramSum(families, "tenant_http_request_duration_seconds"),
    memoryBytes: single(families, "tenant_process_resident_memory_bytes"),
    storageBytes: single(families, "tenant_storage_bytes"),
  };
}

/**
 * The increase of a counter between two readings. After a reset (the process restarted, or the value went down)
 * the counter started again from zero, so the whole current value is the increase, as Prometheus counts it.
 */
export function counterDelta(previous: number, current: number, reset = false): number {
  if (reset || current < previous) return current;
  return current - previous;
}

/** Per-bucket increases of a cumulative histogram; a bucket that went down means the histogram started over. */
export function histogramDelta(previous: Bucket[], current: Bucket[], reset = false): Bucket[] {
  const before = new Map(previous);
  const wentDown = current.some(([le, c]) => c < (before.get(le) ?? 0));
  if (reset || wentDown) return current.map(([le, c]) => [le, c]);
  return current.map(([le, c]) => [le, c - (before.get(le) ?? 0)]);
}

/**
 * The q-quantile of a cumulative histogram, by linear interpolation inside the bucket the rank falls in
 * (Prometheus' histogram_quantile): null without observations or without a +Inf bucket; the highest finite bound
 * when the rank falls in +Inf; the first bucket's lower bound is 0.
 */
export function histogramQuantile(q: number, buckets: Bucket[]): number | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const last = sorted[sorted.length - 1];
  if (!last || last[0] !== Infinity) return null;
  // Cumulative counts must not decrease (they may, slightly, when summed from racing scrapes): clamp as Prometheus.
  let running = 0;
  const cumulative = sorted.map(([le, c]): Bucket => {
    running = Math.max(running, c);
    return [le, running];
  });
  const total = running;
  if (total <= 0) return null;
  const rank = q * total;
  const index = cumulative.findIndex(([, c]) => c >= rank);
  const [le, count] = cumulative[index]!;
  if (le === Infinity) {
    // Above the highest finite bound: that bound is the best estimate (there is none when +Inf is the only bucket).
    return cumulative.length > 1 ? cumulative[cumulative.length - 2]![0] : null;
  }
  const [lowerBound, lowerCount] = index > 0 ? cumulative[index - 1]! : [0, 0];
  if (count === lowerCount) return le;
  return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
}

/** Previous state older than this is not used for rates: after a long gap the first scrape starts over. */
export const MAX_RATE_WINDOW_MS = 15 * 60_000;

/**
 * The metric values of one scrape, given the previous one (null the first time): gauges always, rates and the
 * latency percentile only with a usable previous snapshot.
 */
export function computeMetrics(
  current: ScrapeSnapshot,
  previous: ScrapeSnapshot | null,
  target: { size: string; cloud: string },
): Partial<Record<MetricName, number>> {
  const values: Partial<Record<MetricName, number>> = {};
  if (current.memoryBytes !== null) values.memory_bytes = current.memoryBytes;
  if (current.storageBytes !== null) {
    values.storage_bytes = current.storageBytes;
    const quota = storageQuotaBytes(target.size);
    if (quota) values.storage_percent = (current.storageBytes / quota) * 100;
  }

  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  if (!previous || seconds <= 0 || seconds * 1000 > MAX_RATE_WINDOW_MS) return values;
  const restarted =
    previous.startTime !== null && current.startTime !== null && previous.startTime !== current.startTime;

  const requests = counterDelta(previous.requests, current.requests, restarted);
  const errors = counterDelta(previous.errors, current.errors, restarted);
  values.request_rate = requests / seconds;
  values.error_rate_percent = requests > 0 ? Math.min(100, (errors / requests) * 100) : 0;

  const p95 = histogramQuantile(0.95, histogramDelta(previous.buckets, current.buckets, restarted));
  if (p95 !== null) values.latency_p95_ms = p95 * 1000;

  if (previous.processCpuSeconds !== null && current.processCpuSeconds !== null) {
    const cpu = counterDelta(previous.processCpuSeconds, current.processCpuSeconds, restarted);
    values.process_cpu_percent = (cpu / seconds) * 100;
  }
  const vcpus = databaseVcpus(target.size, target.cloud);
  if (vcpus && previous.dbCpuSeconds !== null && current.dbCpuSeconds !== null) {
    // The database keeps counting across restarts of the application: only a decrease is a reset.
    const cpu = counterDelta(previous.dbCpuSeconds, current.dbCpuSeconds);
    values.db_cpu_percent = (cpu / seconds / vcpus) * 100;
  }
  return values;
}

/** The snapshot as JSON-safe state (JSON has no Infinity: the +Inf bound is stored as null). */
export function snapshotState(s: ScrapeSnapshot): unknown {
  return { ...s, buckets: s.buckets.map(([le, c]) => [le === Infinity ? null : le, c]) };
}

/** A previous collector state read back from JSON; null when it is not a snapshot of this shape. */
export function asSnapshot(value: unknown): ScrapeSnapshot | null {
  if (!value || typeof value !== "object") return null;
  const v = value as Partial<ScrapeSnapshot>;
  if (typeof v.at !== "number" || typeof v.requests !== "number" || typeof v.errors !== "number") return null;
  if (!Array.isArray(v.buckets)) return null;
  return {
    at: v.at,
    startTime: v.startTime ?? null,
    processCpuSeconds: v.processCpuSeconds ?? null,
    dbCpuSeconds: v.dbCpuSeconds ?? null,
    requests: v.requests,
    errors: v.errors,
    buckets: v.buckets.map(([le, c]) => [le === null ? Infinity : Number(le), Number(c)] as Bucket),
    memoryBytes: v.memoryBytes ?? null,
    storageBytes: v.storageBytes ?? null,
  };
}
