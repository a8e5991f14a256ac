// The synthetic traffic generator against a stand-in instance on loopback, and the test-only faults API of a daemon
// in-process (allowed and refused).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { startInProcessCloud, waitUntil, type InProcessCloud } from "./testing/in-process-cloud";
import { TrafficGenerator } from "./traffic";

const log = pino({ level: "silent" });
const servers: Server[] = [];
const clouds: InProcessCloud[] = [];

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const c of clouds) await c.stop();
});

/** A stand-in tenant: counts requests by path; answers `status()`, after `delayMs`. */
async function standIn(opts: { status?: () => number; delayMs?: number } = {}) {
  const seen: string[] = [];
  let open = 0;
  let maxOpen = 0;
  const server = createServer((req, res) => {
    seen.push(req.url ?? "");
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    setTimeout(() => {
      open -= 1;
      res.writeHead(opts.status?.() ?? 200).end("{}");
    }, opts.delayMs ?? 0);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, maxOpen: () => maxOpen };
}

describe("synthetic traffic", () => {
  it("sends about `rps` GET /api/ping per second to each target, and nothing once stopped", async () => {
    const a = await standIn();
    const b = await standIn();
    const traffic = new TrafficGenerator({
      rps: 20,
      targets: () => [
        { slug: "a", url: a.url },
        { slug: "b", url: b.url },
      ],
      log,
    });
    traffic.start();
    await new Promise((r) => setTimeout(r, 1_000));
    await traffic.stop();
    for (const s of [a, b]) {
      expect(s.seen.length).toBeGreaterThanOrEqual(10);
      expect(s.seen.length).toBeLessThanOrEqual(25);
      expect(new Set(s.seen)).toEqual(new Set(["/api/ping"]));
    }
    const after = a.seen.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(a.seen.length).toBe(after);
    expect(traffic.stats()).toMatchObject({ failed: 0, errors: 0, skipped: 0 });
  });

  it("counts errors and refusals without throwing, and skips rather than queues past its concurrency", async () => {
    const failing = await standIn({ status: () => 500 });
    const slow = await standIn({ delayMs: 600 });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    const traffic = new TrafficGenerator({
      rps: 50,
      maxInFlight: 3,
      targets: () => [
        { slug: "failing", url: failing.url },
        { slug: "slow", url: slow.url },
        { slug: "refused", url: "http://127.0.0.1:1" },
        { slug: "garbage", url: "not a url" },
      ],
      log,
    });
    traffic.start();
    await waitUntil(() => traffic.stats().skipped > 0 && traffic.stats().failed > 0, 5_000);
    await traffic.stop();
    process.off("unhandledRejection", onUnhandled);
    const stats = traffic.stats();
    expect(stats.errors).toBeGreaterThan(0);
    expect(slow.maxOpen()).toBeLessThanOrEqual(3);
    expect(stats.sent).toBe(stats.ok + stats.failed + stats.errors);
    expect(unhandled).toEqual([]);
  });

  it("with rps 0 sends nothing", async () => {
    const s = await standIn();
    const traffic = new TrafficGenerator({ rps: 0, targets: () => [{ slug: "s", url: s.url }], log });
    traffic.start();
    await new Promise((r) => setTimeout(r, 200));
    await traffic.stop();
    expect(s.seen).toEqual([]);
  });
});

describe("faults API (tests only)", () => {
  it("is refused with 403 and a clear message unless the daemon allows faults", async () => {
    const cloud = await startInProcessCloud({
      token: "faults-test-token-0123456789",
      name: "faults-off",
      ports: 2,
      env: { LOCAL_CLOUD_ALLOW_FAULTS: "0" },
    });
    clouds.push(cloud);
    expect(await cloud.call("PUT", "/v1/instances/acme-prod/faults", { errorRate: 0.5 })).toMatchObject({
      status: 403,
      json: { error: "forbidden", message: expect.stringContaining("LOCAL_CLOUD_ALLOW_FAULTS=1") as string },
    });
    expect((await cloud.call("GET", "/v1/instances/acme-prod/faults")).status).toBe(403);
  });

  it("when allowed, names the field of a bad body and the instance that does not exist", async () => {
    const cloud = await startInProcessCloud({
      token: "faults-test-token-0123456789",
      name: "faults-on",
      ports: 2,
    });
    clouds.push(cloud);
    expect(await cloud.call("PUT", "/v1/instances/acme-prod/faults", { errorRate: 2 })).toMatchObject({
      status: 400,
      json: { message: "errorRate: must be between 0 and 1" },
    });
    expect(await cloud.call("PUT", "/v1/instances/acme-prod/faults", { errorRate: 0.5 })).toMatchObject({
      status: 404,
      json: { message: 'instance "acme-prod" does not exist' },
    });
    expect((await cloud.call("DELETE", "/v1/instances/acme-prod/faults")).status).toBe(405);
  });
});
