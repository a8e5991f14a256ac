// The AWS collector: an instance's metrics from CloudWatch, its health from an HTTP probe of its URL combined with
// its load balancer's target health.
//
// Resources are found by the names the tenant program gives them (@cp/infra-tenant): the RDS instance
// (databaseInstanceName), the application load balancer (loadBalancerName) and the bucket (the stack's `bucket`
// output). CloudWatch addresses a load balancer and its target group as `app/<name>/<id>` and
// `targetgroup/<name>/<id>`, whose ids AWS assigns (and the target group's name Pulumi generates), so they are looked
// up once with ListMetrics (the HealthyHostCount series of the load balancer, which carries both) and kept in the
// collector state.
//
// Each collection reads the window since the previous one (cloud-window.ts) with one GetMetricData call: RDS
// CPUUtilization (average), ALB TargetResponseTime (p95), RequestCount and HTTPCode_Target_5XX_Count (sums), and the
// target group's HealthyHostCount (minimum) / UnHealthyHostCount (maximum). S3 publishes BucketSizeBytes once a day,
// so it is read by a separate GetMetricData over the last days only every few hours, and the last reading is reported
// in between.
import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type Dimension,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { storageQuotaBytes, type MetricName } from "@cp/core";
import { databaseInstanceName, loadBalancerName } from "@cp/infra-tenant";
import { metricWindow, type MetricWindow, type WindowSettings, notDeployedResult } from "./cloud-window";
import { probeHealth } from "./http-probe";
import type { CollectOptions, CollectResult, CollectTarget, HealthVerdict, MetricsCollector } from "./types";

export interface CloudWatchCollectorOptions {
  /** CloudWatch endpoint URL (a local stand-in in tests, or a VPC endpoint). Omitted: the region's public endpoint. */
  endpoint?: string;
  /** Static credentials (tests). Omitted: the SDK's default chain (environment, web identity, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * The region of the CloudWatch calls. Omitted: the instance's region (each instance's metrics live in its region).
   */
  region?: string;
  window?: Partial<WindowSettings>;
  /** How often the daily S3 bucket size is read again. */
  storageRefreshMs?: number;
}

/** What one collection hands to the next. */
interface AwsState {
  /** CloudWatch's LoadBalancer and TargetGroup dimension values, once found. */
  loadBalancer?: string;
  targetGroup?: string;
  /** The last S3 bucket size reading, and when it was read. */
  storage?: { bucket: string; bytes: number | null; checkedAt: number };
}

const DEFAULT_WINDOW: WindowSettings = {
  // ALB and RDS publish one-minute data points within a minute or two.
  publishDelayMs: 2 * 60_000,
  firstWindowMs: 5 * 60_000,
  maxWindowMs: 60 * 60_000,
};
const DAY = 86_400;

export class CloudWatchCollector implements MetricsCollector {
  private readonly clients = new Map<string, CloudWatchClient>();
  private readonly window: WindowSettings;
  private readonly storageRefreshMs: number;

  constructor(private readonly options: CloudWatchCollectorOptions = {}) {
    this.window = { ...DEFAULT_WINDOW, ...options.window };
    this.storageRefreshMs = options.storageRefreshMs ?? 6 * 3600_000;
  }

  async collect(target: CollectTarget, options: CollectOptions): Promise<CollectResult> {
    const at = new Date();
    const { outputs } = target;
    if (!outputs) return notDeployedResult(at);
    const previous = readState(target.previous);
    const window = metricWindow(at, target.previousAt, this.window);
    const api = new CloudWatchApi(this.client(target.region), target.region, options.signal);
    const dbId = databaseInstanceName(target);
    const lbName = loadBalancerName(target);

    const [probe, resources] = await Promise.all([
      probeHealth(outputs.url, options),
      previous.loadBalancer
        ? { loadBalancer: previous.loadBalancer, targetGroup: previous.targetGroup }
        : api.findLoadBalancer(lbName),
    ]);
    const queries = windowQueries(dbId, resources, window.seconds);
    const results = await api.metricData(queries, window, `RDS ${dbId}, load balancer ${lbName}`);
    const storage = await this.storage(api, outputs.bucket, previous.storage, at);

    const values: Partial<Record<MetricName, number>> = { health_up: probe.health === "down" ? 0 : 1 };
    const cpu = latest(results, "dbCpu");
    if (cpu !== undefined) values.db_cpu_percent = cpu;
    const p95 = latest(results, "latencyP95");
    if (p95 !== undefined) values.latency_p95_ms = p95 * 1000;
    const requests = latest(results, "requests");
    if (requests !== undefined) {
      values.request_rate = requests / window.seconds;
      // ALB publishes HTTPCode_Target_5XX_Count only for periods that had one: requests without it had no 5xx.
      if (requests > 0) values.error_rate_percent = ((latest(results, "errors5xx") ?? 0) / requests) * 100;
    }
    if (storage.bytes !== null) {
      values.storage_bytes = storage.bytes;
      const quota = storageQuotaBytes(target.size);
      if (quota) values.storage_percent = (storage.bytes / quota) * 100;
    }

    const verdict = combineHealth(probe, latest(results, "healthyHosts"), latest(results, "unhealthyHosts"));
    const state: AwsState = { ...resources, storage };
    return {
      at,
      health: verdict.health,
      ...(verdict.detail ? { healthDetail: verdict.detail } : {}),
      values,
      state,
    };
  }

  /** The bucket's size: read again when the last reading is older than storageRefreshMs. */
  private async storage(
    api: CloudWatchApi,
    bucket: string,
    last: AwsState["storage"],
    at: Date,
  ): Promise<NonNullable<AwsState["storage"]>> {
    if (last && last.bucket === bucket && at.getTime() - last.checkedAt < this.storageRefreshMs) return last;
    // S3 stamps the daily value at midnight UTC and publishes it some hours later: the last three days hold it.
    const end = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const window: MetricWindow = { start: new Date(end.getTime() - 3 * DAY * 1000), end, seconds: 3 * DAY };
    const results = await api.metricData(
      [
        {
          Id: "bucketBytes",
          MetricStat: {
            Metric: {
              Namespace: "AWS/S3",
              MetricName: "BucketSizeBytes",
              Dimensions: [
                { Name: "BucketName", Value: bucket },
                { Name: "StorageType", Value: "StandardStorage" },
              ],
            },
            Period: DAY,
            Stat: "Average",
          },
        },
      ],
      window,
      `S3 bucket ${bucket}`,
    );
    return { bucket, bytes: latest(results, "bucketBytes") ?? null, checkedAt: at.getTime() };
  }

  private client(region: string): CloudWatchClient {
    const target = this.options.region ?? region;
    let client = this.clients.get(target);
    if (!client) {
      client = new CloudWatchClient({
        region: target,
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        maxAttempts: 2,
      });
      this.clients.set(target, client);
    }
    return client;
  }
}

/** The queries of one window; the load balancer's only when CloudWatch has its dimensions. */
function windowQueries(
  dbId: string,
  lb: { loadBalancer?: string; targetGroup?: string },
  period: number,
): MetricDataQuery[] {
  const query = (id: string, namespace: string, metric: string, dimensions: Dimension[], stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensions },
      Period: period,
      Stat: stat,
    },
  });
  const queries = [
    query("dbCpu", "AWS/RDS", "CPUUtilization", [{ Name: "DBInstanceIdentifier", Value: dbId }], "Average"),
  ];
  if (lb.loadBalancer) {
    const byLb = [{ Name: "LoadBalancer", Value: lb.loadBalancer }];
    queries.push(
      query("latencyP95", "AWS/ApplicationELB", "TargetResponseTime", byLb, "p95"),
      query("requests", "AWS/ApplicationELB", "RequestCount", byLb, "Sum"),
      query("errors5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", byLb, "Sum"),
    );
  }
  if (lb.loadBalancer && lb.targetGroup) {
    const byTargets = [
      { Name: "TargetGroup", Value: lb.targetGroup },
      { Name: "LoadBalancer", Value: lb.loadBalancer },
    ];
    queries.push(
      query("healthyHosts", "AWS/ApplicationELB", "HealthyHostCount", byTargets, "Minimum"),
      query("unhealthyHosts", "AWS/ApplicationELB", "UnHealthyHostCount", byTargets, "Maximum"),
    );
  }
  return queries;
}

/** The newest value of a query's result; undefined when CloudWatch has no data point for it. */
function latest(results: MetricDataResult[], id: string): number | undefined {
  const result = results.find((r) => r.Id === id);
  if (!result?.Values?.length) return undefined;
  const timestamps = result.Timestamps ?? [];
  let newest = 0;
  for (let i = 1; i < result.Values.length; i++) {
    if ((timestamps[i]?.getTime() ?? 0) > (timestamps[newest]?.getTime() ?? 0)) newest = i;
  }
  return result.Values[newest];
}

/**
 * The probe decides up or down (it is what users see); a load balancer with unhealthy targets makes an instance that
 * answers degraded.
 */
function combineHealth(
  probe: { health: HealthVerdict; detail?: string },
  healthy: number | undefined,
  unhealthy: number | undefined,
): { health: HealthVerdict; detail?: string } {
  if (probe.health === "down") return probe;
  const details = probe.detail ? [probe.detail] : [];
  if (unhealthy !== undefined && unhealthy > 0) {
    details.push(
      `${unhealthy} load balancer target(s) unhealthy${healthy !== undefined ? `, ${healthy} healthy` : ""}`,
    );
  } else if (healthy === 0) {
    details.push("the load balancer reports no healthy targets");
  } else {
    return probe;
  }
  return { health: "degraded", detail: details.join("; ") };
}

function readState(previous: unknown): AwsState {
  if (!previous || typeof previous !== "object") return {};
  const s = previous as Record<string, unknown>;
  const storage = s.storage as Record<string, unknown> | undefined;
  return {
    ...(typeof s.loadBalancer === "string" ? { loadBalancer: s.loadBalancer } : {}),
    ...(typeof s.targetGroup === "string" ? { targetGroup: s.targetGroup } : {}),
    ...(storage && typeof storage.bucket === "string" && typeof storage.checkedAt === "number"
      ? {
          storage: {
            bucket: storage.bucket,
            bytes: typeof storage.bytes === "number" ? storage.bytes : null,
            checkedAt: storage.checkedAt,
          },
        }
      : {}),
  };
}

/** The CloudWatch calls of one collection; failures as errors naming the API, the resource and the region. */
class CloudWatchApi {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly region: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async metricData(
    queries: MetricDataQuery[],
    window: MetricWindow,
    what: string,
  ): Promise<MetricDataResult[]> {
    const output = await this.call(`GetMetricData for ${what}`, () =>
      this.client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: window.start,
          EndTime: window.end,
          ScanBy: "TimestampDescending",
        }),
        { abortSignal: this.signal },
      ),
    );
    const results = output.MetricDataResults ?? [];
    const failed = results.find((r) => r.StatusCode === "Forbidden" || r.StatusCode === "InternalError");
    if (failed) {
      const message = failed.Messages?.map((m) => m.Value).join("; ");
      throw new Error(
        `CloudWatch GetMetricData for ${what} (${this.region}): query ${failed.Id} answered ${failed.StatusCode}${message ? `: ${message}` : ""}`,
      );
    }
    return results;
  }

  /** The load balancer's LoadBalancer and TargetGroup dimension values, from its HealthyHostCount series. */
  async findLoadBalancer(name: string): Promise<{ loadBalancer?: string; targetGroup?: string }> {
    const prefix = `app/${name}/`;
    let nextToken: string | undefined;
    let loadBalancerOnly: string | undefined;
    do {
      const page = await this.call(`ListMetrics for load balancer ${name}`, () =>
        this.client.send(
          new ListMetricsCommand({
            Namespace: "AWS/ApplicationELB",
            MetricName: "HealthyHostCount",
            Dimensions: [{ Name: "LoadBalancer" }, { Name: "TargetGroup" }],
            RecentlyActive: "PT3H",
            NextToken: nextToken,
          }),
          { abortSignal: this.signal },
        ),
      );
      for (const metric of page.Metrics ?? []) {
        const dims = new Map((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        const loadBalancer = dims.get("LoadBalancer");
        if (!loadBalancer?.startsWith(prefix)) continue;
        const targetGroup = dims.get("TargetGroup");
        // The series per target group and availability zone carry the same two values; the plain one is enough.
        if (targetGroup && !dims.has("AvailabilityZone")) return { loadBalancer, targetGroup };
        loadBalancerOnly ??= loadBalancer;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return loadBalancerOnly ? { loadBalancer: loadBalancerOnly } : {};
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const code = e.name && e.name !== "Error" ? `${e.name}: ` : "";
      const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : "";
      throw new Error(
        `CloudWatch ${action} (${this.region}) failed${status}: ${code}${e.message ?? String(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
