// Test support: a local stand-in for the Amazon CloudWatch API (2010-08-01), the two actions the CloudWatch collector
// uses, so that tests drive the real @aws-sdk/client-cloudwatch client against it.
//
// As CloudWatch does for the SDK version installed here (3.11xx speaks the AWS JSON 1.0 protocol, query-compatible):
// requests are POSTs to `/` with `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target:
// GraniteServiceVersion20100801.<Action>` and a JSON body, signed with SigV4 for the region and the `monitoring`
// service (the credential scope is checked, the signature is not); timestamps travel as epoch seconds. Errors are JSON
// `{ "__type", "message" }` with the query-protocol code in `x-amzn-query-error: <Code>;Sender`.
//
// GetMetricData aggregates the raw samples a test put in, per query and period, from StartTime on, the way CloudWatch
// does: Sum, Average, Minimum, Maximum, SampleCount and percentiles (pNN) over the samples in each period; a period
// without samples has no data point. Results are newest first (ScanBy's default, TimestampDescending).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeDimension {
  Name: string;
  Value: string;
}

export interface FakeSample {
  at: Date;
  value: number;
}

export interface FakeMetricCall {
  action: string;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeCloudWatch {
  endpoint: string;
  region: string;
  calls: FakeMetricCall[];
  /** Adds raw samples of a metric (created on first use, which also makes it show up in ListMetrics). */
  put(namespace: string, metricName: string, dimensions: FakeDimension[], samples: FakeSample[]): void;
  /** Every request from now on fails with this error (e.g. Throttling 400, AccessDenied 403); null: answer again. */
  fail(error: { code: string; message: string; status?: number } | null): void;
  /** ListMetrics page size (CloudWatch: 500). */
  pageSize: number;
  close(): Promise<void>;
}

class CloudWatchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Series {
  namespace: string;
  metricName: string;
  dimensions: FakeDimension[];
  samples: FakeSample[];
}

const TARGET_PREFIX = "GraniteServiceVersion20100801.";
const ID = /^[a-z][a-zA-Z0-9_]*$/;
const STATS = new Set(["Sum", "Average", "Minimum", "Maximum", "SampleCount"]);

const dimensionKey = (dimensions: FakeDimension[]) =>
  [...dimensions]
    .sort((a, b) => a.Name.localeCompare(b.Name))
    .map((d) => `${d.Name}=${d.Value}`)
    .join(",");

export async function startFakeCloudWatch(options: {
  region: string;
  accessKeyId: string;
}): Promise<FakeCloudWatch> {
  const { region, accessKeyId } = options;
  const series = new Map<string, Series>();
  const calls: FakeMetricCall[] = [];
  let failure: CloudWatchError | null = null;
  const fake = { pageSize: 500 };

  function put(namespace: string, metricName: string, dimensions: FakeDimension[], samples: FakeSample[]) {
    const key = `${namespace}|${metricName}|${dimensionKey(dimensions)}`;
    const entry = series.get(key) ?? { namespace, metricName, dimensions, samples: [] };
    entry.samples.push(...samples);
    series.set(key, entry);
  }

  function aggregate(stat: string, values: number[]): number {
    if (stat === "Sum") return values.reduce((a, b) => a + b, 0);
    if (stat === "Average") return values.reduce((a, b) => a + b, 0) / values.length;
    if (stat === "Minimum") return Math.min(...values);
    if (stat === "Maximum") return Math.max(...values);
    if (stat === "SampleCount") return values.length;
    const percentile = Number(stat.slice(1));
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)]!;
  }

  function getMetricData(body: Record<string, unknown>): unknown {
    const queries = body.MetricDataQueries;
    const start = body.StartTime;
    const end = body.EndTime;
    if (!Array.isArray(queries) || queries.length === 0 || queries.length > 500) {
      throw new CloudWatchError(
        400,
        "InvalidParameterValue",
        "MetricDataQueries must hold 1 to 500 queries.",
      );
    }
    if (typeof start !== "number" || typeof end !== "number") {
      throw new CloudWatchError(
        400,
        "MissingParameter",
        "StartTime and EndTime are required (epoch seconds).",
      );
    }
    if (start >= end) {
      throw new CloudWatchError(
        400,
        "InvalidParameterValue",
        "The parameter StartTime must be less than EndTime.",
      );
    }
    const seen = new Set<string>();
    const results = (queries as Record<string, unknown>[]).map((query) => {
      const id = query.Id;
      if (typeof id !== "string" || !ID.test(id) || seen.has(id)) {
        throw new CloudWatchError(
          400,
          "ValidationError",
          `Invalid or duplicate metric data query Id ${String(id)}.`,
        );
      }
      seen.add(id);
      const stat = query.MetricStat as
        | {
            Metric?: { Namespace?: string; MetricName?: string; Dimensions?: FakeDimension[] };
            Period?: number;
            Stat?: string;
          }
        | undefined;
      if (
        !stat?.Metric?.Namespace ||
        !stat.Metric.MetricName ||
        typeof stat.Period !== "number" ||
        !stat.Stat
      ) {
        throw new CloudWatchError(
          400,
          "ValidationError",
          `Query ${id}: MetricStat needs Metric.Namespace, Metric.MetricName, Period and Stat.`,
        );
      }
      if (stat.Period < 60 || stat.Period % 60 !== 0) {
        throw new CloudWatchError(
          400,
          "InvalidParameterValue",
          `Query ${id}: Period must be a multiple of 60.`,
        );
      }
      if (!STATS.has(stat.Stat) && !/^p\d{1,2}(\.\d+)?$/.test(stat.Stat)) {
        throw new CloudWatchError(
          400,
          "InvalidParameterValue",
          `Query ${id}: unknown statistic ${stat.Stat}.`,
        );
      }
      const key = `${stat.Metric.Namespace}|${stat.Metric.MetricName}|${dimensionKey(stat.Metric.Dimensions ?? [])}`;
      const samples = series.get(key)?.samples ?? [];
      const buckets = new Map<number, number[]>();
      for (const sample of samples) {
        const t = sample.at.getTime() / 1000;
        if (t < start || t >= end) continue;
        const bucket = start + Math.floor((t - start) / stat.Period) * stat.Period;
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), sample.value]);
      }
      const points = [...buckets.entries()].sort((a, b) => b[0] - a[0]);
      return {
        Id: id,
        Label: stat.Metric.MetricName,
        Timestamps: points.map(([t]) => t),
        Values: points.map(([, values]) => aggregate(stat.Stat!, values)),
        StatusCode: "Complete",
      };
    });
    return { MetricDataResults: results, Messages: [] };
  }

  function listMetrics(body: Record<string, unknown>): unknown {
    const filters = (body.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
    const recent = body.RecentlyActive;
    if (recent !== undefined && recent !== "PT3H") {
      throw new CloudWatchError(400, "InvalidParameterValue", "RecentlyActive must be PT3H.");
    }
    const matching = [...series.values()].filter(
      (s) =>
        (!body.Namespace || s.namespace === body.Namespace) &&
        (!body.MetricName || s.metricName === body.MetricName) &&
        filters.every((f) =>
          s.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
        ) &&
        (!recent || s.samples.some((x) => x.at.getTime() >= Date.now() - 3 * 3600_000)),
    );
    const from = Number(body.NextToken ?? 0);
    const page = matching.slice(from, from + fake.pageSize);
    return {
      Metrics: page.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: s.dimensions,
      })),
      ...(from + fake.pageSize < matching.length ? { NextToken: String(from + fake.pageSize) } : {}),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await new Promise<string>((resolve, reject) => {
      let data = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (data += chunk));
      req.on("end", () => resolve(data));
      req.on("error", reject);
    });
    const requestId = randomUUID();
    const reply = (status: number, value: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": requestId,
        ...extra,
      });
      res.end(JSON.stringify(value));
    };
    try {
      if (req.method !== "POST" || req.url !== "/") {
        throw new CloudWatchError(404, "UnknownOperationException", "The JSON protocol takes POST /.");
      }
      if (!req.headers["content-type"]?.startsWith("application/x-amz-json-1.0")) {
        throw new CloudWatchError(
          400,
          "SerializationException",
          "Expected Content-Type application/x-amz-json-1.0.",
        );
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      if (!target.startsWith(TARGET_PREFIX)) {
        throw new CloudWatchError(400, "UnknownOperationException", `Unknown X-Amz-Target ${target}.`);
      }
      const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
        req.headers.authorization ?? "",
      );
      if (!scope) throw new CloudWatchError(403, "IncompleteSignature", "Request must contain a signature.");
      if (scope[1] !== accessKeyId) {
        throw new CloudWatchError(
          403,
          "InvalidClientTokenId",
          "The security token included in the request is invalid.",
        );
      }
      if (scope[2] !== region || scope[3] !== "monitoring") {
        throw new CloudWatchError(
          403,
          "SignatureDoesNotMatch",
          `Credential should be scoped to a valid region and service: ${region}/monitoring.`,
        );
      }
      const action = target.slice(TARGET_PREFIX.length);
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      calls.push({ action, body, headers: req.headers });
      if (failure) throw failure;
      if (action === "GetMetricData") return reply(200, getMetricData(body));
      if (action === "ListMetrics") return reply(200, listMetrics(body));
      throw new CloudWatchError(
        400,
        "UnknownOperationException",
        `This stand-in does not implement ${action}.`,
      );
    } catch (error) {
      const e =
        error instanceof CloudWatchError
          ? error
          : new CloudWatchError(500, "InternalServiceError", String(error));
      reply(
        e.status,
        { __type: `com.amazonaws.cloudwatch#${e.code}`, message: e.message },
        { "x-amzn-query-error": `${e.code};${e.status >= 500 ? "Receiver" : "Sender"}` },
      );
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    calls,
    put,
    fail: (error: { code: string; message: string; status?: number } | null) =>
      void (failure = error && new CloudWatchError(error.status ?? 400, error.code, error.message)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  });
}
