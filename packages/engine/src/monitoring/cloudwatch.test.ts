// The CloudWatch collector: the real @aws-sdk/client-cloudwatch client against a local stand-in of the CloudWatch
// API (testing/fake-cloudwatch.ts), and the health probe against a local /healthz.
import { databaseInstanceName, loadBalancerName } from "@cp/infra-tenant";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudWatchCollector } from "./cloudwatch";
import { startFakeCloudWatch, type FakeCloudWatch, type FakeDimension } from "./testing/fake-cloudwatch";
import { startFakeHealthz, unreachableUrl, type FakeHealthz } from "./testing/fake-healthz";
import type { CollectTarget } from "./types";

const LB = "app/cp-acme/50dc6c495c0c9188";
const TG = "targetgroup/lb-targets-3f2a1b9/943f017f100becff";
const BUCKET = "cp-acme-data-20260101000000000000000001";
const DB = "cp-acme-db";

let cloudwatch: FakeCloudWatch;
let healthz: FakeHealthz;
beforeEach(async () => {
  cloudwatch = await startFakeCloudWatch({ region: "us-east-1", accessKeyId: "AKIAFAKE" });
  healthz = await startFakeHealthz();
});
afterEach(async () => {
  await cloudwatch.close();
  await healthz.close();
});

function collector(accessKeyId = "AKIAFAKE"): CloudWatchCollector {
  return new CloudWatchCollector({
    endpoint: cloudwatch.endpoint,
    credentials: { accessKeyId, secretAccessKey: "fake-secret" },
    // No publishing delay in the stand-in: a sample is readable at once.
    window: { publishDelayMs: 0 },
  });
}

function target(overrides: Partial<CollectTarget> = {}): CollectTarget {
  return {
    instanceId: "inst_1",
    slug: "acme",
    cloud: "aws",
    region: "us-east-1",
    size: "small",
    outputs: {
      url: healthz.url,
      databaseEndpoint: "cp-acme-db.abc.us-east-1.rds.amazonaws.com:3306",
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
const samples = (...values: number[]) => values.map((value, i) => ({ at: ago(100 + i), value }));
const byLb: FakeDimension[] = [{ Name: "LoadBalancer", Value: LB }];
const byTargets: FakeDimension[] = [
  { Name: "TargetGroup", Value: TG },
  { Name: "LoadBalancer", Value: LB },
];

/** A healthy instance with traffic: what CloudWatch holds for it over the last minutes. */
function putBusyInstance(): void {
  cloudwatch.put(
    "AWS/RDS",
    "CPUUtilization",
    [{ Name: "DBInstanceIdentifier", Value: DB }],
    samples(20, 30, 40),
  );
  // 20 latencies 10..200 ms: p95 is the 19th, 190 ms.
  cloudwatch.put(
    "AWS/ApplicationELB",
    "TargetResponseTime",
    byLb,
    samples(...Array.from({ length: 20 }, (_, i) => (i + 1) / 100)),
  );
  cloudwatch.put("AWS/ApplicationELB", "RequestCount", byLb, samples(600, 900));
  cloudwatch.put("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", byLb, samples(15));
  cloudwatch.put("AWS/ApplicationELB", "HealthyHostCount", byTargets, samples(2, 2));
  cloudwatch.put("AWS/ApplicationELB", "UnHealthyHostCount", byTargets, samples(0, 0));
  // The same metric per availability zone, which ListMetrics also lists.
  cloudwatch.put(
    "AWS/ApplicationELB",
    "HealthyHostCount",
    [...byTargets, { Name: "AvailabilityZone", Value: "us-east-1a" }],
    samples(1),
  );
  // Another tenant's load balancer, whose name starts the same.
  cloudwatch.put(
    "AWS/ApplicationELB",
    "HealthyHostCount",
    [
      { Name: "TargetGroup", Value: "targetgroup/lb-targets-aaaaaaa/1111111111111111" },
      { Name: "LoadBalancer", Value: "app/cp-acme-2/2222222222222222" },
    ],
    samples(3),
  );
  cloudwatch.put(
    "AWS/S3",
    "BucketSizeBytes",
    [
      { Name: "BucketName", Value: BUCKET },
      { Name: "StorageType", Value: "StandardStorage" },
    ],
    [
      { at: new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000), value: 10 * 1024 ** 3 },
      { at: new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000), value: 25 * 1024 ** 3 },
    ],
  );
}

type Query = {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: FakeDimension[] };
    Period: number;
    Stat: string;
  };
};
const queriesOf = (call: { body: Record<string, unknown> }) => call.body.MetricDataQueries as Query[];

describe("CloudWatchCollector", () => {
  it("derives the resource names the tenant program gives", () => {
    expect(databaseInstanceName({ cloud: "aws", slug: "acme", instanceId: "inst_1" })).toBe(DB);
    expect(loadBalancerName({ slug: "acme" })).toBe("cp-acme");
    expect(loadBalancerName({ slug: "a-very-long-instance-slug-indeed" })).toHaveLength(32);
  });

  it("reads the window's metrics with one GetMetricData call and computes the values", async () => {
    putBusyInstance();
    const previousAt = new Date(Date.now() - 5 * 60_000);
    const result = await collector().collect(target({ previousAt }), { timeoutMs: 2000 });

    expect(result.health).toBe("up");
    expect(result.healthDetail).toBeUndefined();
    expect(result.values).toEqual({
      health_up: 1,
      db_cpu_percent: 30,
      latency_p95_ms: expect.closeTo(190, 6) as number,
      request_rate: expect.closeTo(1500 / (5 * 60), 0) as number,
      error_rate_percent: 1,
      storage_bytes: 25 * 1024 ** 3,
      storage_percent: 25,
    });

    expect(cloudwatch.calls.map((c) => c.action)).toEqual(["ListMetrics", "GetMetricData", "GetMetricData"]);
    const [list, window, storage] = cloudwatch.calls;
    expect(list!.headers["x-amz-target"]).toBe("GraniteServiceVersion20100801.ListMetrics");
    expect(list!.body).toMatchObject({
      Namespace: "AWS/ApplicationELB",
      MetricName: "HealthyHostCount",
      RecentlyActive: "PT3H",
    });

    // The window: whole minutes from the previous collection to now, one period covering it.
    const { StartTime, EndTime, ScanBy } = window!.body as {
      StartTime: number;
      EndTime: number;
      ScanBy: string;
    };
    expect(StartTime % 60).toBe(0);
    expect(EndTime % 60).toBe(0);
    expect(EndTime).toBeLessThanOrEqual(Date.now() / 1000);
    expect(EndTime - StartTime).toBe(
      (Math.floor(result.at.getTime() / 60_000) - Math.floor(previousAt.getTime() / 60_000)) * 60,
    );
    expect(ScanBy).toBe("TimestampDescending");
    const queries = queriesOf(window!);
    expect(queries.map((q) => [q.Id, q.MetricStat.Metric.MetricName, q.MetricStat.Stat])).toEqual([
      ["dbCpu", "CPUUtilization", "Average"],
      ["latencyP95", "TargetResponseTime", "p95"],
      ["requests", "RequestCount", "Sum"],
      ["errors5xx", "HTTPCode_Target_5XX_Count", "Sum"],
      ["healthyHosts", "HealthyHostCount", "Minimum"],
      ["unhealthyHosts", "UnHealthyHostCount", "Maximum"],
    ]);
    expect(queries.every((q) => q.MetricStat.Period === EndTime - StartTime)).toBe(true);
    expect(queries[0]!.MetricStat.Metric).toEqual({
      Namespace: "AWS/RDS",
      MetricName: "CPUUtilization",
      Dimensions: [{ Name: "DBInstanceIdentifier", Value: DB }],
    });
    expect(queries[1]!.MetricStat.Metric.Dimensions).toEqual(byLb);
    expect(queries[4]!.MetricStat.Metric.Dimensions).toEqual(byTargets);

    expect(queriesOf(storage!)).toEqual([
      {
        Id: "bucketBytes",
        MetricStat: {
          Metric: {
            Namespace: "AWS/S3",
            MetricName: "BucketSizeBytes",
            Dimensions: [
              { Name: "BucketName", Value: BUCKET },
              { Name: "StorageType", Value: "StandardStorage" },
            ],
          },
          Period: 86_400,
          Stat: "Average",
        },
      },
    ]);
    expect(result.state).toMatchObject({
      loadBalancer: LB,
      targetGroup: TG,
      storage: { bytes: 25 * 1024 ** 3 },
    });
  });

  it("continues from its state: no look-up, one GetMetricData, the day's bucket size carried over", async () => {
    putBusyInstance();
    const first = await collector().collect(target(), { timeoutMs: 2000 });
    cloudwatch.calls.length = 0;

    const previousAt = ago(120);
    const second = await collector().collect(target({ previous: first.state, previousAt }), {
      timeoutMs: 2000,
    });
    expect(cloudwatch.calls.map((c) => c.action)).toEqual(["GetMetricData"]);
    const { StartTime, EndTime } = cloudwatch.calls[0]!.body as { StartTime: number; EndTime: number };
    expect(EndTime - StartTime).toBe(
      (Math.floor(second.at.getTime() / 60_000) - Math.floor(previousAt.getTime() / 60_000)) * 60,
    );
    expect(second.values.storage_bytes).toBe(25 * 1024 ** 3);
    expect(second.values.db_cpu_percent).toBe(30);
  });

  it("reads the bucket size again once the last reading is older than storageRefreshMs", async () => {
    putBusyInstance();
    const first = await collector().collect(target(), { timeoutMs: 2000 });
    cloudwatch.calls.length = 0;
    const refreshing = new CloudWatchCollector({
      endpoint: cloudwatch.endpoint,
      credentials: { accessKeyId: "AKIAFAKE", secretAccessKey: "fake-secret" },
      window: { publishDelayMs: 0 },
      storageRefreshMs: 0,
    });
    await refreshing.collect(target({ previous: first.state, previousAt: ago(60) }), { timeoutMs: 2000 });
    expect(
      cloudwatch.calls.map((c) =>
        queriesOf(c)
          .map((q) => q.Id)
          .join(","),
      ),
    ).toEqual(["dbCpu,latencyP95,requests,errors5xx,healthyHosts,unhealthyHosts", "bucketBytes"]);
  });

  it("leaves metrics without data points absent, never zero", async () => {
    // A fresh instance: RDS has published nothing yet, the load balancer no series, S3 no daily size.
    const result = await collector().collect(target(), { timeoutMs: 2000 });
    expect(result.health).toBe("up");
    expect(result.values).toEqual({ health_up: 1 });
    // Without the load balancer's dimensions only the database is asked about; the look-up is tried again next time.
    expect(queriesOf(cloudwatch.calls[1]!).map((q) => q.Id)).toEqual(["dbCpu"]);
    expect(result.state).toEqual({
      storage: { bucket: BUCKET, bytes: null, checkedAt: expect.any(Number) as number },
    });
  });

  it("reports no errors as 0 % when there were requests, and no rate at all without requests", async () => {
    cloudwatch.put("AWS/ApplicationELB", "HealthyHostCount", byTargets, samples(2));
    // Before the second collection's one-minute window.
    cloudwatch.put("AWS/ApplicationELB", "RequestCount", byLb, [{ at: ago(200), value: 300 }]);
    const busy = await collector().collect(target(), { timeoutMs: 2000 });
    expect(busy.values.error_rate_percent).toBe(0);
    expect(busy.values.request_rate).toBeGreaterThan(0);
    expect(busy.values.latency_p95_ms).toBeUndefined();

    const idle = await collector().collect(target({ previous: busy.state, previousAt: ago(60) }), {
      timeoutMs: 2000,
    });
    expect(idle.values.request_rate).toBeUndefined();
    expect(idle.values.error_rate_percent).toBeUndefined();
  });

  it("is degraded when the load balancer reports unhealthy targets while the instance answers", async () => {
    putBusyInstance();
    cloudwatch.put("AWS/ApplicationELB", "UnHealthyHostCount", byTargets, samples(1));
    const result = await collector().collect(target(), { timeoutMs: 2000 });
    expect(result.health).toBe("degraded");
    expect(result.healthDetail).toBe("1 load balancer target(s) unhealthy, 2 healthy");
    expect(result.values.health_up).toBe(1);
  });

  it("is down, not an error, when the instance does not answer or answers 503", async () => {
    putBusyInstance();
    const unreachable = await collector().collect(
      target({ outputs: { ...target().outputs!, url: await unreachableUrl() } }),
      { timeoutMs: 2000 },
    );
    expect(unreachable.health).toBe("down");
    expect(unreachable.healthDetail).toMatch(/healthz unreachable: connection refused/);
    expect(unreachable.values).toMatchObject({ health_up: 0, db_cpu_percent: 30 });

    healthz.answer = { status: 503, body: { status: "down", reasons: ["database unreachable"] } };
    const failing = await collector().collect(target(), { timeoutMs: 2000 });
    expect(failing.health).toBe("down");
    expect(failing.healthDetail).toBe("healthz answered 503: database unreachable");
  });

  it("is down without calls before the instance was first applied", async () => {
    const result = await collector().collect(target({ outputs: null }), { timeoutMs: 2000 });
    expect(result).toMatchObject({ health: "down", values: { health_up: 0 }, state: null });
    expect(cloudwatch.calls).toEqual([]);
  });

  it("throws naming the API, the resources and CloudWatch's error when CloudWatch throttles", async () => {
    putBusyInstance();
    const first = await collector().collect(target(), { timeoutMs: 2000 });
    cloudwatch.fail({ code: "Throttling", message: "Rate exceeded" });
    await expect(
      collector().collect(target({ previous: first.state, previousAt: ago(60) }), { timeoutMs: 2000 }),
    ).rejects.toThrow(
      "CloudWatch GetMetricData for RDS cp-acme-db, load balancer cp-acme (us-east-1) failed (HTTP 400): Throttling: Rate exceeded",
    );
  });

  it("throws when CloudWatch refuses the worker's credentials", async () => {
    await expect(collector("AKIAWRONG").collect(target(), { timeoutMs: 2000 })).rejects.toThrow(
      /^CloudWatch ListMetrics for load balancer cp-acme \(us-east-1\) failed \(HTTP 403\): InvalidClientTokenId/,
    );
    cloudwatch.fail({
      code: "AccessDenied",
      message: "User is not authorized to perform: cloudwatch:GetMetricData",
      status: 403,
    });
    await expect(
      collector().collect(target({ previous: { loadBalancer: LB, targetGroup: TG } }), { timeoutMs: 2000 }),
    ).rejects.toThrow(/GetMetricData for RDS cp-acme-db.*AccessDenied: User is not authorized/);
  });

  it("pages through ListMetrics to find the load balancer among many", async () => {
    cloudwatch.pageSize = 2;
    for (let i = 0; i < 5; i++) {
      cloudwatch.put(
        "AWS/ApplicationELB",
        "HealthyHostCount",
        [
          { Name: "TargetGroup", Value: `targetgroup/t${i}/000000000000000${i}` },
          { Name: "LoadBalancer", Value: `app/cp-other${i}/000000000000000${i}` },
        ],
        samples(1),
      );
    }
    putBusyInstance();
    const result = await collector().collect(target(), { timeoutMs: 2000 });
    expect(result.state).toMatchObject({ loadBalancer: LB, targetGroup: TG });
    expect(cloudwatch.calls.filter((c) => c.action === "ListMetrics").length).toBeGreaterThan(1);
  });
});
