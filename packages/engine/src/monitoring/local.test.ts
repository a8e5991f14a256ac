// The local collector and the health probe over a stubbed fetch (no sockets): verdicts, details, and the state
// handed from one collection to the next.
import { afterEach, describe, expect, it, vi } from "vitest";
import { probeHealth } from "./http-probe";
import { LocalCollector } from "./local";
import type { CollectTarget } from "./types";

const URL_ = "http://127.0.0.1:4999";

function metricsText(requests: number, cpu: number) {
  return `tenant_process_start_time_seconds{instance_slug="s1"} 1000
tenant_process_cpu_seconds_total{instance_slug="s1"} ${cpu}
tenant_process_resident_memory_bytes{instance_slug="s1"} 1000000
tenant_http_requests_total{route="/api/graphql",method="POST",status="200",instance_slug="s1"} ${requests}
`;
}

type Answer = { status: number; body: string } | Error;

function stubFetch(routes: Record<string, Answer | (() => Answer)>) {
  const fetchMock = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const route = routes[path];
    const answer = typeof route === "function" ? route() : route;
    if (!answer) return new Response("not found", { status: 404 });
    if (answer instanceof Error) {
      if (answer.name === "TimeoutError") {
        // Wait for the caller's own timeout, as a hanging server would make it.
        await new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error));
        });
      }
      throw answer;
    }
    return new Response(answer.body, { status: answer.status });
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const refused = () => Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
const ok = (version = "0.64.0") => ({
  status: 200,
  body: JSON.stringify({ status: "ok", version, checks: { database: "ok", storage: "ok" } }),
});

describe("probeHealth", () => {
  it("is up on 200 and reports the version", async () => {
    stubFetch({ "/healthz": ok("0.65.0") });
    await expect(probeHealth(URL_, { timeoutMs: 1000 })).resolves.toEqual({
      health: "up",
      version: "0.65.0",
    });
  });

  it("is degraded when a 200 answer says so, naming the checks", async () => {
    stubFetch({
      "/healthz": {
        status: 200,
        body: JSON.stringify({ status: "degraded", checks: { database: "ok", storage: "slow" } }),
      },
    });
    await expect(probeHealth(URL_, { timeoutMs: 1000 })).resolves.toEqual({
      health: "degraded",
      detail: "healthz reports degraded: storage: slow",
    });
  });

  it("is down on another status, with the failing checks as the reason", async () => {
    stubFetch({
      "/healthz": {
        status: 503,
        body: JSON.stringify({
          status: "unhealthy",
          version: "0.64.0",
          checks: { database: "connect ECONNREFUSED", storage: "ok" },
          reasons: ["database: connect ECONNREFUSED"],
        }),
      },
    });
    await expect(probeHealth(URL_, { timeoutMs: 1000 })).resolves.toEqual({
      health: "down",
      detail: "healthz answered 503: database: connect ECONNREFUSED",
      version: "0.64.0",
    });
  });

  it("is down on a router's answer, with its message", async () => {
    stubFetch({
      "/healthz": {
        status: 503,
        body: JSON.stringify({ error: "suspended", message: "The instance is suspended." }),
      },
    });
    await expect(probeHealth(URL_, { timeoutMs: 1000 })).resolves.toEqual({
      health: "down",
      detail: "healthz answered 503: The instance is suspended.",
    });
  });

  it("is down when the connection is refused or the answer does not come in time", async () => {
    stubFetch({ "/healthz": refused() });
    await expect(probeHealth(URL_, { timeoutMs: 1000 })).resolves.toEqual({
      health: "down",
      detail: "healthz unreachable: connection refused",
    });
    stubFetch({ "/healthz": Object.assign(new Error("hang"), { name: "TimeoutError" }) });
    await expect(probeHealth(URL_, { timeoutMs: 50 })).resolves.toEqual({
      health: "down",
      detail: "healthz unreachable: timed out after 50 ms",
    });
  });
});

describe("LocalCollector", () => {
  const base: CollectTarget = {
    instanceId: "i1",
    slug: "s1",
    cloud: "local",
    region: "local",
    size: "small",
    outputs: { url: URL_, databaseEndpoint: "db:3306", databaseName: "s1", bucket: "b", version: "0.64.0" },
    previous: null,
    previousAt: null,
  };

  it("gives gauges the first time and rates from the state it handed back", async () => {
    let requests = 10;
    let cpu = 1;
    stubFetch({ "/healthz": ok(), "/metrics": () => ({ status: 200, body: metricsText(requests, cpu) }) });
    const collector = new LocalCollector();
    const first = await collector.collect(base, { timeoutMs: 1000 });
    expect(first.health).toBe("up");
    expect(first.values).toEqual({ health_up: 1, memory_bytes: 1000000 });

    requests = 40;
    cpu = 4;
    vi.useFakeTimers({ now: first.at.getTime() + 30_000, toFake: ["Date"] });
    try {
      const state: unknown = JSON.parse(JSON.stringify(first.state));
      const second = await collector.collect(
        { ...base, previous: state, previousAt: first.at },
        { timeoutMs: 1000 },
      );
      expect(second.values.request_rate).toBeCloseTo(1);
      expect(second.values.process_cpu_percent).toBeCloseTo(10);
      expect(second.values.error_rate_percent).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports down with the reason and keeps the previous counters when the service does not answer", async () => {
    stubFetch({ "/healthz": refused(), "/metrics": refused() });
    const previous = {
      at: 1,
      startTime: 1,
      processCpuSeconds: 1,
      dbCpuSeconds: null,
      requests: 3,
      errors: 0,
    };
    const r = await new LocalCollector().collect(
      { ...base, previous: { ...previous, buckets: [] } },
      { timeoutMs: 1000 },
    );
    expect(r).toMatchObject({
      health: "down",
      healthDetail: "healthz unreachable: connection refused",
      values: { health_up: 0 },
      state: { ...previous, buckets: [] },
    });
  });

  it("is down without a URL, and up with health only when /metrics fails", async () => {
    const noUrl = await new LocalCollector().collect({ ...base, outputs: null }, { timeoutMs: 1000 });
    expect(noUrl).toMatchObject({ health: "down", values: { health_up: 0 } });

    stubFetch({ "/healthz": ok(), "/metrics": { status: 500, body: "boom" } });
    const r = await new LocalCollector().collect(base, { timeoutMs: 1000 });
    expect(r).toMatchObject({ health: "up", values: { health_up: 1 }, state: null });
  });
});
