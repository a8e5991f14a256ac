// Benchmark (not a test): order-to-running wall time on the local cloud, and operation pickup latency.
// Needs `bash scripts/services.sh up` (PostgreSQL, Redis, MariaDB, s3rver, local cloud). Uses its own database.
// Usage: npx tsx scripts/bench/provisioning.ts [--orders 5] [--pickups 200]
import { useScratchDatabase } from "./scratch-db";
import { randomUUID } from "node:crypto";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORDERS = arg("orders", 5);
const PICKUPS = arg("pickups", 200);
const DB_NAME = "cp_bench";

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function main() {
  await useScratchDatabase(DB_NAME, "redis://127.0.0.1:56379/3");

  const { db } = await import("@cp/db");
  const { logger } = await import("@cp/config/logger");
  const { env } = await import("@cp/config");
  const { LocalEngine } = await import("@cp/engine");
  const { orderInstance, createOperationTx, wakeOperation } = await import("@cp/services");
  const { redis, closeQueues, closeSharedRedis } = await import("@cp/jobs");
  const { startWorkers } = await import("../../apps/worker/src/worker");
  const { createMailTransport } = await import("@cp/services");
  await redis("producer").flushdb();

  const engine = new LocalEngine({ baseUrl: env().CP_LOCAL_CLOUD_URL! });
  const ready = await engine.available();
  if (!ready.ok) throw new Error(ready.reason);
  const workers = startWorkers({
    deps: {
      mail: createMailTransport("log:"),
      engines: { local: engine },
      // Provisioning only: no health polls competing with the operations measured.
      collectors: {},
      workerId: `bench:${process.pid}`,
    },
    log: logger(),
  });

  const org = await db().organization.create({
    data: {
      name: "Bench",
      slug: `bench-${randomUUID().slice(0, 6)}`,
      plan: "dedicated",
      instanceQuota: 1000,
    },
  });
  const user = await db().user.create({ data: { email: `bench-${randomUUID().slice(0, 6)}@example.com` } });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  const ctx = {
    actor: {
      userId: user.id,
      email: user.email,
      staffRole: "none" as const,
      memberships: [{ orgId: org.id, role: "admin" as const }],
    },
    ip: null,
    userAgent: "bench",
    requestId: "bench",
    log: logger(),
  };

  // 1. Order to running.
  const walls: number[] = [];
  const slugs: string[] = [];
  for (let n = 0; n < ORDERS; n++) {
    const sub = `bench-${Date.now().toString(36)}-${n}`;
    slugs.push(sub);
    const t0 = performance.now();
    const r = await orderInstance(ctx, {
      orgId: org.id,
      idempotencyKey: randomUUID(),
      order: {
        cloud: "local",
        region: "local",
        size: "small",
        mysqlVersion: "8.0",
        storage: { mode: "provider" },
        sso: { mode: "provider" },
        reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
        name: sub,
        subdomain: sub,
        ipAllowlist: [],
      },
    });
    for (;;) {
      const i = await db().instance.findUniqueOrThrow({
        where: { id: r.instanceId },
        select: { status: true, statusReason: true },
      });
      if (i.status === "running") break;
      if (i.status === "failed") throw new Error(`provision failed: ${i.statusReason}`);
      await new Promise((res) => setTimeout(res, 10));
    }
    walls.push(performance.now() - t0);
  }
  const w = [...walls].sort((a, b) => a - b);
  console.log(`order-to-running on the local cloud (${ORDERS} orders, one after another):`);
  console.log(`  each (ms): ${walls.map((x) => x.toFixed(0)).join(", ")}`);
  console.log(`  median ${pct(w, 50).toFixed(0)} ms, max ${w.at(-1)!.toFixed(0)} ms (goal < 10000 ms)`);

  // 2. Pickup latency: from the operation's commit to a worker claiming it. Destroying an unknown slug is a no-op
  // for the local cloud, so this measures the queue and the claim, not the cloud.
  const latencies: number[] = [];
  for (let n = 0; n < PICKUPS; n++) {
    const inst = await db().instance.create({
      data: {
        orgId: org.id,
        name: `pickup-${n}`,
        slug: `pickup-${Date.now().toString(36)}-${n}`,
        cloud: "local",
        region: "local",
        size: "small",
        mysqlVersion: "8.0",
        storageMode: "provider",
        status: "deleted",
      },
    });
    const op = await createOperationTx(db(), { instanceId: inst.id, kind: "destroy" });
    const committed = Date.now();
    await wakeOperation(op.id);
    for (;;) {
      const o = await db().operation.findUniqueOrThrow({ where: { id: op.id }, select: { startedAt: true } });
      if (o.startedAt) {
        latencies.push(o.startedAt.getTime() - committed);
        break;
      }
      await new Promise((res) => setTimeout(res, 2));
    }
  }
  const l = [...latencies].sort((a, b) => a - b);
  console.log(
    `job pickup latency (${PICKUPS} operations): p50 ${pct(l, 50)} ms, p99 ${pct(l, 99)} ms, max ${l.at(-1)} ms (goal p99 < 100 ms)`,
  );

  for (const slug of slugs)
    await fetch(`${env().CP_LOCAL_CLOUD_URL}/v1/instances/${slug}`, { method: "DELETE" });
  await workers.close();
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
