// Demo health history for the seeded fleet records: two days of samples of every metric (daily cycles, one short
// outage, one instance whose database CPU climbs past the alert threshold), rolled up like real samples, the default
// alert rules, and alerts as the evaluator would have left them (one firing, one resolved earlier). The fleet records
// have no cloud resources, so no collector samples them and the evaluator leaves these alerts as they are.
import { METRIC_NAMES, storageQuotaBytes, type MetricName } from "@cp/core";
import { db } from "@cp/db";
import {
  ensureDefaultAlertRules,
  insertSamples,
  maintainMetrics,
  updateAlertRanks,
  type SampleRow,
} from "@cp/services";

const STEP_MS = 5 * 60_000;
const HOURS = 44;
/** The demo instance whose database is overloaded now. */
const HOT = "globex-prod-01";

function wave(t: number, phase: number): number {
  // A daily cycle peaking mid-afternoon UTC, plus a little noise that is stable per timestamp.
  const day = Math.sin(((t / 3_600_000 + phase) / 24) * 2 * Math.PI);
  const noise = Math.sin(t / 97_000 + phase * 13) * 0.15;
  return 0.5 + 0.35 * day + noise;
}

function values(t: number, now: number, index: number, size: string, hot: boolean, outage: boolean) {
  const w = wave(t, index * 1.7);
  const quota = storageQuotaBytes(size) ?? 500 * 1024 ** 3;
  const storage = quota * (0.2 + index * 0.02) + ((t - (now - HOURS * 3_600_000)) / 3_600_000) * 2e8;
  const climbing = hot && now - t < 50 * 60_000;
  const v: Record<MetricName, number> = {
    health_up: outage ? 0 : 1,
    db_cpu_percent: climbing ? 82 + w * 10 : 18 + w * 30,
    latency_p95_ms: (climbing ? 900 : 180) + w * 120,
    error_rate_percent: Math.max(0, 0.2 + (w - 0.5) * 0.4),
    request_rate: 40 + w * 120,
    storage_bytes: storage,
    storage_percent: (storage / quota) * 100,
    process_cpu_percent: 12 + w * 35,
    memory_bytes: (1.2 + w * 0.6) * 1024 ** 3,
    bucket_checks_ok: 1,
  };
  return v;
}

export async function seedHealthDemo(now = Date.now()): Promise<void> {
  await ensureDefaultAlertRules();
  const instances = await db().instance.findMany({
    where: { status: { in: ["running", "updating"] }, statusReason: { startsWith: "Demo record" } },
    select: { id: true, slug: true, orgId: true, size: true, storageMode: true },
    orderBy: { slug: "asc" },
  });
  const seeded = await db().metricSeries.findMany({
    where: { instanceId: { in: instances.map((i) => i.id) } },
    select: { instanceId: true },
    distinct: ["instanceId"],
  });
  const done = new Set(seeded.map((s) => s.instanceId));
  const start = Math.floor((now - HOURS * 3_600_000) / STEP_MS) * STEP_MS;
  for (const [index, inst] of instances.entries()) {
    if (done.has(inst.id)) continue;
    const rows: SampleRow[] = [];
    // One 15-minute outage on every fifth instance, a day ago.
    const outageAt = index % 5 === 0 ? now - 24 * 3_600_000 : null;
    for (let t = start; t <= now; t += STEP_MS) {
      const outage = outageAt !== null && t >= outageAt && t < outageAt + 15 * 60_000;
      const v = values(t, now, index, inst.size, inst.slug === HOT, outage);
      for (const metric of METRIC_NAMES) {
        if (metric === "bucket_checks_ok" && inst.storageMode !== "byob") continue;
        rows.push({ instanceId: inst.id, metric, ts: new Date(t), value: v[metric] });
      }
    }
    await insertSamples(rows);
  }
  await maintainMetrics(new Date(now));

  const hot = instances.find((i) => i.slug === HOT);
  const rule = await db().alertRule.findUnique({ where: { key: "database_cpu_high" } });
  if (!hot || !rule || (await db().alert.count({ where: { instanceId: hot.id } })) > 0) return;
  await db().$transaction(async (tx) => {
    await tx.alert.createMany({
      data: [
        {
          ruleId: rule.id,
          instanceId: hot.id,
          orgId: hot.orgId,
          state: "resolved",
          severity: rule.severity,
          value: 55,
          threshold: rule.threshold,
          pendingSince: new Date(now - 26 * 3_600_000),
          firedAt: new Date(now - 26 * 3_600_000 + rule.forSeconds * 1000),
          resolvedAt: new Date(now - 25 * 3_600_000),
          notifiedAt: new Date(now - 26 * 3_600_000 + rule.forSeconds * 1000),
          lastEvaluatedAt: new Date(now - 25 * 3_600_000),
        },
        {
          ruleId: rule.id,
          instanceId: hot.id,
          orgId: hot.orgId,
          state: "firing",
          severity: rule.severity,
          openKey: `${rule.id}:${hot.id}`,
          value: 88.4,
          threshold: rule.threshold,
          pendingSince: new Date(now - 45 * 60_000),
          firedAt: new Date(now - 45 * 60_000 + rule.forSeconds * 1000),
          notifiedAt: new Date(now - 45 * 60_000 + rule.forSeconds * 1000),
          lastEvaluatedAt: new Date(now),
        },
      ],
    });
    await updateAlertRanks(tx, [hot.id]);
  });
}
