// Version changes on the local cloud, against the real daemon, MariaDB and s3rver (scripts/services.sh up): the
// instance's URL answers throughout an upgrade and a rollback (the new process starts beside the old one, passes its
// health check, takes over the router, and only then is the old one stopped), the tenant migrates its own schema
// from 0.66.0 on, and the synthetic traffic and fault injection that upgrade health gates rely on.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTrafficCounters } from "../monitoring/traffic";
import type { InstanceSpec } from "../types";
import { LocalEngine } from "./local-engine";
import { localRef, localSpec, recorder } from "./testing/fixtures";
import { setTenantFaults } from "./testing/faults";
import { alive, randomPortRange, startDaemon, waitFor, type TestDaemon } from "./testing/local-cloud-daemon";

const run = randomBytes(3).toString("hex");
const UPGRADED = `it-${run}-upg`;
const FAULTY = `it-${run}-flt`;

let dataDir: string;
let daemon: TestDaemon;
let engine: LocalEngine;
const created = new Set<string>();

async function apply(s: InstanceSpec) {
  created.add(s.slug);
  return engine.apply(s, recorder().hooks);
}

async function view(slug: string) {
  const res = await fetch(`${daemon.url}/v1/instances/${slug}`);
  return (await res.json()) as { pid: number; status: string; url: string };
}

async function version(url: string) {
  return (await (await fetch(`${url}/version`)).json()) as Record<string, unknown>;
}

/**
 * Polls `url` every ~20 ms until stopped; a poll fails when it is not answered 200 (a 502 or 503 of the router, a
 * refused or reset connection). The client keeps its connection to the router alive, as a browser would.
 */
function poller(url: string) {
  const failures: string[] = [];
  let polls = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        const body = await res.text();
        if (res.status !== 200) failures.push(`HTTP ${res.status}: ${body.slice(0, 200)}`);
      } catch (err) {
        failures.push(`no answer: ${String((err as { cause?: unknown }).cause ?? err)}`);
      }
      polls += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    failures,
    polls: () => polls,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "local-cloud-upgrade-it-"));
  daemon = await startDaemon({
    dataDir,
    publicPorts: randomPortRange(),
    // Faults are allowed: startDaemon runs the daemon with CP_MODE=test.
    env: { LOCAL_CLOUD_TRAFFIC_RPS: "10" },
  });
  engine = new LocalEngine({
    baseUrl: daemon.url,
    pollIntervalMs: 100,
    timeoutMs: 60_000,
    healthTimeoutMs: 30_000,
  });
}, 60_000);

afterAll(async () => {
  if (daemon) {
    for (const slug of created) await engine.destroy(localRef(slug), recorder().hooks).catch(() => undefined);
    await daemon.stop();
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("version changes on the local cloud", () => {
  it("upgrades 0.65.0 → 0.66.0 and rolls back with zero failed requests; the schema moves forward only", async () => {
    const outputs = await apply(localSpec(UPGRADED, { version: "0.65.0" }));
    expect(await version(outputs.url)).toEqual({ version: "0.65.0", slug: UPGRADED, schemaVersion: 1 });
    const before = await view(UPGRADED);

    const upgrade = poller(`${outputs.url}/api/ping`);
    await new Promise((r) => setTimeout(r, 300));
    const upgraded = await apply(localSpec(UPGRADED, { version: "0.66.0" }));
    await new Promise((r) => setTimeout(r, 300));
    await upgrade.stop();
    expect(upgrade.failures).toEqual([]);
    expect(upgrade.polls()).toBeGreaterThan(20);
    expect(upgraded.url).toBe(outputs.url);
    expect(await version(outputs.url)).toEqual({ version: "0.66.0", slug: UPGRADED, schemaVersion: 2 });
    const after = await view(UPGRADED);
    expect(after.pid).not.toBe(before.pid);
    expect(alive(before.pid)).toBe(false);

    // Rollback: the previous release runs on the current (newer) schema.
    const rollback = poller(`${outputs.url}/api/ping`);
    await new Promise((r) => setTimeout(r, 300));
    await apply(localSpec(UPGRADED, { version: "0.65.0" }));
    await new Promise((r) => setTimeout(r, 300));
    await rollback.stop();
    expect(rollback.failures).toEqual([]);
    expect(rollback.polls()).toBeGreaterThan(20);
    expect(await version(outputs.url)).toEqual({ version: "0.65.0", slug: UPGRADED, schemaVersion: 2 });
    expect(alive(after.pid)).toBe(false);
    expect((await view(UPGRADED)).status).toBe("running");
  });

  it("traffic counters grow from the synthetic traffic; faults reach only the next started process", async () => {
    const { url } = await apply(localSpec(FAULTY, { version: "0.65.0" }));
    const first = await readTrafficCounters({ url });
    const grown = await waitFor(
      "synthetic traffic",
      async () => {
        const c = await readTrafficCounters({ url });
        return c.requests >= first.requests + 5 ? c : null;
      },
      10_000,
    );
    expect(grown.errors).toBe(0);
    expect(grown.at.getTime()).toBeGreaterThan(first.at.getTime());

    // Recorded for the next process: the running one is not restarted and keeps answering.
    const running = await view(FAULTY);
    expect(
      await setTenantFaults(FAULTY, { errorRate: 1 }, { baseUrl: daemon.url, token: undefined }),
    ).toEqual({ slug: FAULTY, errorRate: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await view(FAULTY)).pid).toBe(running.pid);
    const unaffected = await readTrafficCounters({ url });
    expect(unaffected.requests).toBeGreaterThan(grown.requests);
    expect(unaffected.errors).toBe(0);

    // The upgrade's new process has the faults: it passes its health check, then fails customer requests.
    await apply(localSpec(FAULTY, { version: "0.66.0" }));
    expect((await view(FAULTY)).pid).not.toBe(running.pid);
    const failing = await waitFor(
      "errors from the faulty process",
      async () => {
        const c = await readTrafficCounters({ url });
        return c.errors >= 3 ? c : null;
      },
      10_000,
    );
    expect(failing.processStartTime).not.toBe(unaffected.processStartTime);
    expect(failing.errors).toBe(failing.requests); // an error rate of 1: every customer request
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await engine.setTenantFaults(FAULTY, { errorRate: 0 })).errorRate).toBe(0);
  });
});
