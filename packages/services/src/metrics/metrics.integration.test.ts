// Metric storage, the poll, maintenance and the bucket re-check against the real PostgreSQL of the run (and the
// local s3rver for the bucket). Collectors are scripted here; the real local collector against a running tenant
// service is covered by apps/worker's health test. Times are fixed dates in the past, each test its own days, so
// rollup watermarks of other tests (and of real-time runs in other files) do not interfere.
import { randomUUID } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  PutBucketCorsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { resetEnvCache } from "@cp/config";
import { encryptSecret } from "@cp/connectors";
import type { MetricName } from "@cp/core";
import { closePgPool, db, pgPool } from "@cp/db";
import type { CollectResult, CollectTarget, MetricsCollector } from "@cp/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recheckDueBuckets } from "./bucket-recheck";
import { maintainMetrics } from "./maintain";
import { nextPollSlot, pollDueInstances, pollPhaseMs } from "./poll";
import { ensureSeriesIds, insertSamples, monthlyUptime, readSeries, type SampleRow } from "./samples";

/* eslint-disable no-restricted-properties -- the test allowlists the local s3rver for the bucket checks */
beforeAll(() => {
  process.env.CP_ALLOWED_PRIVATE_HOSTS = "127.0.0.1";
  resetEnvCache();
});
afterAll(() => closePgPool());

const S3_ENDPOINT = "http://127.0.0.1:59000";
const MIN = 60_000;
const HOUR = 3600_000;

async function setup(
  count: number,
  opts: { cloud?: "local" | "gcp"; status?: "running" | "stopped"; storage?: "provider" | "byob" } = {},
) {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Mt ${suffix}`, slug: `mt-${suffix}`, plan: "dedicated", instanceQuota: 100 },
  });
  const instances = [];
  for (let n = 0; n < count; n += 1) {
    instances.push(
      await db().instance.create({
        data: {
          orgId: org.id,
          name: `m${n}-${suffix}`,
          slug: `m${n}-${suffix}`,
          cloud: opts.cloud ?? "local",
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storageMode: opts.storage ?? "provider",
          status: opts.status ?? "running",
          url: `http://127.0.0.1:1/m${n}-${suffix}`,
          outputs: {
            url: `http://127.0.0.1:1/m${n}-${suffix}`,
            databaseEndpoint: "127.0.0.1:3306",
            databaseName: "t",
            bucket: "b",
            version: "0.64.0",
          },
        },
      }),
    );
  }
  return { org, instances, suffix };
}

async function samplesOf(instanceId: string, metric: MetricName) {
  const r = await pgPool().query<{ ts: Date; value: number }>(
    `SELECT s.ts, s.value FROM metric_samples s JOIN "MetricSeries" m ON m.id = s.series_id
     WHERE m."instanceId" = $1 AND m.metric = $2 ORDER BY s.ts`,
    [instanceId, metric],
  );
  return r.rows.map((x) => ({ t: x.ts.getTime(), v: x.value }));
}

async function rollupsOf(instanceId: string, metric: MetricName, resolution: number) {
  const r = await pgPool().query<{ bucket: Date; min: number; max: number; sum: number; count: number }>(
    `SELECT r.bucket, r.min, r.max, r.sum, r.count FROM metric_rollups r JOIN "MetricSeries" m ON m.id = r.series_id
     WHERE m."instanceId" = $1 AND m.metric = $2 AND r.resolution = $3 ORDER BY r.bucket`,
    [instanceId, metric, resolution],
  );
  return r.rows.map((x) => ({ t: x.bucket.getTime(), min: x.min, max: x.max, sum: x.sum, count: x.count }));
}

/** Samples every `everyMs` over [from, to) with value f(t). */
function series(
  instanceId: string,
  metric: MetricName,
  from: number,
  to: number,
  everyMs: number,
  f: (t: number) => number,
) {
  const rows: SampleRow[] = [];
  for (let t = from; t < to; t += everyMs) rows.push({ instanceId, metric, ts: new Date(t), value: f(t) });
  return rows;
}

describe("insertSamples", () => {
  it("creates series once, keeps the first sample of a series and time, and drops what cannot be stored", async () => {
    const { instances } = await setup(2);
    const [a, b] = instances.map((i) => i.id) as [string, string];
    const ts = new Date("2021-01-01T00:00:00Z");
    const inserted = await insertSamples([
      { instanceId: a, metric: "health_up", ts, value: 1 },
      { instanceId: a, metric: "health_up", ts, value: 0 },
      { instanceId: a, metric: "memory_bytes", ts, value: 123 },
      { instanceId: b, metric: "health_up", ts, value: 1 },
      { instanceId: a, metric: "latency_p95_ms", ts, value: Number.NaN },
      { instanceId: a, metric: "request_rate", ts, value: Infinity },
      { instanceId: "no-such-instance", metric: "health_up", ts, value: 1 },
    ]);
    expect(inserted).toBe(3);
    expect(await samplesOf(a, "health_up")).toEqual([{ t: ts.getTime(), v: 1 }]);
    expect(await insertSamples([{ instanceId: a, metric: "health_up", ts, value: 0 }])).toBe(0);
    const seriesRows = await db().metricSeries.findMany({ where: { instanceId: { in: [a, b] } } });
    expect(seriesRows.map((s) => `${s.instanceId === a ? "a" : "b"}:${s.metric}`).sort()).toEqual([
      "a:health_up",
      "a:memory_bytes",
      "b:health_up",
    ]);
    const ids = await ensureSeriesIds([[a, "health_up"]]);
    expect([...ids.values()]).toEqual([
      seriesRows.find((s) => s.instanceId === a && s.metric === "health_up")!.id,
    ]);
  });

  it("stores a large batch in several statements with millisecond times", async () => {
    const { instances } = await setup(1);
    const id = instances[0]!.id;
    const from = Date.parse("2021-01-02T00:00:00.123Z");
    const rows = series(id, "request_rate", from, from + 45_000 * 1000, 1000, (t) => (t - from) / 1000);
    expect(await insertSamples(rows)).toBe(45_000);
    const stored = await samplesOf(id, "request_rate");
    expect(stored).toHaveLength(45_000);
    expect(stored[0]).toEqual({ t: from, v: 0 });
    expect(stored.at(-1)).toEqual({ t: from + 44_999_000, v: 44_999 });
  });
});

/** A scripted collector: answers per instance, records what it was given. */
class ScriptedCollector implements MetricsCollector {
  targets: CollectTarget[] = [];
  constructor(private readonly answer: (t: CollectTarget) => Omit<CollectResult, "at"> | Error) {}
  async collect(target: CollectTarget): Promise<CollectResult> {
    this.targets.push(target);
    const a = this.answer(target);
    if (a instanceof Error) throw a;
    return { ...a, at: new Date() };
  }
}

describe("pollDueInstances", () => {
  const interval = 30_000;

  it("spreads first polls over the interval, claims due instances once, and keeps each one's phase", async () => {
    const { instances } = await setup(6);
    const ids = instances.map((i) => i.id);
    const collector = new ScriptedCollector(() => ({
      health: "up",
      values: { health_up: 1, memory_bytes: 5 },
      state: { n: 1 },
    }));
    const now = new Date("2021-02-01T00:00:00Z");
    // The first call creates the rows at each instance's next slot: nothing is due yet unless its slot is now.
    await pollDueInstances({ local: collector }, { now, intervalMs: interval, instanceIds: ids });
    const states = await db().monitorState.findMany({ where: { instanceId: { in: ids } } });
    expect(states).toHaveLength(6);
    for (const s of states) {
      expect(s.nextPollAt.getTime() % interval).toBe(pollPhaseMs(s.instanceId, interval));
      expect(s.nextPollAt.getTime()).toBeGreaterThanOrEqual(now.getTime());
      expect(s.nextPollAt.getTime()).toBeLessThan(now.getTime() + interval);
    }
    expect(new Set(states.map((s) => s.nextPollAt.getTime())).size).toBeGreaterThan(1);

    // One interval later all are due; two replicas polling at once poll each instance exactly once.
    collector.targets = [];
    const later = new Date(now.getTime() + interval);
    const [r1, r2] = await Promise.all([
      pollDueInstances(
        { local: collector },
        { now: later, intervalMs: interval, instanceIds: ids, limit: 4 },
      ),
      pollDueInstances(
        { local: collector },
        { now: later, intervalMs: interval, instanceIds: ids, limit: 4 },
      ),
    ]);
    const again = await pollDueInstances(
      { local: collector },
      { now: later, intervalMs: interval, instanceIds: ids },
    );
    expect(r1.polled + r2.polled + again.polled).toBe(6);
    expect(again.polled).toBeLessThanOrEqual(6 - Math.min(4, r1.polled + r2.polled));
    expect(collector.targets.map((t) => t.instanceId).sort()).toEqual([...ids].sort());
    expect(
      await pollDueInstances({ local: collector }, { now: later, intervalMs: interval, instanceIds: ids }),
    ).toEqual({ polled: 0, up: 0, down: 0, failed: 0 });
    for (const s of await db().monitorState.findMany({ where: { instanceId: { in: ids } } })) {
      expect(s.nextPollAt.getTime()).toBe(nextPollSlot(s.instanceId, later, interval).getTime());
      expect(s.lastCounters).toEqual({ n: 1 });
      expect(s.consecutiveFailures).toBe(0);
    }
    for (const id of ids) expect((await samplesOf(id, "memory_bytes")).map((s) => s.v)).toEqual([5]);
  });

  it("records health, errors, state and samples; a collector that throws does not stop the batch", async () => {
    const { instances } = await setup(3);
    const [up, down, broken] = instances.map((i) => i.id) as [string, string, string];
    const collector = new ScriptedCollector((t) => {
      if (t.instanceId === broken) return new Error("SDK exploded");
      if (t.instanceId === down) {
        return {
          health: "down",
          healthDetail: "healthz answered 503: database: gone",
          values: { health_up: 0 },
          state: null,
        };
      }
      return {
        health: "up",
        values: { health_up: 1, request_rate: 2.5, latency_p95_ms: 40 },
        state: { at: 1, seen: (t.previous as { seen?: number } | null)?.seen ?? 0 },
      };
    });
    const ids = [up, down, broken];
    await db().monitorState.createMany({
      data: ids.map((instanceId) => ({ instanceId, nextPollAt: new Date("2021-02-05T00:00:00Z") })),
    });
    await db().monitorState.update({ where: { instanceId: broken }, data: { lastCounters: { keep: true } } });
    const now = new Date("2021-02-05T00:00:10Z");
    const summary = await pollDueInstances(
      { local: collector },
      { now, intervalMs: interval, instanceIds: ids },
    );
    expect(summary).toEqual({ polled: 3, up: 1, down: 1, failed: 1 });

    const state = async (id: string) => db().monitorState.findUniqueOrThrow({ where: { instanceId: id } });
    const inst = async (id: string) => db().instance.findUniqueOrThrow({ where: { id } });
    expect(await state(up)).toMatchObject({
      lastError: null,
      consecutiveFailures: 0,
      lastCounters: { at: 1, seen: 0 },
    });
    expect((await state(up)).lastPolledAt).not.toBeNull();
    expect(await inst(up)).toMatchObject({ healthStatus: "up" });
    expect((await inst(up)).healthCheckedAt).not.toBeNull();
    expect(await state(down)).toMatchObject({
      lastError: "healthz answered 503: database: gone",
      consecutiveFailures: 1,
      lastCounters: null,
    });
    expect(await inst(down)).toMatchObject({ healthStatus: "down" });
    expect(await state(broken)).toMatchObject({
      lastError: "collector failed: SDK exploded",
      consecutiveFailures: 1,
      lastCounters: { keep: true },
    });
    // A broken collector says nothing about the instance.
    expect(await inst(broken)).toMatchObject({ healthStatus: "unknown", healthCheckedAt: null });
    expect((await samplesOf(up, "request_rate")).map((s) => s.v)).toEqual([2.5]);
    expect((await samplesOf(down, "health_up")).map((s) => s.v)).toEqual([0]);
    expect(await samplesOf(broken, "health_up")).toEqual([]);

    // The next poll hands the state back and counts failures on.
    const next = new Date(now.getTime() + interval);
    await pollDueInstances({ local: collector }, { now: next, intervalMs: interval, instanceIds: ids });
    expect(collector.targets.filter((t) => t.instanceId === up).at(-1)?.previous).toEqual({ at: 1, seen: 0 });
    expect(collector.targets.filter((t) => t.instanceId === broken).at(-1)?.previous).toEqual({ keep: true });
    expect((await state(down)).consecutiveFailures).toBe(2);
    expect((await state(broken)).consecutiveFailures).toBe(2);
  });

  it("passes over instances without a collector here and those no longer monitored", async () => {
    const { instances: gcp } = await setup(1, { cloud: "gcp" });
    const { instances: stopped } = await setup(1, { status: "stopped" });
    const { instances: local } = await setup(1);
    const ids = [gcp[0]!.id, stopped[0]!.id, local[0]!.id];
    await db().monitorState.createMany({
      data: ids.map((instanceId) => ({ instanceId, nextPollAt: new Date("2021-02-06T00:00:00Z") })),
    });
    const collector = new ScriptedCollector(() => ({ health: "up", values: { health_up: 1 }, state: null }));
    const now = new Date("2021-02-06T00:00:01Z");
    const summary = await pollDueInstances(
      { local: collector },
      { now, intervalMs: interval, instanceIds: ids },
    );
    expect(summary).toEqual({ polled: 1, up: 1, down: 0, failed: 0 });
    expect(collector.targets.map((t) => t.instanceId)).toEqual([local[0]!.id]);
    const gcpState = await db().monitorState.findUniqueOrThrow({ where: { instanceId: gcp[0]!.id } });
    expect(gcpState.lastPolledAt).toBeNull();
    // Its slot moved on all the same, so it does not clog the due list.
    expect(gcpState.nextPollAt.getTime()).toBeGreaterThan(now.getTime());
    expect((await db().instance.findUniqueOrThrow({ where: { id: gcp[0]!.id } })).healthStatus).toBe(
      "unknown",
    );
  });
});

describe("maintainMetrics, readSeries and monthlyUptime", () => {
  it("rolls complete buckets up idempotently, refreshes baselines and keeps raw samples until rolled up", async () => {
    const { instances } = await setup(1);
    const id = instances[0]!.id;
    const start = Date.parse("2021-03-01T00:00:00Z");
    // 26 hours of latency samples every 30 s: value = minute of the hour.
    await insertSamples(
      series(id, "latency_p95_ms", start, start + 26 * HOUR, 30_000, (t) => Math.floor((t % HOUR) / MIN)),
    );
    const now = new Date(start + 26 * HOUR + 30_000);

    const first = await maintainMetrics(now);
    expect(first.partial).toBe(false);
    const fives = await rollupsOf(id, "latency_p95_ms", 300);
    // 26 h = 312 buckets; the last one ended 30 s ago, within the grace: not yet rolled.
    expect(fives).toHaveLength(311);
    expect(fives[0]).toEqual({ t: start, min: 0, max: 4, sum: 2 * (0 + 1 + 2 + 3 + 4), count: 10 });
    const hours = await rollupsOf(id, "latency_p95_ms", 3600);
    expect(hours).toHaveLength(25);
    expect(hours[0]).toEqual({ t: start, min: 0, max: 59, sum: 2 * ((59 * 60) / 2), count: 120 });

    const series_ = await db().metricSeries.findFirstOrThrow({
      where: { instanceId: id, metric: "latency_p95_ms" },
    });
    expect(series_.baseline).toBeCloseTo(29.5);
    expect(series_.baselineAt?.getTime()).toBe(now.getTime());

    // Raw retention is 48 h: nothing is old enough yet.
    expect(await samplesOf(id, "latency_p95_ms")).toHaveLength(26 * 120);

    // Running again changes nothing (and rolls the newest bucket again, for late samples).
    const second = await maintainMetrics(now);
    expect(await rollupsOf(id, "latency_p95_ms", 300)).toEqual(fives);
    expect(await rollupsOf(id, "latency_p95_ms", 3600)).toEqual(hours);
    expect(second.baselines).toBe(0);

    // 30 hours later: the first 8 hours are past raw retention (48 h) and rolled up, so they go.
    const afterRetention = new Date(start + 56 * HOUR);
    await maintainMetrics(afterRetention);
    const left = await samplesOf(id, "latency_p95_ms");
    expect(left[0]!.t).toBe(start + 8 * HOUR);
    expect(left).toHaveLength(18 * 120);
    expect(await rollupsOf(id, "latency_p95_ms", 300)).toHaveLength(312);
  });

  it("does not remove raw samples that are not rolled up, and removes rollups past their retention", async () => {
    const { instances } = await setup(1);
    const id = instances[0]!.id;
    const start = Date.parse("2021-05-01T00:00:00Z");
    await insertSamples(series(id, "memory_bytes", start, start + HOUR, 60_000, () => 7));
    // Within the time budget of nothing, no rollups are made: the samples must survive retention.
    const late = new Date(start + 60 * HOUR);
    const partial = await maintainMetrics(late, { budgetMs: -1 });
    expect(partial.partial).toBe(true);
    expect(await samplesOf(id, "memory_bytes")).toHaveLength(60);

    // 5-minute rollups are kept 35 days, hourly ones 400.
    const [seriesId] = [...(await ensureSeriesIds([[id, "memory_bytes"]])).values()];
    const old = new Date(start - 40 * 86400_000);
    await pgPool().query(
      `INSERT INTO metric_rollups (series_id, resolution, bucket, min, max, sum, count)
       VALUES ($1, 300, $2, 1, 1, 1, 1), ($1, 3600, $2, 1, 1, 1, 1)`,
      [seriesId, old],
    );
    await maintainMetrics(new Date(start + 2 * HOUR));
    const resolutions = await pgPool().query<{ resolution: number }>(
      `SELECT resolution FROM metric_rollups WHERE series_id = $1 AND bucket = $2`,
      [seriesId, old],
    );
    expect(resolutions.rows.map((r) => r.resolution)).toEqual([3600]);
  });

  it("reads charts from raw samples or rollups (with the newest raw samples), a bounded number of points", async () => {
    const { instances } = await setup(1);
    const id = instances[0]!.id;
    const start = Date.parse("2021-07-01T00:00:00Z");
    await insertSamples([
      ...series(id, "request_rate", start, start + 8 * HOUR, 30_000, (t) => ((t - start) / 30_000) % 2),
      ...series(id, "health_up", start, start + 8 * HOUR, 30_000, () => 1),
    ]);
    const rolledAt = new Date(start + 6 * HOUR + 2 * MIN);
    await maintainMetrics(rolledAt);
    const now = new Date(start + 8 * HOUR);

    const hour = await readSeries(id, "1h", now);
    expect(hour.request_rate).toHaveLength(120);
    expect(hour.request_rate[0]).toEqual({ t: start + 7 * HOUR, v: 0 });
    expect(hour.request_rate[1]).toEqual({ t: start + 7 * HOUR + 30_000, v: 1 });
    expect(hour.db_cpu_percent).toEqual([]);

    const six = await readSeries(id, "6h", now);
    expect(six.request_rate.length).toBeLessThanOrEqual(720);
    expect(six.request_rate.length).toBeGreaterThan(600);

    // 24 h reads 5-minute rollups up to 6 h, then raw samples for the last 2 h: no gap, no double count.
    const day = await readSeries(id, "24h", now);
    const points = day.request_rate;
    expect(points).toHaveLength(96);
    expect(points[0]).toEqual({ t: start, v: 0.5, min: 0, max: 1 });
    expect(points.every((p, i) => p.t === start + i * 5 * MIN)).toBe(true);
    expect(points.every((p) => p.v === 0.5)).toBe(true);
    expect(day.health_up.every((p) => p.v === 1)).toBe(true);

    const week = await readSeries(id, "7d", now);
    expect(week.request_rate.length).toBeLessThanOrEqual(720);
    expect(week.request_rate[0]).toMatchObject({ t: start, v: 0.5 });
  });

  it("computes monthly uptime from hourly rollups and the raw samples after them, without counting twice", async () => {
    const { instances } = await setup(1);
    const id = instances[0]!.id;
    // End of September and the beginning of October: 3 h down (of 24) in September, all up in October so far.
    const sept = Date.parse("2021-09-30T00:00:00Z");
    await insertSamples(
      series(id, "health_up", sept, sept + 24 * HOUR, 60_000, (t) => (t < sept + 3 * HOUR ? 0 : 1)),
    );
    const oct = sept + 24 * HOUR;
    await insertSamples(series(id, "health_up", oct, oct + 5 * HOUR, 60_000, () => 1));
    const now = new Date(oct + 5 * HOUR);
    const before = await monthlyUptime(id, 3, now);
    await maintainMetrics(new Date(oct + 3 * HOUR + 5 * MIN));
    const after = await monthlyUptime(id, 3, now);
    expect(after).toEqual(before);
    expect(after).toEqual([
      { month: "2021-08", uptimePercent: null, samples: 0 },
      { month: "2021-09", uptimePercent: (21 / 24) * 100, samples: 24 * 60 },
      { month: "2021-10", uptimePercent: 100, samples: 5 * 60 },
    ]);
  });
});

describe("recheckDueBuckets", () => {
  it("re-checks a customer bucket with the ordering checks, writing bucket_checks_ok and the items", async () => {
    const { instances, suffix } = await setup(1, { storage: "byob" });
    const instance = instances[0]!;
    const bucket = `recheck-${suffix}`;
    const s3 = new S3Client({
      endpoint: S3_ENDPOINT,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedMethods: ["GET", "HEAD", "PUT"],
              AllowedOrigins: ["*"],
              AllowedHeaders: ["*"],
              ExposeHeaders: ["ETag"],
            },
          ],
        },
      }),
    );
    await db().instance.update({
      where: { id: instance.id },
      data: {
        config: {
          cloud: "local",
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storage: {
            mode: "byob",
            bucket,
            region: "us-east-1",
            endpoint: S3_ENDPOINT,
            access: { kind: "keys", accessKeyId: "S3RVER" },
          },
          sso: { mode: "provider" },
          reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
          ipAllowlist: [],
        },
        secrets: {
          create: {
            name: "storage.secretAccessKey",
            ciphertext: encryptSecret("S3RVER", { associatedData: `${instance.id}:storage.secretAccessKey` }),
          },
        },
      },
    });
    const now = new Date("2021-11-01T00:00:00Z");
    // First sight: the order's checks just ran, so the first re-check is scheduled within the period.
    expect(await recheckDueBuckets(now, { instanceIds: [instance.id] })).toEqual({
      checked: 0,
      passed: 0,
      failed: 0,
      errors: 0,
    });
    const scheduled = await db().monitorState.findUniqueOrThrow({ where: { instanceId: instance.id } });
    expect(scheduled.bucketCheckDueAt!.getTime()).toBeGreaterThanOrEqual(now.getTime());
    expect(scheduled.bucketCheckDueAt!.getTime()).toBeLessThan(now.getTime() + 24 * HOUR);

    const due = scheduled.bucketCheckDueAt!;
    expect(await recheckDueBuckets(due, { instanceIds: [instance.id] })).toEqual({
      checked: 1,
      passed: 1,
      failed: 0,
      errors: 0,
    });
    const passed = await db().monitorState.findUniqueOrThrow({ where: { instanceId: instance.id } });
    expect(passed.bucketCheckedAt?.getTime()).toBe(due.getTime());
    expect(passed.bucketCheckDueAt?.getTime()).toBe(due.getTime() + 24 * HOUR);
    const check = passed.bucketCheck as { ok: boolean; items: { id: string; status: string }[] };
    expect(check.ok).toBe(true);
    expect(check.items.find((i) => i.id === "cors")?.status).toBe("passed");
    expect(await samplesOf(instance.id, "bucket_checks_ok")).toEqual([{ t: due.getTime(), v: 1 }]);
    // Not due again until the next day.
    expect((await recheckDueBuckets(due, { instanceIds: [instance.id] })).checked).toBe(0);

    // The customer removed the CORS rule: the next day's check fails.
    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    const nextDay = new Date(due.getTime() + 24 * HOUR);
    expect(await recheckDueBuckets(nextDay, { instanceIds: [instance.id] })).toMatchObject({
      checked: 1,
      failed: 1,
    });
    const failedState = await db().monitorState.findUniqueOrThrow({ where: { instanceId: instance.id } });
    const failedCheck = failedState.bucketCheck as { ok: boolean; items: { id: string; status: string }[] };
    expect(failedCheck.ok).toBe(false);
    expect(failedCheck.items.find((i) => i.id === "cors")?.status).toBe("failed");
    expect((await samplesOf(instance.id, "bucket_checks_ok")).map((s) => s.v)).toEqual([1, 0]);
    const audits = await db().auditEvent.findMany({
      where: { targetId: instance.id, action: "instance.recheck_bucket" },
    });
    expect(audits).toHaveLength(2);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  });
});
