// Benchmark (not a test): the staff fleet health view at 10,000 instances. Builds a scratch fleet (~50 orgs, three
// clouds, several regions and versions, open alerts on some) in a scratch database that it drops at the end, then
// times fleetHealth.list through the tRPC caller (with the raw SQL's time beside it) and the fleet health page's
// server work (session context, me, orgs for the layout, summary and the first list page, as the page runs them).
// Usage: CP_MODE=development npx tsx scripts/bench/fleet-health.ts [--instances 10000] [--runs 200]
import { useScratchDatabase } from "./scratch-db";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const INSTANCES = arg("instances", 10_000);
const RUNS = arg("runs", 200);
const ORGS = 50;
/** Keep the scratch database afterwards (to look at query plans); the next run drops it first anyway. */
const KEEP = process.argv.includes("--keep");
const DB_NAME = "cp_bench_fleet_health";

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up: plans, connections, JIT of our own code
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: pct(ms, 50), p95: pct(ms, 95) };
}

const fmt = (t: { p50: number; p95: number }) => `p50 ${t.p50.toFixed(2)} ms  p95 ${t.p95.toFixed(2)} ms`;

async function main() {
  const scratch = await useScratchDatabase(DB_NAME, "redis://127.0.0.1:56379/3");

  try {
    const { db, Prisma } = await import("@cp/db");
    const { createCaller, createTrpcContext } = await import("@cp/api");
    const { fleetHealthListSql } = await import("@cp/services");

    // The scratch fleet.
    const t0 = performance.now();
    const orgs = Array.from({ length: ORGS }, (_, n) => ({
      id: `bench-org-${n}`,
      name: `Bench Org ${String(n).padStart(2, "0")}`,
      slug: `bench-org-${n}`,
      plan: "dedicated" as const,
      instanceQuota: 10_000,
    }));
    await db().organization.createMany({ data: orgs });
    const clouds = [
      { cloud: "aws" as const, regions: ["us-east-1", "eu-west-1", "ap-southeast-2"] },
      { cloud: "gcp" as const, regions: ["us-central1", "europe-west4"] },
      { cloud: "local" as const, regions: ["local"] },
    ];
    const versions = ["0.60.0", "0.61.0", "0.62.0", "0.63.0", "0.64.0"];
    const health = ["up", "up", "up", "up", "degraded", "down", "unknown"] as const;
    const rule = await db().alertRule.create({
      data: {
        key: "bench_db_cpu_high",
        name: "Database CPU high",
        metric: "db_cpu_percent",
        comparison: "gt",
        threshold: 80,
        resolveThreshold: 70,
        forSeconds: 300,
        severity: "critical",
        runbook: "https://runbooks.example.test/db-cpu",
      },
    });
    const rows = Array.from({ length: INSTANCES }, (_, n) => {
      const c = clouds[n % 3]!;
      const region = c.regions[Math.floor(n / 3) % c.regions.length]!;
      // ~1% critical, ~3% warning, ~4% info, the rest calm.
      const r = (n * 7919) % 100;
      const alertRank = r < 1 ? 3 : r < 4 ? 2 : r < 8 ? 1 : 0;
      return {
        id: `bench-inst-${n}`,
        orgId: orgs[n % ORGS]!.id,
        name: `bench ${n}`,
        slug: `bench-${String(n).padStart(5, "0")}`,
        cloud: c.cloud,
        region,
        size: "small",
        mysqlVersion: "8.0",
        storageMode: "provider" as const,
        status: n % 50 === 0 ? ("deleted" as const) : ("running" as const),
        deletedAt: n % 50 === 0 ? new Date() : null,
        version: versions[n % versions.length]!,
        healthStatus: alertRank === 3 ? ("down" as const) : health[n % health.length]!,
        healthCheckedAt: new Date(Date.now() - (n % 60) * 1000),
        alertRank,
        openAlerts: alertRank > 0 ? 1 : 0,
      };
    });
    for (let i = 0; i < rows.length; i += 2000) {
      await db().instance.createMany({ data: rows.slice(i, i + 2000) });
    }
    const alerting = rows.filter((r) => r.alertRank > 0 && !r.deletedAt);
    const severity = ["info", "info", "warning", "critical"] as const;
    await db().alert.createMany({
      data: alerting.map((r) => ({
        ruleId: rule.id,
        instanceId: r.id,
        orgId: r.orgId,
        state: r.alertRank === 3 ? ("firing" as const) : ("acknowledged" as const),
        severity: severity[r.alertRank]!,
        openKey: `${rule.id}:${r.id}`,
        value: 95,
        threshold: 80,
        pendingSince: new Date(Date.now() - 600_000),
        firedAt: new Date(Date.now() - 300_000),
        lastEvaluatedAt: new Date(),
      })),
    });
    await db().$executeRaw`ANALYZE`;
    const sre = await db().user.create({
      data: { email: "bench-sre@example.com", name: "Bench SRE", staffRole: "sre" },
    });
    console.log(
      `scratch fleet: ${INSTANCES} instances (${alerting.length} with open alerts) in ${ORGS} orgs, ` +
        `built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const ctx = await createTrpcContext({ userId: sre.id, ip: "127.0.0.1", userAgent: "bench" });
    const api = createCaller(ctx);
    const cases = [
      { label: "default (worst first, page 1)", filter: {}, sort: "worst" as const, page: 1 },
      {
        label: "gcp + warning, page 2 of 10",
        filter: { cloud: "gcp" as const, severity: "warning" as const },
        sort: "worst" as const,
        page: 2,
      },
      {
        label: "org + version, sorted by org",
        filter: { orgId: "bench-org-7", version: "0.63.0" },
        sort: "org" as const,
        page: 1,
      },
      { label: "search 'bench 12', page 3", filter: { q: "bench 12" }, sort: "worst" as const, page: 3 },
      { label: "deep page (worst, page 200)", filter: {}, sort: "worst" as const, page: 200 },
    ];
    console.log(`\nfleetHealth.list through the tRPC caller, ${RUNS} runs each (goal p95 < 20 ms):`);
    for (const c of cases) {
      const input = { ...c.filter, sort: c.sort, page: c.page, pageSize: 25 };
      const viaTrpc = await time(RUNS, () => api.fleetHealth.list(input));
      const sql = fleetHealthListSql(c.filter, { sort: c.sort, page: c.page, pageSize: 25 });
      const raw = await time(RUNS, () => Promise.all([db().$queryRaw(sql.page), db().$queryRaw(sql.total)]));
      const explain = await db().$queryRaw<{ "QUERY PLAN": [{ "Execution Time": number }] }[]>(
        Prisma.sql`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.page}`,
      );
      const serverMs = explain[0]?.["QUERY PLAN"][0]["Execution Time"] ?? NaN;
      console.log(
        `  ${c.label.padEnd(34)} tRPC ${fmt(viaTrpc)} | raw SQL (page + total) ${fmt(raw)} | ` +
          `page query in PostgreSQL ${serverMs.toFixed(2)} ms`,
      );
    }

    // The page's server work per request: a fresh context (the actor is read from the database on every request),
    // the layout's me + orgs, and the prefetched summary and first list page, concurrently as the page starts them.
    const pageTime = await time(RUNS, async () => {
      const c = createCaller(
        await createTrpcContext({ userId: sre.id, ip: "127.0.0.1", userAgent: "bench" }),
      );
      await Promise.all([
        c.me.get(),
        c.orgs.list({}),
        c.fleetHealth.summary({}),
        c.fleetHealth.list({ sort: "worst", page: 1, pageSize: 25 }),
      ]);
    });
    const summaryOnly = await time(RUNS, () => api.fleetHealth.summary({}));
    console.log(`\nfleetHealth.summary alone: ${fmt(summaryOnly)}`);
    console.log(
      `fleet health page server time (context + me + orgs + summary + list; goal p95 < 50 ms): ${fmt(pageTime)}`,
    );
  } finally {
    const { db } = await import("@cp/db");
    await db().$disconnect();
    if (!KEEP) {
      await scratch.drop();
      console.log("\nscratch database dropped");
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
