// The Cloud Monitoring collector: the real @google-cloud/monitoring client (REST transport) against a local stand-in
// of projects.timeSeries.list (testing/fake-cloud-monitoring.ts), and the health probe against a local /healthz.
import { databaseInstanceName, httpsForwardingRuleName } from "@cp/infra-tenant";
import { googleAuthLibrary } from "google-gax";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudMonitoringCollector, distributionPercentile } from "./cloud-monitoring";
import {
  startFakeCloudMonitoring,
  type FakeCloudMonitoring,
  type FakeDistribution,
} from "./testing/fake-cloud-monitoring";
import { startFakeHealthz, unreachableUrl, type FakeHealthz } from "./testing/fake-healthz";
import type { CollectTarget } from "./types";

const PROJECT = "cp-tenants-test";
const BUCKET = "cp-globex-data-1a2b3c";
const GIB = 1024 ** 3;
const INSTANCE = databaseInstanceName({ cloud: "gcp", slug: "globex", instanceId: "inst_9" });
const RULE = httpsForwardingRuleName({ slug: "globex" });

let monitoring: FakeCloudMonitoring;
let healthz: FakeHealthz;
beforeEach(async () => {
  monitoring = await startFakeCloudMonitoring({ project: PROJECT });
  healthz = await startFakeHealthz();
});
afterEach(async () => {
  await monitoring.close();
  await healthz.close();
});

function collector(token = monitoring.token, project = PROJECT): CloudMonitoringCollector {
  const auth = new googleAuthLibrary.OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return new CloudMonitoringCollector({
    project,
    apiEndpoint: monitoring.endpoint,
    auth,
    window: { publishDelayMs: 0 },
  });
}

function target(overrides: Partial<CollectTarget> = {}): CollectTarget {
  return {
    instanceId: "inst_9",
    slug: "globex",
    cloud: "gcp",
    region: "europe-west4",
    size: "small",
    outputs: {
      url: healthz.url,
      databaseEndpoint: "10.20.0.3:3306",
      databaseName: "app",
      bucket: BUCKET,
      version: "1.4.0",
    },
    previous: null,
    previousAt: new Date(Date.now() - 5 * 60_000),
    ...overrides,
  };
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
/** Exponential buckets 1, 2, 4, ... ms, as the load balancer's total_latencies uses (with other constants). */
const latencies = (counts: Record<number, number>): FakeDistribution => ({
  bucketOptions: { exponentialBuckets: { numFiniteBuckets: 12, growthFactor: 2, scale: 1 } },
  bucketCounts: Array.from({ length: 14 }, (_, i) => counts[i] ?? 0),
});
const lbRule = (rule = RULE) => ({
  type: "https_lb_rule",
  labels: {
    project_id: PROJECT,
    forwarding_rule_name: rule,
    url_map_name: "cp-globex-urls",
    region: "global",
  },
});

function putBusyInstance(): void {
  monitoring.put({
    metric: { type: "cloudsql.googleapis.com/database/cpu/utilization" },
    resource: {
      type: "cloudsql_database",
      labels: { project_id: PROJECT, database_id: `${PROJECT}:${INSTANCE}`, region: "europe-west4" },
    },
    metricKind: "GAUGE",
    valueType: "DOUBLE",
    points: [
      { at: ago(100), value: 0.2 },
      { at: ago(160), value: 0.4 },
    ],
  });
  // 100 requests: 50 in [16, 32) ms and 40 in [32, 64) answered 200, 10 in [64, 128) answered 500.
  // The 95th is halfway through the last bucket: 96 ms.
  monitoring.put({
    metric: { type: "loadbalancing.googleapis.com/https/total_latencies", labels: { response_code: "200" } },
    resource: lbRule(),
    metricKind: "DELTA",
    valueType: "DISTRIBUTION",
    points: [
      { at: ago(100), value: latencies({ 5: 30, 6: 40 }) },
      { at: ago(160), value: latencies({ 5: 20 }) },
    ],
  });
  monitoring.put({
    metric: { type: "loadbalancing.googleapis.com/https/total_latencies", labels: { response_code: "500" } },
    resource: lbRule(),
    metricKind: "DELTA",
    valueType: "DISTRIBUTION",
    points: [{ at: ago(100), value: latencies({ 7: 10 }) }],
  });
  for (const [code, cls, points] of [
    ["200", "200", [900, 60]],
    ["304", "300", [20]],
    ["503", "500", [20]],
  ] as const) {
    monitoring.put({
      metric: {
        type: "loadbalancing.googleapis.com/https/request_count",
        labels: { response_code: code, response_code_class: cls },
      },
      resource: lbRule(),
      metricKind: "DELTA",
      valueType: "INT64",
      points: points.map((value, i) => ({ at: ago(100 + 60 * i), value })),
    });
  }
  // Another instance's load balancer.
  monitoring.put({
    metric: {
      type: "loadbalancing.googleapis.com/https/request_count",
      labels: { response_code: "500", response_code_class: "500" },
    },
    resource: lbRule("cp-initech-https"),
    metricKind: "DELTA",
    valueType: "INT64",
    points: [{ at: ago(100), value: 5000 }],
  });
  for (const [storageClass, bytes] of [
    ["STANDARD", 30 * GIB],
    ["NEARLINE", 10 * GIB],
  ] as const) {
    monitoring.put({
      metric: { type: "storage.googleapis.com/storage/total_bytes", labels: { storage_class: storageClass } },
      resource: {
        type: "gcs_bucket",
        labels: { project_id: PROJECT, bucket_name: BUCKET, location: "europe-west4" },
      },
      metricKind: "GAUGE",
      valueType: "DOUBLE",
      points: [
        { at: ago(2000), value: bytes / 2 },
        { at: ago(400), value: bytes },
      ],
    });
  }
}

describe("CloudMonitoringCollector", () => {
  it("reads the window's metrics by the tenant program's resource names and computes the values", async () => {
    putBusyInstance();
    const previousAt = new Date(Date.now() - 5 * 60_000);
    const result = await collector().collect(target({ previousAt }), { timeoutMs: 2000 });

    expect(result.health).toBe("up");
    expect(result.values).toEqual({
      health_up: 1,
      db_cpu_percent: expect.closeTo(30, 6) as number,
      latency_p95_ms: expect.closeTo(96, 6) as number,
      request_rate: expect.closeTo(1000 / 300, 6) as number,
      error_rate_percent: expect.closeTo(2, 6) as number,
      storage_bytes: 40 * GIB,
      storage_percent: 40,
    });
    expect(result.state).toBeNull();

    expect(INSTANCE).toMatch(/^cp-globex-db-[0-9a-f]{6}$/);
    expect(RULE).toBe("cp-globex-https");
    const byMetric = Object.fromEntries(
      monitoring.requests.map((r) => [/metric\.type = "([^"]+)"/.exec(r.filter)![1]!, r]),
    );
    expect(Object.keys(byMetric).sort()).toEqual([
      "cloudsql.googleapis.com/database/cpu/utilization",
      "loadbalancing.googleapis.com/https/request_count",
      "loadbalancing.googleapis.com/https/total_latencies",
      "storage.googleapis.com/storage/total_bytes",
    ]);
    expect(
      monitoring.requests.every((r) => r.project === PROJECT && r.alt === "json;enum-encoding=int"),
    ).toBe(true);

    const cpu = byMetric["cloudsql.googleapis.com/database/cpu/utilization"]!;
    expect(cpu.filter).toBe(
      `metric.type = "cloudsql.googleapis.com/database/cpu/utilization" AND resource.type = "cloudsql_database" AND resource.labels.database_id = "${PROJECT}:${INSTANCE}"`,
    );
    // The window: whole minutes from the previous collection to now, one alignment period covering it.
    const start = Date.parse(cpu.startTime!);
    const end = Date.parse(cpu.endTime!);
    expect(start % 60_000).toBe(0);
    expect(end).toBeLessThanOrEqual(Date.now());
    expect(end - start).toBe(
      (Math.floor(result.at.getTime() / 60_000) - Math.floor(previousAt.getTime() / 60_000)) * 60_000,
    );
    expect(cpu).toMatchObject({
      alignmentPeriod: `${(end - start) / 1000}s`,
      perSeriesAligner: "ALIGN_MEAN",
      crossSeriesReducer: null,
    });

    expect(byMetric["loadbalancing.googleapis.com/https/total_latencies"]).toMatchObject({
      filter: `metric.type = "loadbalancing.googleapis.com/https/total_latencies" AND resource.type = "https_lb_rule" AND resource.labels.forwarding_rule_name = "${RULE}"`,
      perSeriesAligner: "ALIGN_DELTA",
      crossSeriesReducer: "REDUCE_SUM",
    });
    expect(byMetric["loadbalancing.googleapis.com/https/request_count"]).toMatchObject({
      perSeriesAligner: "ALIGN_DELTA",
      crossSeriesReducer: "REDUCE_SUM",
      groupByFields: ["metric.label.response_code_class"],
    });
    const storage = byMetric["storage.googleapis.com/storage/total_bytes"]!;
    expect(storage).toMatchObject({
      filter: `metric.type = "storage.googleapis.com/storage/total_bytes" AND resource.type = "gcs_bucket" AND resource.labels.bucket_name = "${BUCKET}"`,
      alignmentPeriod: "3600s",
      perSeriesAligner: "ALIGN_NEXT_OLDER",
      crossSeriesReducer: "REDUCE_SUM",
    });
  });

  it("leaves metrics without data points absent, never zero", async () => {
    const result = await collector().collect(target(), { timeoutMs: 2000 });
    expect(result.health).toBe("up");
    expect(result.values).toEqual({ health_up: 1 });
    expect(monitoring.requests).toHaveLength(4);
  });

  it("reports 0 % errors when there were requests without 5xx", async () => {
    monitoring.put({
      metric: {
        type: "loadbalancing.googleapis.com/https/request_count",
        labels: { response_code: "200", response_code_class: "200" },
      },
      resource: lbRule(),
      metricKind: "DELTA",
      valueType: "INT64",
      points: [{ at: ago(100), value: 600 }],
    });
    const result = await collector().collect(target(), { timeoutMs: 2000 });
    expect(result.values).toEqual({
      health_up: 1,
      request_rate: expect.closeTo(2, 6) as number,
      error_rate_percent: 0,
    });
  });

  it("is down, not an error, when the instance does not answer", async () => {
    putBusyInstance();
    const result = await collector().collect(
      target({ outputs: { ...target().outputs!, url: await unreachableUrl() } }),
      { timeoutMs: 2000 },
    );
    expect(result.health).toBe("down");
    expect(result.healthDetail).toMatch(/healthz unreachable: connection refused/);
    expect(result.values).toMatchObject({ health_up: 0, db_cpu_percent: expect.closeTo(30, 6) as number });
  });

  it("passes a degraded health report on", async () => {
    healthz.answer = { status: 200, body: { status: "degraded", reasons: ["redis: timeout"] } };
    const result = await collector().collect(target(), { timeoutMs: 2000 });
    expect(result).toMatchObject({
      health: "degraded",
      healthDetail: "healthz reports degraded: redis: timeout",
    });
    expect(result.values.health_up).toBe(1);
  });

  it("is down without calls before the instance was first applied", async () => {
    const result = await collector().collect(target({ outputs: null }), { timeoutMs: 2000 });
    expect(result).toMatchObject({ health: "down", values: { health_up: 0 }, state: null });
    expect(monitoring.requests).toEqual([]);
  });

  it("throws naming the API, the metric and the resource when Cloud Monitoring refuses", async () => {
    monitoring.fail({
      code: 429,
      status: "RESOURCE_EXHAUSTED",
      message:
        "Quota exceeded for quota metric 'Time series queries' and limit 'Time series queries per minute'.",
    });
    await expect(collector().collect(target(), { timeoutMs: 2000 })).rejects.toThrow(
      /^Cloud Monitoring timeSeries\.list of \S+ for .+ \(project cp-tenants-test\) failed: RESOURCE_EXHAUSTED: Quota exceeded for quota metric/,
    );
  });

  it("throws when the project is not the worker's or the token is refused", async () => {
    await expect(
      collector(monitoring.token, "someone-elses").collect(target(), { timeoutMs: 2000 }),
    ).rejects.toThrow(
      /\(project someone-elses\) failed: PERMISSION_DENIED: Permission monitoring\.timeSeries\.list denied/,
    );
    await expect(collector("wrong-token").collect(target(), { timeoutMs: 2000 })).rejects.toThrow(
      /failed: UNAUTHENTICATED: Request had invalid authentication credentials/,
    );
  });
});

describe("distributionPercentile", () => {
  it("interpolates within exponential, linear and explicit buckets", () => {
    expect(distributionPercentile(latencies({ 5: 50, 6: 40, 7: 10 }), 0.95)).toBeCloseTo(96);
    expect(distributionPercentile(latencies({ 1: 100 }), 0.5)).toBeCloseTo(1.5);
    expect(
      distributionPercentile(
        {
          bucketOptions: { linearBuckets: { numFiniteBuckets: 4, width: 10, offset: 0 } },
          bucketCounts: [0, 0, 20],
        },
        0.25,
      ),
    ).toBeCloseTo(12.5);
    expect(
      distributionPercentile(
        {
          bucketOptions: { explicitBuckets: { bounds: [0, 100, 250, 1000] } },
          bucketCounts: ["0", "10", "10"],
        },
        0.75,
      ),
    ).toBeCloseTo(175);
  });

  it("answers the lower edge for the overflow bucket and nothing for an empty distribution", () => {
    expect(distributionPercentile(latencies({ 13: 5 }), 0.95)).toBe(4096);
    expect(distributionPercentile(latencies({}), 0.95)).toBeUndefined();
    expect(distributionPercentile({ bucketCounts: [] }, 0.95)).toBeUndefined();
  });
});
