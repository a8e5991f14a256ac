// The GCP collector: an instance's metrics from Cloud Monitoring (projects.timeSeries.list over the REST transport),
// its health from an HTTP probe of its URL.
//
// Resources are found by the names the tenant program gives them (@cp/infra-tenant): the Cloud SQL instance
// (databaseInstanceName; Cloud Monitoring's database_id is `<project>:<instance>`), the HTTPS forwarding rule of the
// load balancer (httpsForwardingRuleName) and the bucket (the stack's `bucket` output).
//
// Each collection reads the window since the previous one (cloud-window.ts), one timeSeries.list per metric type
// (the API takes one metric type per filter), run side by side:
// - cloudsql.googleapis.com/database/cpu/utilization, ALIGN_MEAN: a fraction of the database's vCPUs, × 100;
// - loadbalancing.googleapis.com/https/total_latencies, ALIGN_DELTA + REDUCE_SUM: the window's latency distribution
//   merged over all series (response codes, client regions, ...), whose 95th percentile is interpolated here from its
//   buckets. ALIGN_PERCENTILE_95 would give one p95 per series, and percentiles of parts do not combine into the
//   percentile of the whole;
// - loadbalancing.googleapis.com/https/request_count, ALIGN_DELTA + REDUCE_SUM by response_code_class: requests and
//   5xx answers;
// - storage.googleapis.com/storage/total_bytes over the last hour, ALIGN_NEXT_OLDER + REDUCE_SUM over storage classes:
//   GCS measures it once a day and repeats the value every 5 minutes.
import { MetricServiceClient, type protos } from "@google-cloud/monitoring";
import { storageQuotaBytes, type MetricName } from "@cp/core";
import { databaseInstanceName, httpsForwardingRuleName } from "@cp/infra-tenant";
import { metricWindow, type MetricWindow, type WindowSettings, notDeployedResult } from "./cloud-window";
import { probeHealth } from "./http-probe";
import type { CollectOptions, CollectResult, CollectTarget, MetricsCollector } from "./types";

type ClientOptions = NonNullable<ConstructorParameters<typeof MetricServiceClient>[0]>;
type TimeSeries = protos.google.monitoring.v3.ITimeSeries;
type TypedValue = protos.google.monitoring.v3.ITypedValue;
type Distribution = protos.google.api.IDistribution;
type ListRequest = protos.google.monitoring.v3.IListTimeSeriesRequest;

export interface CloudMonitoringCollectorOptions {
  /** The GCP project of the tenant instances. */
  project: string;
  /** Root URL of the Cloud Monitoring API (a local stand-in in tests). Omitted: https://monitoring.googleapis.com. */
  apiEndpoint?: string;
  /** Credentials (tests: an OAuth2 client with a fixed token). Omitted: Application Default Credentials. */
  auth?: ClientOptions["authClient"];
  window?: Partial<WindowSettings>;
}

const DEFAULT_WINDOW: WindowSettings = {
  // Cloud SQL and load balancer metrics are sampled every 60 s and visible up to 210 s later.
  publishDelayMs: 4 * 60_000,
  firstWindowMs: 5 * 60_000,
  maxWindowMs: 60 * 60_000,
};
const STORAGE_LOOKBACK_S = 3600;
/** The client reports failures with gRPC status codes, also over REST. */
const GRPC_CODES: Record<number, string> = {
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  16: "UNAUTHENTICATED",
};

export class CloudMonitoringCollector implements MetricsCollector {
  private readonly client: MetricServiceClient;
  private readonly window: WindowSettings;

  constructor(private readonly options: CloudMonitoringCollectorOptions) {
    this.window = { ...DEFAULT_WINDOW, ...options.window };
    const endpoint = options.apiEndpoint ? new URL(options.apiEndpoint) : null;
    this.client = new MetricServiceClient({
      // The REST transport (HTTP/1.1 + JSON): the API's documented v3 REST surface, and no gRPC channel to keep.
      fallback: true,
      ...(endpoint
        ? {
            apiEndpoint: endpoint.hostname,
            port: Number(endpoint.port) || (endpoint.protocol === "http:" ? 80 : 443),
            protocol: endpoint.protocol.replace(/:$/, ""),
          }
        : {}),
      ...(options.auth ? { authClient: options.auth } : {}),
    });
  }

  async collect(target: CollectTarget, options: CollectOptions): Promise<CollectResult> {
    const at = new Date();
    const { outputs } = target;
    if (!outputs) return notDeployedResult(at);
    const { project } = this.options;
    const window = metricWindow(at, target.previousAt, this.window);
    const database = `${project}:${databaseInstanceName(target)}`;
    const rule = httpsForwardingRuleName(target);
    const lbFilter = (metric: string) =>
      `metric.type = "loadbalancing.googleapis.com/https/${metric}" AND resource.type = "https_lb_rule" AND ` +
      `resource.labels.forwarding_rule_name = "${rule}"`;
    const storageEnd = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const storageWindow: MetricWindow = {
      start: new Date(storageEnd.getTime() - STORAGE_LOOKBACK_S * 1000),
      end: storageEnd,
      seconds: STORAGE_LOOKBACK_S,
    };

    const [probe, cpu, latencies, requests, storage] = await Promise.all([
      probeHealth(outputs.url, options),
      this.list(`Cloud SQL instance ${database}`, window, {
        filter:
          `metric.type = "cloudsql.googleapis.com/database/cpu/utilization" AND resource.type = "cloudsql_database" AND ` +
          `resource.labels.database_id = "${database}"`,
        aggregation: { perSeriesAligner: "ALIGN_MEAN" },
      }),
      this.list(`load balancer forwarding rule ${rule}`, window, {
        filter: lbFilter("total_latencies"),
        aggregation: { perSeriesAligner: "ALIGN_DELTA", crossSeriesReducer: "REDUCE_SUM" },
      }),
      this.list(`load balancer forwarding rule ${rule}`, window, {
        filter: lbFilter("request_count"),
        aggregation: {
          perSeriesAligner: "ALIGN_DELTA",
          crossSeriesReducer: "REDUCE_SUM",
          groupByFields: ["metric.label.response_code_class"],
        },
      }),
      this.list(`bucket ${outputs.bucket}`, storageWindow, {
        filter:
          `metric.type = "storage.googleapis.com/storage/total_bytes" AND resource.type = "gcs_bucket" AND ` +
          `resource.labels.bucket_name = "${outputs.bucket}"`,
        aggregation: { perSeriesAligner: "ALIGN_NEXT_OLDER", crossSeriesReducer: "REDUCE_SUM" },
      }),
    ]);

    const values: Partial<Record<MetricName, number>> = { health_up: probe.health === "down" ? 0 : 1 };
    const utilization = newestNumber(cpu[0]);
    if (utilization !== undefined) values.db_cpu_percent = utilization * 100;
    const distribution = newestPoint(latencies[0])?.value?.distributionValue;
    const p95 = distribution ? distributionPercentile(distribution, 0.95) : undefined;
    if (p95 !== undefined) values.latency_p95_ms = p95;
    let total: number | undefined;
    let errors = 0;
    for (const series of requests) {
      const count = newestNumber(series);
      if (count === undefined) continue;
      total = (total ?? 0) + count;
      if (series.metric?.labels?.response_code_class === "500") errors += count;
    }
    if (total !== undefined) {
      values.request_rate = total / window.seconds;
      if (total > 0) values.error_rate_percent = (errors / total) * 100;
    }
    const bytes = newestNumber(storage[0]);
    if (bytes !== undefined) {
      values.storage_bytes = bytes;
      const quota = storageQuotaBytes(target.size);
      if (quota) values.storage_percent = (bytes / quota) * 100;
    }
    return {
      at,
      health: probe.health,
      ...(probe.detail ? { healthDetail: probe.detail } : {}),
      values,
      state: null,
    };
  }

  /** One timeSeries.list over the window, aligned to a single period; failures name the metric and the resource. */
  private async list(
    resource: string,
    window: MetricWindow,
    request: { filter: string; aggregation: ListRequest["aggregation"] },
  ): Promise<TimeSeries[]> {
    const metric = /metric\.type = "([^"]+)"/.exec(request.filter)?.[1] ?? "";
    try {
      const [series] = await this.client.listTimeSeries({
        name: `projects/${this.options.project}`,
        filter: request.filter,
        interval: { startTime: timestamp(window.start), endTime: timestamp(window.end) },
        aggregation: { alignmentPeriod: { seconds: window.seconds }, ...request.aggregation },
        view: "FULL",
      });
      return series;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = GRPC_CODES[(error as { code?: unknown } | null)?.code as number];
      throw new Error(
        `Cloud Monitoring timeSeries.list of ${metric} for ${resource} (project ${this.options.project}) failed: ${code ? `${code}: ` : ""}${message}`,
        { cause: error },
      );
    }
  }
}

function timestamp(date: Date): { seconds: number; nanos: number } {
  return { seconds: Math.floor(date.getTime() / 1000), nanos: 0 };
}

function newestPoint(series: TimeSeries | undefined) {
  // timeSeries.list returns a series' points newest first.
  return series?.points?.[0];
}

function newestNumber(series: TimeSeries | undefined): number | undefined {
  return numberOf(newestPoint(series)?.value);
}

/** A numeric TypedValue; the client fills absent oneof members with defaults, so the oneof's name decides. */
function numberOf(value: TypedValue | null | undefined): number | undefined {
  if (!value) return undefined;
  const kind = (value as { value?: string }).value;
  if (kind === "doubleValue" || (kind === undefined && value.doubleValue != null))
    return Number(value.doubleValue);
  if (kind === "int64Value" || (kind === undefined && value.int64Value != null))
    return Number(value.int64Value);
  return undefined;
}

/**
 * The q-quantile of a distribution, interpolated linearly within the bucket it falls in (as Prometheus'
 * histogram_quantile does). Undefined for an empty distribution.
 */
export function distributionPercentile(distribution: Distribution, q: number): number | undefined {
  const counts = (distribution.bucketCounts ?? []).map(Number);
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return undefined;
  const bounds = bucketBounds(distribution.bucketOptions);
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (count > 0 && seen + count >= rank) {
      const [lower, upper] = bounds(i);
      if (!Number.isFinite(upper)) return Number.isFinite(lower) ? lower : undefined;
      const from = Number.isFinite(lower) ? lower : Math.min(0, upper);
      return from + ((upper - from) * (rank - seen)) / count;
    }
    seen += count;
  }
  return undefined;
}

/** Bucket i's [lower, upper) bounds: bucket 0 is the underflow bucket, the one after the finite ones the overflow. */
function bucketBounds(options: Distribution["bucketOptions"]): (i: number) => [number, number] {
  const linear = options?.linearBuckets;
  const exponential = options?.exponentialBuckets;
  const explicit = options?.explicitBuckets;
  let edge: (i: number) => number;
  let finite: number;
  if (exponential?.numFiniteBuckets) {
    const { growthFactor, scale } = exponential;
    finite = exponential.numFiniteBuckets;
    edge = (i) => Number(scale) * Number(growthFactor) ** i;
  } else if (linear?.numFiniteBuckets) {
    const { width, offset } = linear;
    finite = linear.numFiniteBuckets;
    edge = (i) => Number(offset ?? 0) + Number(width) * i;
  } else if (explicit?.bounds?.length) {
    const b = explicit.bounds;
    finite = b.length - 1;
    edge = (i) => b[i]!;
  } else {
    // One bucket holding everything: no way to place a percentile within it.
    return () => [Number.NaN, Number.POSITIVE_INFINITY];
  }
  return (i) => [
    i === 0 ? Number.NEGATIVE_INFINITY : edge(i - 1),
    i > finite ? Number.POSITIVE_INFINITY : edge(i),
  ];
}
