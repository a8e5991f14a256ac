// Benchmark (not a test): metric ingest at 10,000 instances x 10 metrics. Creates a scratch org with 10,000
// instances in the configured database, then times rounds of 100,000 samples (one poll of the whole fleet) through
// insertSamples, and beside it the same rows as plain batched inserts into an equally indexed scratch table (the
// ceiling of this PostgreSQL), and one round through Prisma's raw query for comparison with the pg pool. Everything
// it created is removed at the end.
// Usage: CP_MODE=development npx tsx scripts/bench/metrics-ingest.ts [--instances 10000] [--rounds 5]
import { randomBytes } from "node:crypto";
import { METRIC_NAMES, type MetricName } from "@cp/core";
import { closePgPool, db, pgPool } from "@cp/db";
import { clearSeriesCache, insertSamples, type SampleRow } from "@cp/services";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const INSTANCES = arg("instances", 10_000);
const ROUNDS = arg("rounds", 5);
const METRICS = METRIC_NAMES.slice(0, 10) as MetricName[];
const BATCH = 20_000;
const POLL_MS = 30_000;

const rate = (rows: number, ms: number) => Math.round((rows / ms) * 1000);
const fmt = (n: number) => n.toLocaleString("en-US");

function round(ids: string[], n: number, base: number): SampleRow[] {
  const rows: SampleRow[] = [];
  for (const instanceId of ids) {
    // Polls are spread over the interval: each instance has its own phase.
    const ts = new Date(base + n * POLL_MS + (rows.length % POLL_MS));
    for (const metric of METRICS) rows.push({ instanceId, metric, ts, value: Math.random() * 100 });
  }
  return rows;
}

async function main() {
  const tag = randomBytes(3).toString("hex");
  const pool = pgPool();
  const scratchTable = `bench_metric_samples_${tag}`;
  const org = await db().organization.create({
    data: {
      name: `Bench metrics ${tag}`,
      slug: `bench-metrics-${tag}`,
      plan: "dedicated",
      instanceQuota: INSTANCES,
    },
  });
  const ids = Array.from({ length: INSTANCES }, (_, n) => `bench-m-${tag}-${n}`);
  try {
    const t0 = performance.now();
    for (let i = 0; i < ids.length; i += 2000) {
      await db().instance.createMany({
        data: ids.slice(i, i + 2000).map((id, k) => ({
          id,
          orgId: org.id,
          name: `bench ${i + k}`,
          slug: `bench-m-${tag}-${i + k}`,
          cloud: "local" as const,
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storageMode: "provider" as const,
          status: "running" as const,
        })),
      });
    }
    console.log(`scratch org: ${fmt(INSTANCES)} instances in ${(performance.now() - t0).toFixed(0)} ms`);

    await pool.query(
      `CREATE TABLE ${scratchTable} (series_id int NOT NULL, ts timestamptz(3) NOT NULL, value float8 NOT NULL,
         PRIMARY KEY (series_id, ts))`,
    );
    await pool.query(`CREATE INDEX ON ${scratchTable} USING brin (ts)`);

    const base = Date.UTC(2020, 0, 1);
    // Round 0 creates the 100,000 series (a one-off per instance and metric); it is timed on its own.
    clearSeriesCache();
    let t = performance.now();
    const first = round(ids, 0, base);
    await insertSamples(first);
    const firstMs = performance.now() - t;
    console.log(
      `insertSamples, first round (creates ${fmt(first.length)} series): ${fmt(rate(first.length, firstMs))} samples/s`,
    );

    const series = await pool.query<{ id: number }>(
      `SELECT id FROM "MetricSeries" WHERE "instanceId" = ANY($1) ORDER BY id`,
      [ids],
    );
    const seriesIds = series.rows.map((r) => r.id);

    let serviceRows = 0;
    let serviceMs = 0;
    let rawRows = 0;
    let rawMs = 0;
    for (let n = 1; n <= ROUNDS; n += 1) {
      const rows = round(ids, n, base);
      t = performance.now();
      const inserted = await insertSamples(rows);
      const ms = performance.now() - t;
      serviceRows += inserted;
      serviceMs += ms;

      // The same number of rows, plain: series ids known, times as timestamptz, batched unnest inserts.
      const ts = new Date(base + n * POLL_MS);
      t = performance.now();
      for (let i = 0; i < rows.length; i += BATCH) {
        const s: number[] = [];
        const tt: Date[] = [];
        const v: number[] = [];
        for (let k = i; k < Math.min(rows.length, i + BATCH); k += 1) {
          s.push(seriesIds[k % seriesIds.length]!);
          tt.push(ts);
          v.push(rows[k]!.value);
        }
        const r = await pool.query(
          `INSERT INTO ${scratchTable} (series_id, ts, value)
           SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::float8[]) ON CONFLICT DO NOTHING`,
          [s, tt, v],
        );
        rawRows += r.rowCount ?? 0;
      }
      const rms = performance.now() - t;
      rawMs += rms;
      console.log(
        `round ${n}: insertSamples ${fmt(rate(inserted, ms))} samples/s (${ms.toFixed(0)} ms)   raw PostgreSQL ${fmt(rate(rows.length, rms))} rows/s (${rms.toFixed(0)} ms)`,
      );
    }

    // Prisma's raw query with the same statement, for the record (why insertSamples uses the pg pool).
    const rows = round(ids, ROUNDS + 1, base);
    t = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      const slice = rows.slice(i, i + BATCH);
      await db().$executeRawUnsafe(
        `INSERT INTO ${scratchTable} (series_id, ts, value)
         SELECT s, to_timestamp(t / 1000.0), v FROM unnest($1::int[], $2::float8[], $3::float8[]) AS u(s, t, v)
         ON CONFLICT DO NOTHING`,
        slice.map((_, k) => seriesIds[(i + k) % seriesIds.length]!),
        slice.map((r) => r.ts.getTime() + 1),
        slice.map((r) => r.value),
      );
    }
    const prismaMs = performance.now() - t;

    console.log("");
    console.log(
      `insertSamples:           ${fmt(rate(serviceRows, serviceMs))} samples/s over ${ROUNDS} rounds of ${fmt(INSTANCES * METRICS.length)}`,
    );
    console.log(`raw PostgreSQL (pg):     ${fmt(rate(rawRows, rawMs))} rows/s`);
    console.log(
      `Prisma $executeRawUnsafe: ${fmt(rate(rows.length, prismaMs))} rows/s (one round, same statement)`,
    );
  } finally {
    const t = performance.now();
    await pool.query(`DROP TABLE IF EXISTS ${scratchTable}`);
    await pool.query(
      `DELETE FROM metric_samples WHERE series_id IN (SELECT id FROM "MetricSeries" WHERE "instanceId" = ANY($1))`,
      [ids],
    );
    await pool.query(
      `DELETE FROM metric_rollups WHERE series_id IN (SELECT id FROM "MetricSeries" WHERE "instanceId" = ANY($1))`,
      [ids],
    );
    // Series and monitor rows go with their instances (cascade).
    await db().instance.deleteMany({ where: { orgId: org.id } });
    await db().organization.delete({ where: { id: org.id } });
    console.log(`cleaned up in ${(performance.now() - t).toFixed(0)} ms`);
    await closePgPool();
    await db().$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
