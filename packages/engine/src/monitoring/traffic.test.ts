// readTrafficCounters over a stubbed fetch (no sockets): what it sums, what it leaves out, how it fails.
import { afterEach, describe, expect, it, vi } from "vitest";
import { readTrafficCounters } from "./traffic";

const URL_ = "http://127.0.0.1:4999/";

const METRICS = `# HELP tenant_http_requests_total HTTP requests by route, method and status
# TYPE tenant_http_requests_total counter
tenant_http_requests_total{route="/api/ping",method="GET",status="200",instance_slug="s1"} 40
tenant_http_requests_total{route="/api/ping",method="GET",status="500",instance_slug="s1"} 3
tenant_http_requests_total{route="/api/graphql",method="POST",status="200",instance_slug="s1"} 7
tenant_http_requests_total{route="/healthz",method="GET",status="200",instance_slug="s1"} 100
tenant_http_requests_total{route="/metrics",method="GET",status="200",instance_slug="s1"} 50
# HELP tenant_http_errors_total HTTP requests answered with a server error (5xx), by route and status
# TYPE tenant_http_errors_total counter
tenant_http_errors_total{route="/api/ping",status="500",instance_slug="s1"} 3
tenant_http_errors_total{route="/healthz",status="503",instance_slug="s1"} 9
# TYPE tenant_process_start_time_seconds gauge
tenant_process_start_time_seconds{instance_slug="s1"} 1700000000`;

function stubFetch(answer: Response | Error) {
  const fetchMock = vi.fn(async (_input: string | URL | Request, _init?: RequestInit) => {
    if (answer instanceof Error) throw answer;
    return answer;
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("readTrafficCounters", () => {
  it("sums requests and errors over the customer's routes, leaving out /healthz and /metrics", async () => {
    const fetchMock = stubFetch(new Response(METRICS, { status: 200 }));
    const before = Date.now();
    const c = await readTrafficCounters({ url: URL_ });
    expect(c).toMatchObject({ requests: 50, errors: 3, processStartTime: 1700000000 });
    expect(c.at.getTime()).toBeGreaterThanOrEqual(before);
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe("http://127.0.0.1:4999/metrics");
    expect(new Headers(fetchMock.mock.calls[0]?.[1]?.headers).get("authorization")).toBeNull();
  });

  it("sends the admin token as a bearer token when given", async () => {
    const fetchMock = stubFetch(new Response(METRICS, { status: 200 }));
    await readTrafficCounters({ url: URL_, adminToken: "tok-0123456789abcdef" });
    expect(new Headers(fetchMock.mock.calls[0]?.[1]?.headers).get("authorization")).toBe(
      "Bearer tok-0123456789abcdef",
    );
  });

  it("is zero for a process that has served nothing yet", async () => {
    stubFetch(new Response("# nothing yet\n", { status: 200 }));
    await expect(readTrafficCounters({ url: URL_ })).resolves.toMatchObject({
      requests: 0,
      errors: 0,
      processStartTime: null,
    });
  });

  it("throws, saying why, when the instance does not answer", async () => {
    stubFetch(new Response("restarting", { status: 503 }));
    await expect(readTrafficCounters({ url: URL_ })).rejects.toThrow("metrics answered 503");
    stubFetch(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }));
    await expect(readTrafficCounters({ url: URL_ })).rejects.toThrow(/metrics unreachable/);
  });
});
