// Reliability of operations end to end (DESIGN.md, Operations): real worker processes, spawned from source with short
// lease timings, against the real local cloud daemon, MariaDB and s3rver of scripts/services.sh. Workers are killed
// with SIGKILL mid-provision, Redis is flushed mid-run, and three operations are queued on one instance at once; the
// control plane's records and the local cloud's real resources must agree afterwards.
import { randomBytes, randomUUID } from "node:crypto";
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { DEFAULT_RATE_LIMITS, type InstanceConfig, type OrderInput } from "@cp/core";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis, getQueue, QUEUES } from "@cp/jobs";
import {
  deprovisionInstance,
  orderInstance,
  retryInstance,
  updateInstance,
  type ServiceContext,
} from "@cp/services";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cloudInstance,
  cloudInstances,
  deleteCloudInstances,
  expectedInventory,
  inventory,
  tenantProcesses,
  type Inventory,
} from "./testing/local-cloud-inventory";
import { localOrder } from "./testing/fixtures";
import { sleep, waitFor } from "./testing/wait";
import { killAllWorkers, startWorkerProcess, type WorkerProcess } from "./testing/worker-process";
import { RECONCILE_SCHEDULER_ID } from "./worker";

/** Every slug of this run starts with it, so checks and clean-up never touch another run's instances. */
const RUN = `rel${randomBytes(3).toString("hex")}`;

const WORKER_ENV = {
  CP_OPERATION_LEASE_MS: "3000",
  CP_OPERATION_HEARTBEAT_MS: "500",
  CP_RECONCILE_INTERVAL_MS: "1000",
  CP_LOG_LEVEL: "warn",
  // A deprovision never reaches its destroy during the test; clean-up deletes from the local cloud directly.
  CP_DELETE_RETENTION_HOURS: "1000",
  SMTP_URL: "log:",
};

const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

/** Polls `probe` until it returns a value other than undefined; the error says what was last seen. */

// ---- the customer -------------------------------------------------------------------------------------------------

let orgId: string;
let ctx: ServiceContext;

async function createDedicatedOrg(): Promise<void> {
  const tag = randomUUID().slice(0, 8);
  const user = await db().user.create({ data: { email: `rel-${tag}@example.test`, name: "Reliability" } });
  const org = await db().organization.create({
    data: { name: `Reliability ${tag}`, slug: `rel-${tag}`, plan: "dedicated", instanceQuota: 100 },
  });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  orgId = org.id;
  ctx = {
    actor: { userId: user.id, email: user.email, staffRole: "none", memberships: [{ orgId, role: "admin" }] },
    ip: "127.0.0.1",
    userAgent: "vitest",
    requestId: `req-${tag}`,
    log: logger(),
  };
}

const orderFor = (subdomain: string): OrderInput => localOrder("Reliability", subdomain);

async function placeOrders(group: string, n: number): Promise<{ instanceId: string; slug: string }[]> {
  const placed: { instanceId: string; slug: string }[] = [];
  for (let i = 1; i <= n; i++) {
    const slug = `${RUN}-${group}${String(i).padStart(2, "0")}`;
    const r = await orderInstance(ctx, { orgId, order: orderFor(slug), idempotencyKey: slug });
    expect(r.duplicate).toBe(false);
    placed.push({ instanceId: r.instanceId, slug: r.slug });
  }
  return placed;
}

// The operations these tests race; the support channel setups that provisions queue behind them are left out.
const opsOf = (instanceIds: string[]) =>
  db().operation.findMany({
    where: { instanceId: { in: instanceIds }, kind: { not: "channel_setup" } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });

const statusCounts = (ops: { status: string }[]) =>
  ops.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.status]: (acc[o.status] ?? 0) + 1 }), {});

/** Nothing of these instances is left running or queued, and no lease is left behind. */
async function expectNothingActive(instanceIds: string[]) {
  const ops = await opsOf(instanceIds);
  const active = ops.filter((o) => o.status === "running" || (o.status === "queued" && o.kind !== "destroy"));
  expect(active, JSON.stringify(active, null, 1)).toEqual([]);
  const expiredLeases = ops.filter(
    (o) =>
      (o.status === "running" || o.status === "queued") && o.leaseExpiresAt && o.leaseExpiresAt < new Date(),
  );
  expect(expiredLeases).toEqual([]);
  expect(ops.filter((o) => o.status !== "running" && (o.leaseOwner || o.leaseExpiresAt))).toEqual([]);
}

/**
 * The local cloud holds exactly one of everything per slug and nothing else under `prefix`. Polled briefly: a tenant
 * process may be mid-replacement (old and new side by side) for a moment after an operation ends.
 */
async function expectExactlyOneOfEverything(prefix: string, slugs: string[]): Promise<Inventory> {
  let last: Inventory | null = null;
  let expected: Inventory | null = null;
  try {
    return await waitFor(
      `local cloud resources for ${prefix}* to be exactly one per instance`,
      async () => {
        last = await inventory(prefix);
        const pids = Object.fromEntries(last.cloud.map((c) => [c.slug, c.pid]));
        expected = expectedInventory(slugs, pids);
        const ok =
          JSON.stringify(last) === JSON.stringify(expected) && last.cloud.every((c) => c.pid !== null);
        return ok ? last : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
  } catch {
    // Show the difference.
    expect(last).toEqual(expected);
    throw new Error("unreachable");
  }
}

// ---- lifecycle ----------------------------------------------------------------------------------------------------

beforeAll(async () => {
  await createDedicatedOrg();
  const cloud = await fetch(`${env().CP_LOCAL_CLOUD_URL ?? "http://127.0.0.1:4300"}/healthz`).catch(
    () => null,
  );
  if (!cloud?.ok)
    throw new Error(
      'The local cloud is not running on its port: start it with "bash scripts/services.sh up".',
    );
});

afterAll(async () => {
  await killAllWorkers();
  await deleteCloudInstances(`${RUN}-`).catch((err: unknown) => console.error(err));
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
});

// ---- the tests ----------------------------------------------------------------------------------------------------

describe("operations under failure, with real worker processes and the local cloud", () => {
  it(
    "SIGKILLs workers at random during 20 provisions: each ends succeeded or cleanly failed and retryable, " +
      "with exactly one database, bucket and process per instance",
    { timeout: 330_000 },
    async () => {
      const prefix = `${RUN}-k`;
      const placed = await placeOrders("k", 20);
      const ids = placed.map((p) => p.instanceId);
      const workers = new Set<WorkerProcess>();
      try {
        // Chaos: two worker slots; each worker is SIGKILLed a random 0.5-3 s after it first answers /readyz (while
        // it claims and runs provisions) and replaced at once, until every provision is terminal. The processes a
        // slot leaves running at the end serve the retries.
        const started = Date.now();
        const kills: { atMs: number; victim: string; running: number }[] = [];
        let chaos = true;
        let serial = 0;
        const slot = async () => {
          while (chaos) {
            const w = await startWorkerProcess({ name: `k${++serial}`, env: WORKER_ENV });
            workers.add(w);
            await w.waitReady(60_000);
            const killAt = Date.now() + between(500, 3000);
            while (chaos && Date.now() < killAt) await sleep(50);
            if (!chaos) return;
            const running = await db().operation.count({
              where: { instanceId: { in: ids }, status: "running", leaseOwner: { endsWith: `:${w.pid}` } },
            });
            await w.kill();
            workers.delete(w);
            kills.push({ atMs: Date.now() - started, victim: w.name, running });
          }
        };
        const slots = Promise.all([slot(), slot()]).finally(() => (chaos = false));
        const terminal = async () => {
          const ops = await db().operation.findMany({
            where: { instanceId: { in: ids }, kind: "provision" },
          });
          return ops.length === 20 && ops.every((o) => o.status === "succeeded" || o.status === "failed");
        };
        try {
          await waitFor(
            "every provision to be terminal under chaos",
            async () => (!chaos || (await terminal()) ? true : undefined),
            {
              timeoutMs: 150_000,
              intervalMs: 250,
              describe: async () =>
                `${JSON.stringify(statusCounts(await opsOf(ids)))}\n` +
                [...workers].map((w) => `--- ${w.name}\n${w.output().slice(-3000)}`).join("\n"),
            },
          );
        } finally {
          chaos = false;
          await slots;
        }
        const chaosMs = Date.now() - started;

        // Every provision is succeeded, or failed with a reason on the operation and on the instance.
        const provisions = await db().operation.findMany({
          where: { instanceId: { in: ids }, kind: "provision" },
          include: { instance: true },
        });
        expect(provisions).toHaveLength(20);
        const failed = provisions.filter((o) => o.status === "failed");
        console.info(
          `[reliability] chaos ${Math.round(chaosMs / 1000)} s, ${kills.length} kills ` +
            `(${kills.filter((k) => k.running > 0).length} with operations in flight), ` +
            `${provisions.length - failed.length} succeeded, ${failed.length} failed; attempts ` +
            JSON.stringify(statusCounts(provisions.map((o) => ({ status: String(o.attempts) })))),
        );
        for (const op of provisions) {
          if (op.status === "succeeded") {
            expect(op.instance).toMatchObject({ status: "running", statusReason: null });
            expect(op.instance.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
          } else {
            expect(op.status).toBe("failed");
            expect(op.error).toBeTruthy();
            expect(op.finishedAt).not.toBeNull();
            expect(op.instance.status).toBe("failed");
            expect(op.instance.statusReason).toContain(op.error!);
            expect(op.instance.statusReason).toContain("Retry");
          }
        }
        await expectNothingActive(ids);
        // The kills hit work in flight: some operation was resumed by another worker after its lease expired.
        expect(kills.length).toBeGreaterThanOrEqual(3);
        expect(kills.some((k) => k.running > 0)).toBe(true);
        expect(provisions.some((o) => o.attempts > 1)).toBe(true);
        const resumed = await db().operationLog.count({
          where: {
            operationId: { in: provisions.map((o) => o.id) },
            message: { contains: "resumes on another worker" },
          },
        });
        expect(resumed).toBeGreaterThan(0);

        // Failed ones are retryable: the retry finishes what was started, creating nothing twice.
        for (const op of failed) {
          const r = await retryInstance(ctx, { orgId, instanceId: op.instanceId });
          expect(r.operationId).toBeTruthy();
        }
        await waitFor(
          "every instance to run after the retries",
          async () => {
            const rows = await db().instance.findMany({
              where: { id: { in: ids } },
              select: { status: true },
            });
            return rows.every((r) => r.status === "running") ? true : undefined;
          },
          {
            timeoutMs: 120_000,
            intervalMs: 500,
            describe: async () => JSON.stringify(statusCounts(await opsOf(ids))),
          },
        );
        const ops = await opsOf(ids);
        expect(ops.filter((o) => o.status !== "succeeded")).toEqual(
          failed.map(() => expect.objectContaining({ kind: "provision", status: "failed" })),
        );
        expect(ops.filter((o) => o.status === "succeeded")).toHaveLength(20);
        await expectNothingActive(ids);

        // The real resources: one cloud entry, database, user, bucket and tenant process per instance; no strays.
        const inv = await expectExactlyOneOfEverything(
          prefix,
          placed.map((p) => p.slug),
        );
        expect(inv.cloud).toHaveLength(20);
        const instances = await db().instance.findMany({ where: { id: { in: ids } } });
        for (const i of instances) {
          const view = await cloudInstance(i.slug);
          expect(view).toMatchObject({ instanceId: i.id, status: "running", url: i.url });
        }

        // Surviving workers still stop cleanly.
        for (const w of workers) {
          expect(await w.stop(), w.output()).toEqual({ code: 0, signal: null });
          workers.delete(w);
        }
      } finally {
        await Promise.all([...workers].map((w) => w.kill()));
        await deleteCloudInstances(
          prefix,
          placed.map((p) => p.slug),
        );
      }
      expect(await cloudInstances(prefix)).toEqual([]);
      expect(await tenantProcesses(prefix)).toEqual(new Map());
    },
  );

  it(
    "flushes Redis while operations are queued and running: the reconciler recovers every one",
    { timeout: 240_000 },
    async () => {
      const prefix = `${RUN}-f`;
      // More than the worker's operation concurrency (4), so some wait in Redis when it is flushed.
      const placed = await placeOrders("f", 6);
      const ids = placed.map((p) => p.instanceId);
      const redis = new Redis(env().REDIS_URL, { maxRetriesPerRequest: 3 });
      let worker: WorkerProcess | null = null;
      try {
        worker = await startWorkerProcess({ name: "f1", env: WORKER_ENV });
        const w = worker;
        // Flush once work is running and more is queued behind it.
        const atFlush = await waitFor(
          "some operations running and others queued",
          async () => {
            const ops = await opsOf(ids);
            const c = statusCounts(ops);
            return (c.running ?? 0) >= 1 && (c.queued ?? 0) >= 1 ? c : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 100, describe: () => w.output() },
        );
        expect(await redis.dbsize()).toBeGreaterThan(0);
        await redis.flushdb();
        const flushedAt = Date.now();
        expect(await redis.exists(`bull:${QUEUES.operations}:meta`)).toBe(0);

        await waitFor(
          "every operation to succeed after the flush",
          async () => {
            const ops = await opsOf(ids);
            if (ops.some((o) => o.status === "failed" || o.status === "cancelled"))
              throw new Error(`an operation ended badly: ${JSON.stringify(ops, null, 1)}`);
            return ops.length === 6 && ops.every((o) => o.status === "succeeded") ? true : undefined;
          },
          {
            timeoutMs: 150_000,
            intervalMs: 500,
            describe: async () => `${JSON.stringify(statusCounts(await opsOf(ids)))}\n${w.output()}`,
          },
        );
        const recoveredMs = Date.now() - flushedAt;
        console.info(
          `[reliability] flushed Redis with ${JSON.stringify(atFlush)}; all succeeded ${Math.round(recoveredMs / 1000)} s later`,
        );
        const instances = await db().instance.findMany({ where: { id: { in: ids } } });
        expect(instances.map((i) => i.status)).toEqual(ids.map(() => "running"));
        await expectNothingActive(ids);
        // The worker lived through the flush, and puts the reconciler's schedule (lost with Redis) back.
        expect(w.alive(), w.output()).toBe(true);
        await waitFor(
          "the reconcile schedule to be back in Redis",
          async () =>
            (await getQueue(QUEUES.system).getJobScheduler(RECONCILE_SCHEDULER_ID)) ? true : undefined,
          { timeoutMs: 90_000, intervalMs: 500, describe: () => w.output() },
        );
        console.info(
          `[reliability] reconcile schedule back ${Math.round((Date.now() - flushedAt) / 1000)} s after the flush`,
        );
        await expectExactlyOneOfEverything(
          prefix,
          placed.map((p) => p.slug),
        );
        expect(await w.stop(), w.output()).toEqual({ code: 0, signal: null });
      } finally {
        await worker?.kill();
        await redis.quit();
        await deleteCloudInstances(
          prefix,
          placed.map((p) => p.slug),
        );
      }
    },
  );

  it(
    "runs two updates and a deprovision requested at once on one instance one after another",
    { timeout: 180_000 },
    async () => {
      const prefix = `${RUN}-s`;
      const [placed] = await placeOrders("s", 1);
      const { instanceId, slug } = placed!;
      let worker: WorkerProcess | null = null;
      let polling = false;
      let poller: Promise<void> = Promise.resolve();
      try {
        worker = await startWorkerProcess({ name: "s1", env: WORKER_ENV });
        const w = worker;
        const provisioned = await waitFor(
          "the instance to run",
          async () => {
            const i = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
            if (i.status === "failed")
              throw new Error(`provisioning failed: ${i.statusReason}\n${w.output()}`);
            return i.status === "running" ? i : undefined;
          },
          { timeoutMs: 90_000, intervalMs: 250, describe: () => w.output() },
        );
        const url = provisioned.url!;

        // What the tenant itself says, sampled throughout (the router answers 503 once it is suspended).
        type Seen = { status: number; graphql?: number; filestream?: number; error?: string };
        const seen: Seen[] = [];
        polling = true;
        poller = (async () => {
          while (polling) {
            try {
              const res = await fetch(`${url}/config`, { signal: AbortSignal.timeout(3_000) });
              const body = (await res.json().catch(() => ({}))) as {
                rateLimits?: { graphql: number; filestream: number };
                error?: string;
              };
              seen.push({
                status: res.status,
                graphql: body.rateLimits?.graphql,
                filestream: body.rateLimits?.filestream,
                error: body.error,
              });
            } catch {
              seen.push({ status: 0 });
            }
            await sleep(50);
          }
        })();
        await waitFor(
          "a first sample of the tenant's configuration",
          async () => (seen.length ? true : undefined),
          {
            timeoutMs: 10_000,
          },
        );

        const patches = [
          { reliability: { rateLimits: { graphql: 301, filestream: 31 } } },
          { reliability: { rateLimits: { graphql: 302, filestream: 32 } } },
        ];
        const requests = await Promise.allSettled([
          updateInstance(ctx, { orgId, instanceId, patch: patches[0]! }),
          updateInstance(ctx, { orgId, instanceId, patch: patches[1]! }),
          deprovisionInstance(ctx, { orgId, instanceId, confirmName: provisioned.name }),
        ]);
        // The deprovision is always accepted. An update is accepted too, unless it came after the deprovision, which
        // a service may refuse (nothing can be changed on an instance that is being deleted).
        const [d] = requests.slice(2).map((r) => {
          if (r.status === "rejected") throw r.reason;
          return r.value;
        });
        const queued = (await opsOf([instanceId])).filter((o) => o.kind !== "destroy");
        const deprovisionAt = queued.findIndex((o) => o.id === d!.operationId);
        requests.slice(0, 2).forEach((r, n) => {
          if (r.status === "rejected")
            expect(String(r.reason), `update ${n + 1} was refused`).toMatch(/deleted|deprovision/i);
        });
        expect(queued.filter((o) => o.kind === "update")).toHaveLength(
          requests.slice(0, 2).filter((r) => r.status === "fulfilled").length,
        );
        const ours = queued.filter((o) => o.kind === "update" || o.kind === "deprovision");
        const updatesBefore = queued.slice(0, deprovisionAt).filter((o) => o.kind === "update");

        await waitFor(
          "the operations to finish",
          async () => {
            const ops = await opsOf([instanceId]);
            const dep = ops.find((o) => o.id === d!.operationId)!;
            if (dep.status === "failed" || dep.status === "cancelled")
              throw new Error(`the deprovision ${dep.status}: ${dep.error}\n${w.output()}`);
            const active = ops.filter(
              (o) => o.status === "running" || (o.status === "queued" && o.kind !== "destroy"),
            );
            return active.length === 0 && ops.some((o) => o.kind === "destroy") ? ops : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 250, describe: () => w.output() },
        );
        await waitFor(
          "the tenant to answer as suspended",
          async () => (seen.at(-1)?.status === 503 ? true : undefined),
          { timeoutMs: 15_000 },
        );
        // Keep sampling a little: a suspended instance stays suspended.
        await sleep(1_000);
        polling = false;
        await poller;

        // Strictly one after another, in the order they were created (the order of the instance's queue).
        const ops = (await opsOf([instanceId])).filter((o) => o.kind !== "destroy");
        expect(ops.map((o) => o.id)).toEqual([ops[0]!.id, ...ours.map((o) => o.id)]);
        for (let n = 1; n < ops.length; n++) {
          const prev = ops[n - 1]!;
          const cur = ops[n]!;
          expect(cur.attempts).toBe(1);
          expect(
            cur.startedAt!.getTime(),
            `${cur.kind} ${cur.id} started before ${prev.kind} ${prev.id} finished`,
          ).toBeGreaterThanOrEqual(prev.finishedAt!.getTime());
        }
        // Updates queued before the deprovision succeed; so does the deprovision.
        for (const o of ops.slice(0, deprovisionAt + 1))
          expect(o.status, `${o.kind} ${o.id}`).toBe("succeeded");

        // The tenant went from its ordered configuration through each update queued before the deprovision, in
        // order, then was suspended, and stayed so. (While it suspends, the daemon stops the process before its
        // router says "suspended": a moment of 502 there is tolerated.)
        const rates = (p: unknown) =>
          (p as { reliability: { rateLimits: { graphql: number; filestream: number } } }).reliability
            .rateLimits;
        const states = seen
          .filter((s) => s.status !== 0)
          .map((s) => (s.status === 200 ? `${s.graphql}/${s.filestream}` : `${s.status} ${s.error ?? ""}`))
          .filter(
            (s, n, all) =>
              !(s === "502 bad_gateway" && all.slice(n).every((x) => x === s || x === "503 suspended")),
          )
          .filter((s, n, all) => n === 0 || s !== all[n - 1]);
        expect(states).toEqual([
          `${DEFAULT_RATE_LIMITS.graphql}/${DEFAULT_RATE_LIMITS.filestream}`,
          ...updatesBefore.map((o) => `${rates(o.params).graphql}/${rates(o.params).filestream}`),
          "503 suspended",
        ]);

        // Deleted, with its data kept for the retention period and the destroy scheduled at its end: an update
        // queued behind the deprovision must not bring the instance back.
        const after = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
        expect(
          {
            status: after.status,
            deleted: Boolean(after.deletedAt),
            retained: Boolean(after.retentionUntil),
          },
          `final state, with the operations queued as ${ours.map((o) => o.kind).join(", ")}`,
        ).toEqual({ status: "deleted", deleted: true, retained: true });
        expect(after.retentionUntil!.getTime()).toBeGreaterThan(Date.now() + 999 * 3600_000);
        const lastUpdate = updatesBefore.at(-1);
        if (deprovisionAt === ops.length - 1)
          expect((after.config as unknown as InstanceConfig).reliability.rateLimits).toEqual(
            lastUpdate ? rates(lastUpdate.params) : DEFAULT_RATE_LIMITS,
          );
        const destroy = await db().operation.findFirstOrThrow({ where: { instanceId, kind: "destroy" } });
        expect(destroy).toMatchObject({ status: "queued", attempts: 0 });
        expect(destroy.notBefore.getTime()).toBe(after.retentionUntil!.getTime());
        const view = await cloudInstance(slug);
        expect(view).toMatchObject({ status: "suspended", suspended: true, pid: null });
        expect(await tenantProcesses(prefix)).toEqual(new Map());
        expect(await w.stop(), w.output()).toEqual({ code: 0, signal: null });
      } finally {
        polling = false;
        await poller;
        await worker?.kill();
        await deleteCloudInstances(prefix, [slug]);
      }
    },
  );
});
