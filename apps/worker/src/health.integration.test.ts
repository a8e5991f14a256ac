// Health and metrics of a real tenant service on the local cloud (scripts/services.sh up): the worker's collectors
// poll it through pollDueInstances; a sustained database load (the tenant's /admin/load knob) shows as database
// CPU above the alert threshold; a suspended instance shows as down with the reason.
import { randomBytes } from "node:crypto";
import { localCloudToken } from "@cp/config/local-cloud";
import { closePgPool, db, pgPool } from "@cp/db";
import { DEFAULT_RATE_LIMITS } from "@cp/core";
import { LocalEngine, type EngineHooks, type EngineOutputs } from "@cp/engine";
import { localSpec } from "@cp/engine/testing";
import { pollDueInstances, readSeries } from "@cp/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "@cp/config";
import { createCollectors } from "./engines";
import { createOrgAdmin } from "./testing/fixtures";
import { deleteCloudInstances } from "./testing/local-cloud-inventory";
import { sleep, waitFor } from "./testing/wait";

const SLUG = `hl${randomBytes(3).toString("hex")}`;
const INTERVAL_MS = 1000;
const hooks: EngineHooks = {
  log: () => undefined,
  progress: () => undefined,
  signal: new AbortController().signal,
};
const ref = { instanceId: SLUG, slug: SLUG, cloud: "local" as const, region: "local" };

let engine: LocalEngine;
let outputs: EngineOutputs;
let instanceId: string;

async function daemon(path: string, init: RequestInit = {}) {
  const token = localCloudToken();
  return fetch(`${env().CP_LOCAL_CLOUD_URL}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
  });
}

async function admin(path: string, body?: unknown) {
  const { adminToken } = (await (await daemon(`/v1/instances/${SLUG}/admin-token`)).json()) as {
    adminToken: string;
  };
  const res = await fetch(`${outputs.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Waits for the instance's next poll slot, then polls it. */
async function poll() {
  await sleep(INTERVAL_MS + 50);
  return pollDueInstances(createCollectors(), { instanceIds: [instanceId], intervalMs: INTERVAL_MS });
}

/** The newest raw sample of a metric (chart points of 1 s polls would average several). */
async function latest(metric: string): Promise<number | undefined> {
  const r = await pgPool().query<{ value: number }>(
    `SELECT s.value FROM metric_samples s JOIN "MetricSeries" m ON m.id = s.series_id
     WHERE m."instanceId" = $1 AND m.metric = $2 ORDER BY s.ts DESC LIMIT 1`,
    [instanceId, metric],
  );
  return r.rows[0]?.value;
}

beforeAll(async () => {
  engine = new LocalEngine({ baseUrl: env().CP_LOCAL_CLOUD_URL!, pollIntervalMs: 200 });
  const spec = localSpec(SLUG, {
    instanceId: SLUG,
    orgSlug: "health",
    reliability: { externalRedis: false, rateLimits: { ...DEFAULT_RATE_LIMITS } },
  });
  outputs = await engine.apply(spec, hooks);
  const { orgId } = await createOrgAdmin();
  const instance = await db().instance.create({
    data: {
      orgId,
      name: SLUG,
      slug: SLUG,
      cloud: "local",
      region: "local",
      size: "small",
      mysqlVersion: "8.0",
      storageMode: "provider",
      status: "running",
      url: outputs.url,
      outputs: { ...outputs },
    },
  });
  instanceId = instance.id;
  // Registers the instance: its first poll is due at its slot within the interval.
  await pollDueInstances(createCollectors(), { instanceIds: [instanceId], intervalMs: INTERVAL_MS });
}, 120_000);

afterAll(async () => {
  await deleteCloudInstances(SLUG, [SLUG]).catch(() => undefined);
  await closePgPool();
});

describe("health and metrics of a tenant service on the local cloud", () => {
  it("is up with gauges on the first poll, and has rates from the second on", async () => {
    expect(await poll()).toEqual({ polled: 1, up: 1, down: 0, failed: 0 });
    const inst = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
    expect(inst.healthStatus).toBe("up");
    expect(await latest("health_up")).toBe(1);
    expect(await latest("memory_bytes")).toBeGreaterThan(10_000_000);
    expect(await latest("request_rate")).toBeUndefined();

    // Some customer traffic between two polls.
    for (let i = 0; i < 5; i += 1) await fetch(`${outputs.url}/version`);
    expect(await poll()).toMatchObject({ polled: 1, up: 1 });
    expect(await latest("request_rate")).toBeGreaterThan(0);
    expect(await latest("error_rate_percent")).toBe(0);
    expect(await latest("latency_p95_ms")).toBeGreaterThan(0);
    expect(await latest("db_cpu_percent")).toBeGreaterThanOrEqual(0);
    const chart = await readSeries(instanceId, "1h");
    expect(chart.health_up.length).toBeGreaterThan(0);
    expect(chart.health_up.every((p) => p.v === 1)).toBe(true);
    const state = await db().monitorState.findUniqueOrThrow({ where: { instanceId } });
    expect(state).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect(state.lastCounters).toMatchObject({ requests: expect.any(Number) as number });
  });

  it("shows a sustained database load as database CPU above 70 % of the instance's vCPU", async () => {
    const started = await admin("/admin/load", { durationSeconds: 40, concurrency: 4 });
    expect(started).toMatchObject({ status: 202, json: { running: true, concurrency: 4 } });
    expect((await admin("/admin/load")).json).toMatchObject({ running: true });
    await poll();
    // CPU time is counted per finished statement: read it over a few seconds, as the poll interval would in use.
    // On a busy test machine the database may get less than a core at first: keep polling while the load runs.
    const seen: number[] = [];
    const busy = await waitFor(
      "database CPU above 70 %",
      async () => {
        await sleep(2500);
        await poll();
        const v = await latest("db_cpu_percent");
        if (v !== undefined) seen.push(Math.round(v));
        return v !== undefined && v > 70 ? v : undefined;
      },
      { timeoutMs: 35_000, intervalMs: 0, describe: () => `readings: ${seen.join(", ")}` },
    );
    expect(busy).toBeGreaterThan(70);
    const stopped = await admin("/admin/load/stop", {});
    expect(stopped.json).toMatchObject({ stopped: true, running: false });
    await poll();
    await sleep(2000);
    await poll();
    expect(await latest("db_cpu_percent")).toBeLessThan(50);
  }, 90_000);

  it("is down, with the reason, when the tenant service stops answering", async () => {
    await engine.suspend(ref, hooks);
    expect(await poll()).toEqual({ polled: 1, up: 0, down: 1, failed: 0 });
    const inst = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
    expect(inst.healthStatus).toBe("down");
    const state = await db().monitorState.findUniqueOrThrow({ where: { instanceId } });
    expect(state.lastError).toBe("healthz answered 503: The instance is suspended.");
    expect(state.consecutiveFailures).toBe(1);
    expect(await latest("health_up")).toBe(0);
  }, 60_000);
});
