// Test support: a local stand-in for the Cloud Monitoring API v3's projects.timeSeries.list (REST), enough of it for
// the Cloud Monitoring collector, so that tests drive the real @google-cloud/monitoring client (REST transport)
// against it.
//
// As the API reference describes it: `GET /v3/projects/{project}/timeSeries` with `filter` (required; here the
// `a = "b" AND ...` subset of the filter language over metric.type, resource.type, resource.labels.* and
// metric.labels.*), `interval.startTime` / `interval.endTime` (RFC 3339), `aggregation.alignmentPeriod` ("300s"),
// `aggregation.perSeriesAligner`, `aggregation.crossSeriesReducer`, `aggregation.groupByFields` (enums by name, or by
// number as the Node.js client sends them). It answers `{ timeSeries: [{ metric, resource, metricKind, valueType,
// points: [{ interval, value }] }] }` with points newest first, int64 values as strings, enums by number when the
// request asks for `$alt=json;enum-encoding=int` (the Node.js client does), and errors as `{ error: { code, message,
// status } }`. A request needs `Authorization: Bearer <token>`.
//
// Aggregation is computed from the raw points a test put in: alignment periods end at interval.endTime; aligners
// ALIGN_MEAN, ALIGN_MAX, ALIGN_DELTA (sums numbers, merges distributions) and ALIGN_NEXT_OLDER; reducers REDUCE_NONE
// and REDUCE_SUM (numbers, and distributions with the same buckets), grouped by groupByFields.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { protos } from "@google-cloud/monitoring";

const { Aligner, Reducer } = protos.google.monitoring.v3.Aggregation;
const { MetricKind, ValueType } = protos.google.api.MetricDescriptor;

export interface FakeDistribution {
  bucketOptions: Record<string, unknown>;
  bucketCounts: number[];
}

export interface FakePoint {
  at: Date;
  value: number | FakeDistribution;
}

export interface FakeTimeSeries {
  metric: { type: string; labels?: Record<string, string> };
  resource: { type: string; labels: Record<string, string> };
  metricKind: "GAUGE" | "DELTA";
  valueType: "DOUBLE" | "INT64" | "DISTRIBUTION";
  points: FakePoint[];
}

export interface FakeListRequest {
  project: string;
  filter: string;
  startTime: string | null;
  endTime: string | null;
  alignmentPeriod: string | null;
  perSeriesAligner: string | null;
  crossSeriesReducer: string | null;
  groupByFields: string[];
  /** The `$alt` system parameter (`json;enum-encoding=int` from the Node.js client). */
  alt: string | null;
}

export interface FakeCloudMonitoring {
  /** host:port URL of the stand-in. */
  endpoint: string;
  project: string;
  token: string;
  requests: FakeListRequest[];
  put(series: FakeTimeSeries): void;
  /** Every request from now on fails with this HTTP status and message; null: answer again. */
  fail(error: { code: number; status: string; message: string } | null): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

type Value = number | FakeDistribution;

const enumName = (table: Record<string, string | number>, raw: string | null): string | null => {
  if (raw === null) return null;
  const name = /^\d+$/.test(raw) ? table[Number(raw)] : raw;
  if (typeof name !== "string" || !(name in table)) {
    throw new ApiError(400, "INVALID_ARGUMENT", `Invalid value at 'aggregation' (${raw}).`);
  }
  return name;
};

function parseFilter(filter: string): [string, string][] {
  return filter.split(/\s+AND\s+/).map((clause) => {
    const match = /^\s*([a-z_.]+)\s*=\s*"([^"]*)"\s*$/.exec(clause);
    if (!match) throw new ApiError(400, "INVALID_ARGUMENT", `Could not parse the filter clause: ${clause}`);
    return [match[1]!, match[2]!];
  });
}

function field(series: FakeTimeSeries, path: string): string | undefined {
  if (path === "metric.type") return series.metric.type;
  if (path === "resource.type") return series.resource.type;
  const label = /^(metric|resource)\.labels?\.(.+)$/.exec(path);
  if (!label)
    throw new ApiError(400, "INVALID_ARGUMENT", `Unknown field ${path} in filter or groupByFields.`);
  return label[1] === "metric" ? series.metric.labels?.[label[2]!] : series.resource.labels[label[2]!];
}

function mergeDistributions(values: FakeDistribution[]): FakeDistribution {
  const first = values[0]!;
  const counts = [...first.bucketCounts];
  for (const d of values.slice(1)) {
    if (JSON.stringify(d.bucketOptions) !== JSON.stringify(first.bucketOptions)) {
      throw new ApiError(400, "INVALID_ARGUMENT", "Distributions with different buckets cannot be summed.");
    }
    d.bucketCounts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
  }
  return { bucketOptions: first.bucketOptions, bucketCounts: counts };
}

function sum(values: Value[]): Value {
  if (typeof values[0] === "number") return (values as number[]).reduce((a, b) => a + b, 0);
  return mergeDistributions(values as FakeDistribution[]);
}

function align(aligner: string, points: FakePoint[]): Value {
  const values = points.map((p) => p.value);
  switch (aligner) {
    case "ALIGN_MEAN":
      return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
    case "ALIGN_MAX":
      return Math.max(...(values as number[]));
    case "ALIGN_DELTA":
      return sum(values);
    case "ALIGN_NEXT_OLDER":
      return [...points].sort((a, b) => b.at.getTime() - a.at.getTime())[0]!.value;
    default:
      throw new ApiError(400, "INVALID_ARGUMENT", `The stand-in does not implement the aligner ${aligner}.`);
  }
}

function encodeValue(series: FakeTimeSeries, value: Value): Record<string, unknown> {
  if (typeof value !== "number") {
    const count = value.bucketCounts.reduce((a, b) => a + b, 0);
    return {
      distributionValue: {
        count: String(count),
        bucketOptions: value.bucketOptions,
        bucketCounts: value.bucketCounts.map(String),
      },
    };
  }
  return series.valueType === "INT64" ? { int64Value: String(Math.round(value)) } : { doubleValue: value };
}

export async function startFakeCloudMonitoring(options: {
  project: string;
  token?: string;
}): Promise<FakeCloudMonitoring> {
  const { project } = options;
  const token = options.token ?? "fake-monitoring-token";
  const all: FakeTimeSeries[] = [];
  const requests: FakeListRequest[] = [];
  let failure: ApiError | null = null;

  function list(request: FakeListRequest): unknown {
    if (!request.filter)
      throw new ApiError(400, "INVALID_ARGUMENT", "Field filter had an invalid value: empty.");
    if (!request.endTime) throw new ApiError(400, "INVALID_ARGUMENT", "Field interval.endTime must be set.");
    const clauses = parseFilter(request.filter);
    if (!clauses.some(([key]) => key === "metric.type")) {
      throw new ApiError(400, "INVALID_ARGUMENT", "A filter must name exactly one metric type.");
    }
    const end = Date.parse(request.endTime);
    const start = request.startTime ? Date.parse(request.startTime) : end;
    if (Number.isNaN(end) || Number.isNaN(start) || start > end) {
      throw new ApiError(400, "INVALID_ARGUMENT", "The interval is not valid.");
    }
    const matching = all.filter((s) => clauses.every(([key, value]) => field(s, key) === value));
    const inInterval = (p: FakePoint) => p.at.getTime() > start && p.at.getTime() <= end;

    const aligner = request.perSeriesAligner ?? "ALIGN_NONE";
    if (aligner === "ALIGN_NONE") {
      return {
        timeSeries: matching
          .map((s) => ({
            ...s,
            points: s.points
              .filter(inInterval)
              .sort((a, b) => b.at.getTime() - a.at.getTime())
              .map((p) => ({ interval: { endTime: p.at.toISOString() }, value: encodeValue(s, p.value) })),
          }))
          .filter((s) => s.points.length > 0),
      };
    }
    const period = /^(\d+)s$/.exec(request.alignmentPeriod ?? "");
    if (!period || Number(period[1]) < 60) {
      throw new ApiError(400, "INVALID_ARGUMENT", "The alignment period must be at least 60 seconds.");
    }
    const periodMs = Number(period[1]) * 1000;
    // Per series: one aligned value per alignment period (ending at endTime) that holds points.
    const aligned = matching.map((s) => {
      const periods = new Map<number, FakePoint[]>();
      for (const p of s.points.filter(inInterval)) {
        const periodEnd = end - Math.floor((end - p.at.getTime()) / periodMs) * periodMs;
        periods.set(periodEnd, [...(periods.get(periodEnd) ?? []), p]);
      }
      return { series: s, values: new Map([...periods].map(([t, points]) => [t, align(aligner, points)])) };
    });
    const reducer = request.crossSeriesReducer ?? "REDUCE_NONE";
    if (reducer !== "REDUCE_NONE" && reducer !== "REDUCE_SUM") {
      throw new ApiError(400, "INVALID_ARGUMENT", `The stand-in does not implement the reducer ${reducer}.`);
    }
    const groups = new Map<string, typeof aligned>();
    for (const entry of aligned) {
      const key =
        reducer === "REDUCE_NONE"
          ? String(groups.size)
          : JSON.stringify(request.groupByFields.map((f) => field(entry.series, f)));
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    const timeSeries = [...groups.values()].map((members) => {
      const first = members[0]!.series;
      const times = [...new Set(members.flatMap((m) => [...m.values.keys()]))].sort((a, b) => b - a);
      const metricLabels: Record<string, string> = {};
      const resourceLabels: Record<string, string> = {};
      if (reducer === "REDUCE_NONE") {
        Object.assign(metricLabels, first.metric.labels);
        Object.assign(resourceLabels, first.resource.labels);
      } else {
        for (const f of request.groupByFields) {
          const label = /^(metric|resource)\.labels?\.(.+)$/.exec(f);
          const value = field(first, f);
          if (label && value !== undefined)
            (label[1] === "metric" ? metricLabels : resourceLabels)[label[2]!] = value;
        }
      }
      return {
        metric: { type: first.metric.type, labels: metricLabels },
        resource: { type: first.resource.type, labels: resourceLabels },
        metricKind: aligner === "ALIGN_DELTA" ? "DELTA" : "GAUGE",
        valueType: first.valueType,
        points: times.map((t) => ({
          interval: { startTime: new Date(t - periodMs).toISOString(), endTime: new Date(t).toISOString() },
          value: encodeValue(first, sum(members.flatMap((m) => (m.values.has(t) ? [m.values.get(t)!] : [])))),
        })),
      };
    });
    return { timeSeries: timeSeries.filter((s) => s.points.length > 0) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const url = new URL(req.url ?? "/", "http://localhost");
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify(value));
    };
    try {
      if (req.headers.authorization !== `Bearer ${token}`) {
        throw new ApiError(
          401,
          "UNAUTHENTICATED",
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        );
      }
      const match = /^\/v3\/projects\/([^/]+)\/timeSeries$/.exec(url.pathname);
      if (req.method !== "GET" || !match) {
        throw new ApiError(404, "NOT_FOUND", `The stand-in does not serve ${req.method} ${url.pathname}.`);
      }
      const q = url.searchParams;
      const request: FakeListRequest = {
        project: decodeURIComponent(match[1]!),
        filter: q.get("filter") ?? "",
        startTime: q.get("interval.startTime"),
        endTime: q.get("interval.endTime"),
        alignmentPeriod: q.get("aggregation.alignmentPeriod"),
        perSeriesAligner: enumName(Aligner, q.get("aggregation.perSeriesAligner")),
        crossSeriesReducer: enumName(Reducer, q.get("aggregation.crossSeriesReducer")),
        groupByFields: q.getAll("aggregation.groupByFields"),
        alt: q.get("$alt"),
      };
      requests.push(request);
      if (failure) throw failure;
      if (request.project !== project) {
        throw new ApiError(
          403,
          "PERMISSION_DENIED",
          `Permission monitoring.timeSeries.list denied (or the project ${request.project} does not exist).`,
        );
      }
      const answer = list(request) as { timeSeries: { metricKind: string; valueType: string }[] };
      const numeric = request.alt?.split(";").includes("enum-encoding=int");
      reply(200, {
        timeSeries: answer.timeSeries.map((series) => ({
          ...series,
          metricKind: numeric ? MetricKind[series.metricKind as keyof typeof MetricKind] : series.metricKind,
          valueType: numeric ? ValueType[series.valueType as keyof typeof ValueType] : series.valueType,
        })),
      });
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, "INTERNAL", String(error));
      reply(e.code, { error: { code: e.code, message: e.message, status: e.status } });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    project,
    token,
    requests,
    put: (series) => void all.push(series),
    fail: (error) => void (failure = error && new ApiError(error.code, error.status, error.message)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
