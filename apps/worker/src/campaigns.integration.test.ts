// Fleet upgrade campaigns on the real local cloud (issue: "Fleet upgrade campaigns"): a real worker process runs the
// campaign driver and the upgrade operations against a local cloud daemon of this file's own (synthetic traffic for
// the health gates, fault injection allowed), MariaDB and s3rver of scripts/services.sh. Ten instances go from 0.65.0
// to 0.66.0 with a canary, two waves and at most three upgrades at once, while every instance URL is polled (zero
// failures); then an instance made to fail its gate pauses a campaign, resume completes it, abort leaves the rest
// skipped, and a rollback returns an instance to 0.65.0.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { resetEnvCache } from "@cp/config";
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import {
  abortCampaign,
  createCampaign,
  createOperationTx,
  getCampaign,
  resumeCampaign,
  rollbackInstance,
  startCampaign,
  wakeOperation,
  type ServiceContext,
} from "@cp/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantFaults } from "../../../packages/engine/src/local/testing/faults";
import {
  randomPortRange,
  startDaemon,
  type TestDaemon,
} from "../../../packages/engine/src/local/testing/local-cloud-daemon";
import { settleEarlierFilesWork } from "./testing/fixtures";
import { waitFor } from "./testing/wait";
import { killAllWorkers, startWorkerProcess, type WorkerProcess } from "./testing/worker-process";

const RUN = `cg${randomBytes(3).toString("hex")}`;
const V65 = "0.65.0";
const V66 = "0.66.0";
const V67 = "0.67.0";
const GATE = { enabled: true, soakSeconds: 2, minRequests: 5 };

let daemon: TestDaemon;
let dataDir: string;
let worker: WorkerProcess;
let ctx: ServiceContext;
let orgId: string;
/** In slug order (the order campaigns put them in). */
let instances: { id: string; slug: string; url: string }[] = [];

const LOCAL = {
  cloud: "local",
  region: "local",
  size: "small",
  mysqlVersion: "8.0",
  storage: { mode: "provider" },
  sso: { mode: "provider" },
  reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
  ipAllowlist: [],
} as const;

/** Polls each URL every ~100 ms until stopped; any answer but 200 (or none) is a failure. */
function pollers(urls: string[]) {
  const failures: string[] = [];
  let polls = 0;
  let stopped = false;
  const loops = urls.map(async (url) => {
    while (!stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        const body = await res.text();
        if (res.status !== 200) failures.push(`${url}: HTTP ${res.status}: ${body.slice(0, 200)}`);
      } catch (err) {
        failures.push(`${url}: no answer: ${String((err as { cause?: unknown }).cause ?? err)}`);
      }
      polls += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  return {
    failures,
    polls: () => polls,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function campaignSettled(id: string, statuses: string[], timeoutMs = 120_000) {
  return waitFor(
    `campaign ${id} ${statuses.join("/")}`,
    async () => {
      const c = await getCampaign(ctx.actor, id);
      return statuses.includes(c.status) && c.counts.upgrading === 0 ? c : undefined;
    },
    {
      timeoutMs,
      intervalMs: 300,
      describe: async () => JSON.stringify((await getCampaign(ctx.actor, id)).counts),
    },
  );
}

async function opsOf(campaignId: string) {
  const c = await getCampaign(ctx.actor, campaignId);
  const ids = c.targets.map((t) => t.operationId).filter((x): x is string => x !== null);
  const ops = await db().operation.findMany({ where: { id: { in: ids } } });
  const byId = new Map(ops.map((o) => [o.id, o]));
  return c.targets.map((t) => ({ target: t, op: t.operationId ? byId.get(t.operationId) : undefined }));
}

/** The most upgrade operations running at once, from their start and finish times. */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) {
    now += e.d;
    max = Math.max(max, now);
  }
  return max;
}

const plan = (
  ids: string[],
  strategy: { canary: number; waves: { percent: number }[]; maxConcurrent: number },
) => ({
  selector: { instanceIds: ids },
  strategy: { ...strategy, failureThreshold: 1 },
  gate: GATE,
});

beforeAll(async () => {
  await settleEarlierFilesWork();
  dataDir = await mkdtemp(path.join(tmpdir(), "campaigns-it-"));
  // Traffic for the gates: the daemon's generator, 10 requests a second per instance.
  daemon = await startDaemon({
    dataDir,
    publicPorts: randomPortRange(120),
    env: { LOCAL_CLOUD_TRAFFIC_RPS: "10" },
  });
  // eslint-disable-next-line no-restricted-properties -- the test points itself and its worker at its own daemon
  process.env.CP_LOCAL_CLOUD_URL = daemon.url;
  resetEnvCache();

  const tag = randomBytes(3).toString("hex");
  const org = await db().organization.create({
    data: { name: `Campaigns ${tag}`, slug: `campaigns-${tag}`, plan: "dedicated", instanceQuota: 20 },
  });
  orgId = org.id;
  const sre = await db().user.create({ data: { email: `sre-${tag}@example.test`, staffRole: "sre" } });
  ctx = {
    actor: { userId: sre.id, email: sre.email, staffRole: "sre", memberships: [] },
    ip: "127.0.0.1",
    userAgent: "vitest",
    requestId: `req-${tag}`,
    log: logger(),
  };
  for (const [version, day] of [
    [V65, "2026-01-06"],
    [V66, "2026-01-20"],
    [V67, "2026-02-03"],
  ] as const) {
    const data = {
      releasedAt: new Date(`${day}T00:00:00Z`),
      requiresVersion: null,
      withdrawnAt: null,
      noRollback: false,
    };
    await db().release.upsert({ where: { version }, create: { version, ...data }, update: data });
  }

  worker = await startWorkerProcess({
    name: "cg1",
    env: {
      CP_LOCAL_CLOUD_URL: daemon.url,
      CP_CAMPAIGN_TICK_MS: "500",
      CP_OPERATION_LEASE_MS: "5000",
      CP_OPERATION_HEARTBEAT_MS: "500",
      CP_RECONCILE_INTERVAL_MS: "1000",
      CP_BACKUP_TICK_MS: "3600000",
      CP_LOG_LEVEL: "warn",
      SMTP_URL: "log:",
    },
  });
  await worker.waitReady(60_000);

  // Ten instances on 0.65.0, provisioned in parallel (rows written here: an order would pick the newest release).
  const created: string[] = [];
  for (let n = 0; n < 10; n += 1) {
    const slug = `${RUN}-${String(n).padStart(2, "0")}`;
    const i = await db().instance.create({
      data: {
        orgId,
        name: slug,
        slug,
        cloud: "local",
        region: "local",
        size: "small",
        mysqlVersion: "8.0",
        storageMode: "provider",
        status: "provisioning",
        version: V65,
        config: LOCAL as object,
      },
    });
    const op = await createOperationTx(db(), { instanceId: i.id, kind: "provision" });
    await wakeOperation(op.id);
    created.push(i.id);
  }
  instances = await waitFor(
    "ten instances running",
    async () => {
      const rows = await db().instance.findMany({ where: { id: { in: created } }, orderBy: { slug: "asc" } });
      const failed = rows.find((r) => r.status === "failed");
      if (failed) throw new Error(`${failed.slug} failed: ${failed.statusReason}`);
      return rows.every((r) => r.status === "running" && r.url)
        ? rows.map((r) => ({ id: r.id, slug: r.slug, url: r.url! }))
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
}, 240_000);

afterAll(async () => {
  await killAllWorkers();
  await daemon?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  await closeQueues();
  await closeSharedRedis();
});

describe("upgrade campaigns on the local cloud", () => {
  it(
    "upgrades ten instances in a canary and two waves, at most three at once, without a failed request",
    { timeout: 180_000 },
    async () => {
      const poll = pollers(instances.map((i) => `${i.url}/version`));
      const { id } = await createCampaign(ctx, {
        name: `${RUN} to ${V66}`,
        targetVersion: V66,
        ...plan(
          instances.map((i) => i.id),
          { canary: 1, waves: [{ percent: 50 }, { percent: 100 }], maxConcurrent: 3 },
        ),
        urgent: true,
        urgentReason: "integration test: windows are weeks away",
      });
      await startCampaign(ctx, id);
      const c = await campaignSettled(id, ["completed", "paused"]);
      await poll.stop();
      expect(c.status, c.pausedReason ?? "").toBe("completed");
      expect(c.counts.succeeded).toBe(10);

      const rows = await opsOf(id);
      expect(rows.map((r) => r.target.wave)).toEqual([0, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
      for (const { target, op } of rows) {
        expect(op, target.instanceName).toMatchObject({ kind: "upgrade", status: "succeeded" });
        expect((target.gateResult as { passed: boolean }).passed).toBe(true);
      }
      // Waves in order: no upgrade of a wave started before every upgrade (and gate) of the wave before ended.
      for (const wave of [1, 2]) {
        const prevEnd = Math.max(
          ...rows.filter((r) => r.target.wave === wave - 1).map((r) => r.op!.finishedAt!.getTime()),
        );
        const start = Math.min(
          ...rows.filter((r) => r.target.wave === wave).map((r) => r.op!.startedAt!.getTime()),
        );
        expect(start, `wave ${wave} started before wave ${wave - 1} ended`).toBeGreaterThanOrEqual(prevEnd);
      }
      expect(
        maxOverlap(
          rows.map((r) => ({ start: r.op!.startedAt!.getTime(), end: r.op!.finishedAt!.getTime() })),
        ),
      ).toBeLessThanOrEqual(3);

      const now = await db().instance.findMany({ where: { id: { in: instances.map((i) => i.id) } } });
      expect(now.map((i) => [i.version, i.previousVersion, i.status])).toEqual(
        now.map(() => [V66, V65, "running"]),
      );
      for (const i of instances) {
        const v = (await (await fetch(`${i.url}/version`)).json()) as { version: string };
        expect(v.version).toBe(V66);
      }
      expect(poll.polls()).toBeGreaterThan(100);
      expect(poll.failures).toEqual([]);
    },
  );

  it(
    "pauses on a failed health gate, resumes to the end, aborts another campaign and rolls one instance back",
    { timeout: 180_000 },
    async () => {
      // Campaign B: instances 0..3, the faulty one (00) is the canary.
      const [faulty, ...restB] = instances.slice(0, 4);
      const cInstances = instances.slice(4, 7);
      const rolledBack = instances[9]!;
      const poll = pollers([
        `${faulty!.url}/healthz`,
        ...[...restB, ...cInstances, rolledBack].map((i) => `${i.url}/version`),
      ]);
      await setTenantFaults(faulty!.slug, { errorRate: 0.6 }, { baseUrl: daemon.url });

      const b = await createCampaign(ctx, {
        name: `${RUN} B to ${V67}`,
        targetVersion: V67,
        ...plan([faulty!.id, ...restB.map((i) => i.id)], {
          canary: 1,
          waves: [{ percent: 100 }],
          maxConcurrent: 3,
        }),
        urgent: true,
        urgentReason: "integration test: the gate must stop a bad release",
      });
      await startCampaign(ctx, b.id);
      let cb = await campaignSettled(b.id, ["paused", "completed"]);
      expect(cb.status).toBe("paused");
      expect(cb.pausedReason).toMatch(/1 upgrade failed \(threshold 1\)/);
      expect(cb.pausedReason).toMatch(/health gate failed/);
      const canary = cb.targets.find((t) => t.instanceId === faulty!.id)!;
      expect(canary.status).toBe("failed");
      expect((canary.gateResult as { passed: boolean; reason: string }).passed).toBe(false);
      expect((canary.gateResult as { reason: string }).reason).toMatch(/error rate/);
      // The instance stays on the new version, serving, and says a rollback is available.
      const f = await db().instance.findUniqueOrThrow({ where: { id: faulty!.id } });
      expect(f).toMatchObject({ version: V67, previousVersion: V66, status: "running" });
      expect(f.statusReason).toMatch(/health gate failed.*rollback to 0\.66\.0 is available/);
      expect(
        cb.targets.filter((t) => t.wave === 1).map((t) => t.status),
        JSON.stringify(
          cb.targets.map((t) => [t.wave, t.status, t.startedAt, t.finishedAt, t.error?.slice(0, 80)]),
        ),
      ).toEqual(["pending", "pending", "pending"]);

      await resumeCampaign(ctx, b.id);
      cb = await campaignSettled(b.id, ["completed", "paused"]);
      expect(cb.status).toBe("completed");
      expect(cb.targets.filter((t) => t.wave === 1).map((t) => t.status)).toEqual([
        "succeeded",
        "succeeded",
        "succeeded",
      ]);

      // Campaign C: one upgrade at a time; aborted while its first runs. That one finishes; the rest are skipped.
      const c = await createCampaign(ctx, {
        name: `${RUN} C to ${V67}`,
        targetVersion: V67,
        ...plan(
          cInstances.map((i) => i.id),
          { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1 },
        ),
        urgent: true,
        urgentReason: "integration test: abort half-way",
      });
      await startCampaign(ctx, c.id);
      await waitFor(
        "campaign C's first upgrade running",
        async () => ((await getCampaign(ctx.actor, c.id)).counts.upgrading === 1 ? true : undefined),
        { timeoutMs: 30_000 },
      );
      const aborted = await abortCampaign(ctx, c.id);
      expect(aborted.skipped).toBe(2);
      const cc = await campaignSettled(c.id, ["aborted"]);
      expect(cc.targets.map((t) => t.status).sort()).toEqual(["skipped", "skipped", "succeeded"]);
      expect(cc.targets.filter((t) => t.status === "skipped").every((t) => t.operationId === null)).toBe(
        true,
      );

      // Rollback of an instance of the first campaign: back on 0.65.0, serving.
      const { operationId } = await rollbackInstance(ctx, orgId, rolledBack.id);
      const op = await waitFor(
        "rollback finished",
        async () => {
          const o = await db().operation.findUniqueOrThrow({ where: { id: operationId } });
          return ["succeeded", "failed", "cancelled"].includes(o.status) ? o : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(op.status, op.error ?? "").toBe("succeeded");
      expect(await db().instance.findUniqueOrThrow({ where: { id: rolledBack.id } })).toMatchObject({
        version: V65,
        previousVersion: null,
        status: "running",
      });
      const v = (await (await fetch(`${rolledBack.url}/version`)).json()) as { version: string };
      expect(v.version).toBe(V65);
      await poll.stop();
      expect(poll.failures).toEqual([]);
    },
  );
});
