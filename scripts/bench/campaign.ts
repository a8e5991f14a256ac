// Benchmark (not a test): the control plane's own cost of a fleet upgrade campaign. 1,000 instance rows (no real
// processes), a campaign with gates, soak and windows off, run by the real campaign driver and operation runner
// in-process (BullMQ workers on the same Redis) with an engine whose steps do nothing. Prints the amortized wall time
// per instance, and in the same run the round trip of a bare BullMQ job, so the ratio is visible.
// Needs `bash scripts/services.sh up` (PostgreSQL and Redis). Uses its own database.
// The worker runs the operations queue at CP_OPERATION_CONCURRENCY (product default 4); --op-concurrency sets it
// for this run (and says so). --sql counts the SQL statements the campaign sends (all of them, by text).
// Usage: npx tsx scripts/bench/campaign.ts [--instances 1000] [--concurrent 100] [--jobs 200] [--op-concurrency 4]
//        [--sql]
import { randomUUID } from "node:crypto";
import { useScratchDatabase } from "./scratch-db";
import type { Engine, EngineOutputs, InstanceSpec } from "@cp/engine";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const INSTANCES = arg("instances", 1000);
const CONCURRENT = arg("concurrent", 100);
const JOBS = arg("jobs", 200);
const OP_CONCURRENCY = arg("op-concurrency", 4);
const DB_NAME = "cp_bench_campaign";
const REDIS_URL = "redis://127.0.0.1:56379/4";

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Does nothing and says so at once: what remains is the control plane's own work. Not selectable by the product. */
class NoopEngine implements Engine {
  readonly name = "bench-noop";
  async available() {
    return { ok: true as const };
  }
  async apply(spec: InstanceSpec): Promise<EngineOutputs> {
    return {
      url: `http://${spec.slug}.bench.invalid`,
      databaseEndpoint: "db.bench.invalid:3306",
      databaseName: `t_${spec.slug}`,
      bucket: `t-${spec.slug}`,
      version: spec.version,
    };
  }
  async suspend() {}
  async resume() {}
  async destroy() {}
  async refresh() {
    return { drifted: false, details: [] };
  }
  async outputs() {
    return null;
  }
  async cancel() {}
  async backup(): Promise<never> {
    throw new Error("the benchmark takes no backups");
  }
  async verifyBackup(): Promise<never> {
    throw new Error("the benchmark verifies no backups");
  }
  async restore(): Promise<never> {
    throw new Error("the benchmark restores nothing");
  }
  async deleteBackup() {}
}

async function main() {
  await useScratchDatabase(DB_NAME, REDIS_URL);
  // eslint-disable-next-line no-restricted-properties -- set before any package reads its configuration
  process.env.CP_OPERATION_CONCURRENCY = String(OP_CONCURRENCY);
  const { db } = await import("@cp/db");
  const { logger } = await import("@cp/config/logger");
  const { redis, closeQueues, closeSharedRedis, createRedis } = await import("@cp/jobs");
  const { createCampaign, startCampaign, createMailTransport } = await import("@cp/services");
  const { startWorkers } = await import("../../apps/worker/src/worker");
  const { Queue, QueueEvents, Worker } = await import("bullmq");
  await redis("producer").flushdb();
  const sqlCounts = new Map<string, { n: number; ms: number }>();
  let counting = false;
  if (process.argv.includes("--sql")) {
    const pg = (await import("pg")).default;
    const orig = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    (pg.Client.prototype as { query: unknown }).query = function (this: unknown, ...a: unknown[]) {
      const q = a[0] as string | { text: string };
      const text = (typeof q === "string" ? q : q.text).replace(/\s+/g, " ").slice(0, 110);
      const s0 = performance.now();
      const record = () => {
        if (!counting) return;
        const e = sqlCounts.get(text) ?? { n: 0, ms: 0 };
        e.n += 1;
        e.ms += performance.now() - s0;
        sqlCounts.set(text, e);
      };
      const cb = a.at(-1);
      if (typeof cb === "function")
        a[a.length - 1] = (...args: unknown[]) => {
          record();
          return (cb as (...x: unknown[]) => unknown)(...args);
        };
      const r = orig.apply(this, a);
      if (r instanceof Promise) void r.finally(record).catch(() => {});
      return r;
    };
  }

  const workers = startWorkers({
    deps: {
      mail: createMailTransport("log:"),
      engines: { local: new NoopEngine() },
      collectors: {},
      workerId: `bench:${process.pid}`,
    },
    log: logger(),
  });

  // The fleet: 1,000 running instances on 0.65.0 of one dedicated org, and the two releases.
  const org = await db().organization.create({
    data: {
      name: "Bench",
      slug: `bench-${randomUUID().slice(0, 6)}`,
      plan: "dedicated",
      instanceQuota: 100_000,
    },
  });
  const sre = await db().user.create({
    data: { email: `sre-${randomUUID().slice(0, 6)}@example.com`, staffRole: "sre" },
  });
  await db().release.createMany({
    data: [
      { version: "0.65.0", releasedAt: new Date("2026-01-06T00:00:00Z") },
      { version: "0.66.0", releasedAt: new Date("2026-01-20T00:00:00Z") },
    ],
  });
  const config = {
    cloud: "local",
    region: "local",
    size: "small",
    mysqlVersion: "8.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
    ipAllowlist: [],
  };
  await db().instance.createMany({
    data: Array.from({ length: INSTANCES }, (_, n) => {
      const slug = `bench-${String(n).padStart(5, "0")}`;
      return {
        orgId: org.id,
        name: slug,
        slug,
        cloud: "local" as const,
        region: "local",
        size: "small",
        mysqlVersion: "8.0",
        storageMode: "provider" as const,
        status: "running" as const,
        version: "0.65.0",
        url: `http://${slug}.bench.invalid`,
        config,
      };
    }),
  });
  const ctx = {
    actor: { userId: sre.id, email: sre.email, staffRole: "sre" as const, memberships: [] },
    ip: null,
    userAgent: "bench",
    requestId: "bench",
    log: logger(),
  };

  // 1. The campaign: canary, two waves, gates/soak/windows off; from start to completed.
  const t0 = performance.now();
  counting = true;
  const { id } = await createCampaign(ctx, {
    name: "bench",
    targetVersion: "0.66.0",
    selector: { orgIds: [org.id] },
    strategy: {
      canary: 10,
      waves: [{ percent: 50 }, { percent: 100 }],
      maxConcurrent: CONCURRENT,
      failureThreshold: 1,
    },
    gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
    urgent: true,
    urgentReason: "benchmark: windows are off",
  });
  const created = performance.now();
  await startCampaign(ctx, id);
  // Watched every 10 ms with one narrow statement (the watching must not cost the run much of the CPU it measures).
  let c: { status: string } | undefined;
  for (;;) {
    [c] = await db().$queryRaw<
      { status: string }[]
    >`SELECT status::text FROM "UpgradeCampaign" WHERE id = ${id}`;
    if (c?.status !== "running") break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const done = performance.now();
  counting = false;
  if (sqlCounts.size) {
    const rows = [...sqlCounts.entries()].sort((a, b) => b[1].n - a[1].n);
    const totalN = rows.reduce((t, [, v]) => t + v.n, 0);
    console.log(`SQL statements: ${totalN} (${(totalN / INSTANCES).toFixed(1)} per instance)`);
    for (const [text, v] of rows.slice(0, 40))
      console.log(`  ${String(v.n).padStart(6)} ${(v.ms / v.n).toFixed(2).padStart(7)} ms  ${text}`);
  }
  const counts = await db().campaignTarget.groupBy({
    by: ["status"],
    where: { campaignId: id },
    _count: true,
  });
  const upgraded = await db().instance.count({ where: { orgId: org.id, version: "0.66.0" } });
  const total = done - t0;
  const perInstance = total / INSTANCES;
  console.log(
    `campaign over ${INSTANCES} instances (canary 10, waves 50% and the rest, ${CONCURRENT} at once; no-op engine;` +
      ` one worker process, operations queue concurrency ${OP_CONCURRENCY}${OP_CONCURRENCY === 4 ? " (the default)" : "; the product default is 4 (CP_OPERATION_CONCURRENCY)"}):`,
  );
  console.log(
    `  status ${c?.status ?? "missing"}; targets ${counts.map((x) => `${x.status} ${x._count}`).join(", ")}; on 0.66.0: ${upgraded}`,
  );
  console.log(
    `  preview+create ${(created - t0).toFixed(0)} ms, start→completed ${(done - created).toFixed(0)} ms, total ${total.toFixed(0)} ms`,
  );
  console.log(`  amortized control-plane wall time per instance: ${perInstance.toFixed(2)} ms (goal < 5 ms)`);
  await workers.close();

  // 2. A bare BullMQ job on the same Redis: add, a worker processes it (does nothing), completed.
  const name = `bench-bare-${process.pid}`;
  const queue = new Queue(name, { connection: createRedis("producer") });
  const events = new QueueEvents(name, { connection: createRedis("worker") });
  await events.waitUntilReady();
  const bare = new Worker(name, async () => null, { connection: createRedis("worker"), concurrency: 1 });
  await bare.waitUntilReady();
  const trips: number[] = [];
  for (let n = 0; n < JOBS; n += 1) {
    const s = performance.now();
    const job = await queue.add("noop", {});
    await job.waitUntilFinished(events);
    trips.push(performance.now() - s);
  }
  trips.sort((a, b) => a - b);
  const p50 = pct(trips, 50);
  console.log(
    `bare BullMQ job round trip (enqueue→completed, ${JOBS} jobs one after another): p50 ${p50.toFixed(2)} ms, p99 ${pct(trips, 99).toFixed(2)} ms`,
  );
  console.log(
    `  ratio: one instance's amortized campaign cost = ${(perInstance / p50).toFixed(2)} × a bare job round trip`,
  );

  await bare.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
