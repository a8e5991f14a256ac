// Benchmark (not a test): one evaluation cycle of the threshold rules over 10,000 instances x 10 metrics. Builds a
// scratch fleet (one scratch org, its admin and two SREs) in a scratch database that it drops at the end, writes
// each round's samples with a plain unnest INSERT, and times evaluateAlerts through a quiet fleet, an alert storm
// (thousands of alerts going pending, firing and notifying), the storm holding, and the recovery.
// Usage: CP_MODE=development npx tsx scripts/bench/alerts-evaluate.ts [--instances 10000] [--history 20]
import { METRIC_NAMES, type MetricName } from "@cp/core";
import { useScratchDatabase } from "./scratch-db";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const INSTANCES = arg("instances", 10_000);
/** Samples per series written before the first round (30 s apart). */
const HISTORY = arg("history", 20);
const KEEP = process.argv.includes("--keep");
const DB_NAME = "cp_bench_alerts";
// A Redis database of its own: the storm queues thousands of outbox deliveries, flushed at the end.
const REDIS_URL = "redis://127.0.0.1:56379/7";

const METRICS = METRIC_NAMES;
type Metric = MetricName;

/** Healthy values, with a little noise so consecutive samples differ. */
function healthy(metric: Metric, n: number, k: number): number {
  const wobble = ((n * 7 + k * 13) % 10) / 10;
  switch (metric) {
    case "health_up":
    case "bucket_checks_ok":
      return 1;
    case "db_cpu_percent":
      return 20 + 10 * wobble;
    case "latency_p95_ms":
      return 120 + 50 * wobble;
    case "error_rate_percent":
      return 0.2 * wobble;
    case "request_rate":
      return 40 + 5 * wobble;
    case "storage_bytes":
      return 30 * 1024 ** 3;
    case "storage_percent":
      return 30;
    case "process_cpu_percent":
      return 15 + 5 * wobble;
    case "memory_bytes":
      return 1.5 * 1024 ** 3;
  }
}

/** The storm: a quarter of the fleet with a hot database, a tenth down, three in ten with a broken bucket. */
function stormy(metric: Metric, n: number, k: number): number {
  if (metric === "db_cpu_percent" && n % 4 === 0) return 92;
  if (metric === "health_up" && n % 10 === 1) return 0;
  if (metric === "bucket_checks_ok" && n % 10 >= 7) return 0;
  return healthy(metric, n, k);
}

async function main() {
  const scratch = await useScratchDatabase(DB_NAME, REDIS_URL);

  const { db, pgPool, closePgPool } = await import("@cp/db");
  const { redis, closeQueues, closeSharedRedis } = await import("@cp/jobs");
  try {
    const { ensureDefaultAlertRules, evaluateAlerts } = await import("@cp/services");
    const pool = pgPool();

    // The scratch fleet: one org, its admin, two SREs, INSTANCES running instances with a series per metric.
    const setupStart = performance.now();
    const org = await db().organization.create({
      data: { id: "bench-alerts-org", name: "Bench Alerts", slug: "bench-alerts", plan: "dedicated" },
    });
    const admin = await db().user.create({ data: { email: "admin@bench-alerts.example" } });
    await db().membership.create({ data: { orgId: org.id, userId: admin.id, role: "admin" } });
    for (const n of [1, 2]) {
      await db().user.create({ data: { email: `sre${n}@provider.example`, staffRole: "sre" } });
    }
    await pool.query(
      `INSERT INTO "Instance" (id, "orgId", name, slug, cloud, region, size, "mysqlVersion", "storageMode", status,
                               "updatedAt")
       SELECT 'bench-i-' || g, $1, 'bench-' || g, 'bench-' || g, 'aws', 'us-east-1', 'recommended', '8.0',
              'provider', 'running', now()
         FROM generate_series(0, $2 - 1) g`,
      [org.id, INSTANCES],
    );
    await pool.query(
      `INSERT INTO "MetricSeries" ("instanceId", metric)
       SELECT 'bench-i-' || g, m FROM generate_series(0, $1 - 1) g, unnest($2::text[]) m`,
      [INSTANCES, METRICS],
    );
    const series = (
      await pool.query<{ id: number; instanceId: string; metric: Metric }>(
        `SELECT id, "instanceId", metric FROM "MetricSeries"`,
      )
    ).rows.map((s) => ({ ...s, n: Number(s.instanceId.slice("bench-i-".length)) }));
    await ensureDefaultAlertRules();

    const T0 = Date.now() - 3_600_000;
    /** One sample per series at T0 + k x 30 s (plain unnest INSERT, in chunks of 100,000 rows). */
    async function writeRound(
      k: number,
      at: number,
      value: (metric: Metric, n: number, k: number) => number,
    ) {
      const chunk = 100_000;
      for (let i = 0; i < series.length; i += chunk) {
        const part = series.slice(i, i + chunk);
        await pool.query(
          `INSERT INTO metric_samples (series_id, ts, value)
           SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::float8[])`,
          [part.map((s) => s.id), part.map(() => new Date(at)), part.map((s) => value(s.metric, s.n, k))],
        );
      }
    }
    for (let k = 0; k < HISTORY; k++) await writeRound(k, T0 + k * 30_000, healthy);
    await pool.query("ANALYZE");
    console.log(
      `scratch fleet: ${INSTANCES} instances, ${series.length} series, ${series.length * HISTORY} samples ` +
        `(${((performance.now() - setupStart) / 1000).toFixed(1)} s)\n`,
    );

    const rounds: { label: string; offset: number; value: typeof healthy }[] = [
      { label: "quiet fleet", offset: 0, value: healthy },
      { label: "quiet fleet", offset: 30, value: healthy },
      { label: "quiet fleet", offset: 60, value: healthy },
      { label: "storm onset: pending + for-0 rules fire", offset: 90, value: stormy },
      { label: "storm: for-durations elapse, fire", offset: 690, value: stormy },
      { label: "storm holds (values refresh)", offset: 720, value: stormy },
      { label: "storm holds (values refresh)", offset: 750, value: stormy },
      { label: "recovery: everything resolves", offset: 780, value: healthy },
      { label: "quiet fleet", offset: 810, value: healthy },
      { label: "quiet fleet", offset: 840, value: healthy },
    ];
    const start = T0 + HISTORY * 30_000;
    const times: number[] = [];
    console.log("round  cycle ms  evaluated  pending  fired  resolved  notified  what");
    for (const [k, r] of rounds.entries()) {
      const at = start + r.offset * 1000;
      await writeRound(HISTORY + k, at, r.value);
      const t = performance.now();
      const res = await evaluateAlerts(new Date(at + 1000));
      const ms = performance.now() - t;
      if (r.value === healthy && r.label === "quiet fleet") times.push(ms);
      console.log(
        `${String(k + 1).padStart(5)}  ${ms.toFixed(0).padStart(8)}  ${String(res.evaluated).padStart(9)}  ` +
          `${String(res.pending).padStart(7)}  ${String(res.fired).padStart(5)}  ${String(res.resolved).padStart(8)}  ` +
          `${String(res.notified).padStart(8)}  ${r.label}${res.skipped ? " (skipped!)" : ""}`,
      );
    }
    const outbox = await db().outboxMessage.groupBy({ by: ["channel"], _count: true });
    console.log(`\noutbox rows written: ${outbox.map((o) => `${o.channel} ${o._count}`).join(", ")}`);
    const sorted = times.sort((a, b) => a - b);
    console.log(
      `quiet-fleet cycle (goal < 1000 ms): median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, ` +
        `worst ${sorted[sorted.length - 1]!.toFixed(0)} ms`,
    );
  } finally {
    await db().$disconnect();
    await closePgPool();
    await redis("producer").flushdb();
    await closeQueues();
    await closeSharedRedis();
    if (!KEEP) {
      await scratch.drop();
      console.log("scratch database dropped, bench Redis database flushed");
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
