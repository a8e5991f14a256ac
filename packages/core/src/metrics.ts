// The metrics the control plane keeps for every dedicated instance: one time series each (MetricSeries), sampled
// by the worker's health poll (local cloud: the tenant service's /healthz and /metrics; AWS/GCP: the cloud's
// monitoring API through a collector), downsampled and charted on the tenant health page.
import { SIZES, type SizeId } from "./catalog";

export const METRIC_NAMES = [
  "health_up",
  "db_cpu_percent",
  "latency_p95_ms",
  "error_rate_percent",
  "request_rate",
  "storage_bytes",
  "storage_percent",
  "process_cpu_percent",
  "memory_bytes",
  "bucket_checks_ok",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export type MetricUnit = "bool" | "percent" | "ms" | "per_second" | "bytes";

export interface MetricDefinition {
  name: MetricName;
  label: string;
  unit: MetricUnit;
  description: string;
}

export const METRICS: Record<MetricName, MetricDefinition> = {
  health_up: {
    name: "health_up",
    label: "Health check",
    unit: "bool",
    description: "1 when the instance's health endpoint answered 200 within the timeout, 0 otherwise.",
  },
  db_cpu_percent: {
    name: "db_cpu_percent",
    label: "Database CPU",
    unit: "percent",
    description: "Database CPU time between two polls, as a share of the database's vCPUs.",
  },
  latency_p95_ms: {
    name: "latency_p95_ms",
    label: "Request latency p95",
    unit: "ms",
    description:
      "95th percentile of request latency between two polls (from the latency histogram's deltas).",
  },
  error_rate_percent: {
    name: "error_rate_percent",
    label: "Error rate",
    unit: "percent",
    description: "Server errors (5xx) as a share of requests between two polls.",
  },
  request_rate: {
    name: "request_rate",
    label: "Requests",
    unit: "per_second",
    description: "Requests per second between two polls.",
  },
  storage_bytes: {
    name: "storage_bytes",
    label: "Storage used",
    unit: "bytes",
    description: "Bytes stored in the instance's bucket.",
  },
  storage_percent: {
    name: "storage_percent",
    label: "Storage quota used",
    unit: "percent",
    description: "Storage used as a share of the size preset's storage quota.",
  },
  process_cpu_percent: {
    name: "process_cpu_percent",
    label: "Application CPU",
    unit: "percent",
    description: "CPU time of the application processes between two polls, as a share of one core.",
  },
  memory_bytes: {
    name: "memory_bytes",
    label: "Application memory",
    unit: "bytes",
    description: "Resident memory of the application processes.",
  },
  bucket_checks_ok: {
    name: "bucket_checks_ok",
    label: "Bucket checks",
    unit: "bool",
    description: "1 when the daily re-check of a customer-owned bucket passed, 0 when a check now fails.",
  },
};

export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/** The storage quota of a size preset, in bytes (storage_percent is measured against it). */
export function storageQuotaBytes(size: string): number | null {
  const preset = SIZES[size as SizeId] as (typeof SIZES)[SizeId] | undefined;
  return preset ? preset.storageQuotaGiB * 1024 ** 3 : null;
}

/** The database vCPUs of a size preset on a cloud (db_cpu_percent is measured against them). */
export function databaseVcpus(size: string, cloud: string): number | null {
  const preset = SIZES[size as SizeId] as (typeof SIZES)[SizeId] | undefined;
  if (!preset) return null;
  return cloud === "local" ? preset.local.dbVcpus : preset.dbVcpus;
}

/** Chart ranges of the tenant health page, and the resolution each reads (raw samples or a rollup). */
export const METRIC_RANGES = {
  "1h": { seconds: 3600, resolution: 0 },
  "6h": { seconds: 6 * 3600, resolution: 0 },
  "24h": { seconds: 24 * 3600, resolution: 300 },
  "7d": { seconds: 7 * 86400, resolution: 300 },
  "30d": { seconds: 30 * 86400, resolution: 3600 },
} as const;
export type MetricRange = keyof typeof METRIC_RANGES;
export const METRIC_RANGE_IDS = Object.keys(METRIC_RANGES) as MetricRange[];
