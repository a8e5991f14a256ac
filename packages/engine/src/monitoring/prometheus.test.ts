import { databaseVcpus, storageQuotaBytes } from "@cp/core";
import { describe, expect, it } from "vitest";
import {
  asSnapshot,
  computeMetrics,
  counterDelta,
  histogramDelta,
  histogramQuantile,
  parseTenantMetrics,
  snapshotState,
  type Bucket,
  type ScrapeSnapshot,
} from "./prometheus";

/** What prom-client exposes for the tenant service (series interleaved, `le` first), trimmed to what is read. */
function exposition(v: {
  start: number;
  cpu: number;
  dbCpu: number;
  ok: number[];
  failed: number[];
  probe: number;
  errors: number;
}): string {
  const bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
  const series = (route: string, status: string, counts: number[]) =>
    [
      ...bounds.map(
        (le, i) =>
          `tenant_http_request_duration_seconds_bucket{le="${le}",instance_slug="s1",route="${route}",method="POST",status="${status}"} ${counts[i]}`,
      ),
      `tenant_http_request_duration_seconds_sum{instance_slug="s1",route="${route}",method="POST",status="${status}"} 1.5`,
      `tenant_http_request_duration_seconds_count{instance_slug="s1",route="${route}",method="POST",status="${status}"} ${counts.at(-1)}`,
    ].join("\n");
  const probeCounts = bounds.map(() => v.probe);
  return `# HELP tenant_process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE tenant_process_cpu_seconds_total counter
tenant_process_cpu_seconds_total{instance_slug="s1"} ${v.cpu}

# HELP tenant_process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE tenant_process_start_time_seconds gauge
tenant_process_start_time_seconds{instance_slug="s1"} ${v.start}

# HELP tenant_process_resident_memory_bytes Resident memory size in bytes.
# TYPE tenant_process_resident_memory_bytes gauge
tenant_process_resident_memory_bytes{instance_slug="s1"} 83800064

# HELP tenant_http_request_duration_seconds HTTP request latency by route, method and status
# TYPE tenant_http_request_duration_seconds histogram
${series("/api/graphql", "200", v.ok)}
${series("/api/graphql", "500", v.failed)}
${series("/healthz", "200", probeCounts)}

# HELP tenant_http_requests_total HTTP requests by route, method and status
# TYPE tenant_http_requests_total counter
tenant_http_requests_total{route="/api/graphql",method="POST",status="200",instance_slug="s1"} ${v.ok.at(-1)}
tenant_http_requests_total{route="/api/graphql",method="POST",status="500",instance_slug="s1"} ${v.failed.at(-1)}
tenant_http_requests_total{route="/healthz",method="GET",status="200",instance_slug="s1"} ${v.probe}

# HELP tenant_http_errors_total HTTP requests answered with a server error (5xx), by route and status
# TYPE tenant_http_errors_total counter
tenant_http_errors_total{route="/api/graphql",status="500",instance_slug="s1"} ${v.errors}

# HELP tenant_storage_bytes Sum of the sizes of the objects in the instance's bucket (refreshed periodically)
# TYPE tenant_storage_bytes gauge
tenant_storage_bytes{instance_slug="s1"} 1073741824

# HELP tenant_database_cpu_seconds Database CPU time of the instance's database user
# TYPE tenant_database_cpu_seconds gauge
tenant_database_cpu_seconds{instance_slug="s1"} ${v.dbCpu}
`;
}

const T0 = new Date("2026-11-27T12:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const target = { size: "small", cloud: "local" };

describe("parseTenantMetrics", () => {
  it("sums the latency histogram over its series, leaving out the control plane's own probes", () => {
    const s = parseTenantMetrics(
      exposition({
        start: 1000,
        cpu: 2,
        dbCpu: 10,
        ok: [0, 0, 1, 4, 8, 10, 10, 10, 10, 10, 10, 10],
        failed: [0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2],
        probe: 7,
        errors: 2,
      }),
      T0,
    );
    expect(s).toMatchObject({
      at: T0.getTime(),
      startTime: 1000,
      processCpuSeconds: 2,
      dbCpuSeconds: 10,
      requests: 12,
      errors: 2,
      memoryBytes: 83800064,
      storageBytes: 1073741824,
    });
    expect(s.buckets).toEqual([
      [0.005, 0],
      [0.01, 0],
      [0.025, 1],
      [0.05, 4],
      [0.1, 8],
      [0.25, 10],
      [0.5, 11],
      [1, 12],
      [2.5, 12],
      [5, 12],
      [10, 12],
      [Infinity, 12],
    ]);
  });

  it("reads an answer without the optional metrics as nulls and an empty histogram", () => {
    const s = parseTenantMetrics("tenant_process_start_time_seconds 5", T0);
    expect(s).toMatchObject({ startTime: 5, processCpuSeconds: null, dbCpuSeconds: null, requests: 0 });
    expect(s.buckets).toEqual([]);
  });
});

describe("counterDelta", () => {
  it("is the difference while the counter grows", () => {
    expect(counterDelta(10, 25)).toBe(15);
    expect(counterDelta(10, 10)).toBe(0);
  });
  it("counts the whole current value after a reset (a decrease, or a known restart)", () => {
    expect(counterDelta(100, 7)).toBe(7);
    expect(counterDelta(5, 9, true)).toBe(9);
  });
});

describe("histogramQuantile", () => {
  const b = (...pairs: Bucket[]) => pairs;
  it("interpolates linearly inside the bucket the rank falls in", () => {
    // 100 observations: 50 under 0.1, 90 under 0.2, all under 0.4. p95 rank 95 falls in (0.2, 0.4]: 5/10 of it.
    expect(histogramQuantile(0.95, b([0.1, 50], [0.2, 90], [0.4, 100], [Infinity, 100]))).toBeCloseTo(0.3);
    // The first bucket's lower bound is 0.
    expect(histogramQuantile(0.5, b([0.1, 100], [Infinity, 100]))).toBeCloseTo(0.05);
  });
  it("is null for an empty histogram, or one without +Inf", () => {
    expect(histogramQuantile(0.95, [])).toBeNull();
    expect(histogramQuantile(0.95, b([0.1, 0], [Infinity, 0]))).toBeNull();
    expect(histogramQuantile(0.95, b([0.1, 3], [0.2, 5]))).toBeNull();
  });
  it("answers the highest finite bound when the rank falls in +Inf", () => {
    expect(histogramQuantile(0.95, b([0.1, 1], [0.5, 2], [Infinity, 10]))).toBe(0.5);
    expect(histogramQuantile(0.95, b([Infinity, 10]))).toBeNull();
  });
  it("sorts the buckets and clamps counts that decrease", () => {
    expect(histogramQuantile(0.95, b([Infinity, 100], [0.4, 100], [0.1, 50], [0.2, 90]))).toBeCloseTo(0.3);
    expect(histogramQuantile(0.5, b([0.1, 10], [0.2, 8], [Infinity, 10]))).toBeCloseTo(0.05);
  });
});

describe("histogramDelta", () => {
  it("subtracts bucket by bucket", () => {
    expect(
      histogramDelta(
        [
          [0.1, 5],
          [Infinity, 9],
        ],
        [
          [0.1, 7],
          [Infinity, 15],
        ],
      ),
    ).toEqual([
      [0.1, 2],
      [Infinity, 6],
    ]);
  });
  it("takes the current counts after a reset or when a bucket went down", () => {
    const current: Bucket[] = [
      [0.1, 1],
      [Infinity, 3],
    ];
    expect(
      histogramDelta(
        [
          [0.1, 5],
          [Infinity, 9],
        ],
        current,
      ),
    ).toEqual(current);
    expect(
      histogramDelta(
        [
          [0.1, 0],
          [Infinity, 1],
        ],
        current,
        true,
      ),
    ).toEqual(current);
  });
  it("treats a bucket the previous scrape lacked as starting from zero", () => {
    expect(
      histogramDelta(
        [],
        [
          [0.1, 2],
          [Infinity, 2],
        ],
      ),
    ).toEqual([
      [0.1, 2],
      [Infinity, 2],
    ]);
  });
});

describe("computeMetrics", () => {
  const first = parseTenantMetrics(
    exposition({
      start: 1000,
      cpu: 2,
      dbCpu: 10,
      ok: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      failed: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      probe: 3,
      errors: 0,
    }),
    T0,
  );

  it("gives gauges only on the first scrape", () => {
    const v = computeMetrics(first, null, target);
    expect(v).toEqual({
      memory_bytes: 83800064,
      storage_bytes: 1073741824,
      storage_percent: (1073741824 / storageQuotaBytes("small")!) * 100,
    });
  });

  it("computes rates, error share, the p95 of the interval and CPU shares from two scrapes", () => {
    const second = parseTenantMetrics(
      exposition({
        start: 1000,
        cpu: 5, // 3 s of CPU in 30 s: 10 % of a core
        dbCpu: 10 + 30 * databaseVcpus("small", "local")! * 0.8, // 80 % of the database's vCPUs
        ok: [0, 0, 10, 40, 80, 100, 100, 100, 100, 100, 100, 100],
        failed: [0, 0, 0, 0, 0, 0, 10, 20, 20, 20, 20, 20],
        probe: 4,
        errors: 20,
      }),
      at(30),
    );
    const v = computeMetrics(second, first, target);
    expect(v.request_rate).toBeCloseTo(120 / 30);
    expect(v.error_rate_percent).toBeCloseTo((20 / 120) * 100);
    expect(v.process_cpu_percent).toBeCloseTo(10);
    expect(v.db_cpu_percent).toBeCloseTo(80);
    // p95 of 120: rank 114 in (0.5, 1] which holds 110..120: 0.5 + 0.5 * 4/10 = 0.7 s.
    expect(v.latency_p95_ms).toBeCloseTo(700);
  });

  it("reports no latency without requests in the interval, and a zero error rate", () => {
    const idle = { ...first, at: at(30).getTime() };
    const v = computeMetrics(idle, first, target);
    expect(v.request_rate).toBe(0);
    expect(v.error_rate_percent).toBe(0);
    expect(v).not.toHaveProperty("latency_p95_ms");
  });

  it("counts from zero after the process restarted (new start time), even where counters grew", () => {
    const before = { ...first, requests: 10, errors: 1, processCpuSeconds: 4 };
    const after: ScrapeSnapshot = {
      ...first,
      at: at(30).getTime(),
      startTime: 2000,
      requests: 12,
      errors: 3,
      processCpuSeconds: 6,
      buckets: [
        [0.1, 12],
        [Infinity, 12],
      ],
    };
    const v = computeMetrics(
      after,
      {
        ...before,
        buckets: [
          [0.1, 10],
          [Infinity, 10],
        ],
      },
      target,
    );
    expect(v.request_rate).toBeCloseTo(12 / 30);
    expect(v.error_rate_percent).toBeCloseTo(25);
    expect(v.process_cpu_percent).toBeCloseTo(20);
    expect(v.latency_p95_ms).toBeCloseTo(95);
  });

  it("keeps the database CPU counter across an application restart, and resets it only when it drops", () => {
    const restarted = { ...first, at: at(30).getTime(), startTime: 2000, dbCpuSeconds: 13 };
    expect(computeMetrics(restarted, first, target).db_cpu_percent).toBeCloseTo(
      (3 / 30 / databaseVcpus("small", "local")!) * 100,
    );
    const flushed = { ...first, at: at(30).getTime(), dbCpuSeconds: 1.5 };
    expect(computeMetrics(flushed, first, target).db_cpu_percent).toBeCloseTo(
      (1.5 / 30 / databaseVcpus("small", "local")!) * 100,
    );
  });

  it("computes no rates from a previous scrape that is too old, or not older", () => {
    expect(computeMetrics({ ...first, at: at(3600).getTime() }, first, target)).not.toHaveProperty(
      "request_rate",
    );
    expect(computeMetrics(first, first, target)).not.toHaveProperty("request_rate");
  });

  it("leaves out storage share for an unknown size", () => {
    expect(computeMetrics(first, null, { size: "nope", cloud: "local" })).not.toHaveProperty(
      "storage_percent",
    );
  });
});

describe("snapshot state", () => {
  it("survives a JSON round trip (+Inf is stored as null)", () => {
    const json: unknown = JSON.parse(JSON.stringify(snapshotState(first())));
    expect(asSnapshot(json)).toEqual(first());
  });
  it("is not read from something else", () => {
    expect(asSnapshot(null)).toBeNull();
    expect(asSnapshot({ at: "x" })).toBeNull();
    expect(asSnapshot({ at: 1, requests: 1, errors: 0 })).toBeNull();
  });
  function first(): ScrapeSnapshot {
    return {
      at: 1,
      startTime: 2,
      processCpuSeconds: 3,
      dbCpuSeconds: null,
      requests: 4,
      errors: 0,
      buckets: [
        [0.1, 1],
        [Infinity, 4],
      ],
      memoryBytes: 5,
      storageBytes: null,
    };
  }
});
