// One evaluation cycle of the threshold rules over the fleet (the worker's alertsEvaluate job, every
// CP_ALERT_EVAL_MS). Reads are a handful of set queries (the latest fresh sample of every monitored series through
// a lateral join, all rules, overrides, open alerts and active silences); the rules are evaluated in memory by the
// pure evaluator in @cp/core; the transitions are written in one transaction of batched statements. The bulk reads
// go through the plain pg pool (Prisma's result decoding doubles their cost at 60,000 rows), and the SQL ships only
// the samples that can change something (scripts/bench/alerts-evaluate.ts: ~0.3 s per cycle at 10,000 instances).
//
// Two workers may run a cycle at once: a session advisory lock lets one of them through and the other returns at
// once ("skipped"). Every write is conditional on the state it was decided from as well (insert on the open-alert
// key, updates guarded by the state read, notifiedAt set only while null), so a cycle that raced anyway, or a
// retried one, never fires, resolves or notifies twice; notifications also carry dedupe keys.
import { randomUUID } from "node:crypto";
import { env } from "@cp/config";
import {
  ALERT_SEVERITY_RANK,
  effectiveAlertRule,
  evaluateAlertRule,
  findSilence,
  metricMaxAgeMs,
  type AlertEvaluation,
  type AlertSeverityName,
  type OpenAlertStateName,
} from "@cp/core";
import { db, pgPool, Prisma } from "@cp/db";
import { MONITORED_STATUSES } from "../metrics/poll";
import { dispatchOutbox } from "../outbox/outbox";
import { notifyAlerts, type AlertNotice } from "./alert-notifications";

type Tx = Prisma.TransactionClient;

// pg_try_advisory_lock key of the evaluation cycle (any constant unique to this use; "alerts" in ASCII).
const CYCLE_LOCK = 0x616c65727473;

export interface EvaluateAlertsResult {
  /** Rule x instance pairs evaluated. */
  evaluated: number;
  /** Alerts that started pending in this cycle. */
  pending: number;
  fired: number;
  resolved: number;
  /** Alerts whose firing or resolved notification went out in this cycle. */
  notified: number;
  /** Another worker was running a cycle: this one did nothing. */
  skipped: boolean;
}

interface SampleRow {
  instanceId: string;
  orgId: string;
  metric: string;
  baseline: number | null;
  value: number;
  ts: Date;
}

interface OpenAlertRow {
  id: string;
  ruleId: string;
  instanceId: string;
  orgId: string;
  state: OpenAlertStateName;
  severity: AlertSeverityName;
  pendingSince: Date;
  notified: boolean;
  value: number;
  /** The instance was deprovisioned: its alerts close. */
  removed: boolean;
}

const iso = (d: Date) => d.toISOString();
/** A timestamp for the (UTC, without time zone) DateTime columns Prisma maps. */
const utc = (d: Date) => Prisma.sql`(${iso(d)}::timestamptz AT TIME ZONE 'UTC')`;

type Query = (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }>;

/**
 * The open alerts, and the latest fresh sample of every monitored series that can matter: one that breaches an
 * enabled rule's fleet threshold (a baseline only raises a threshold), or one of an instance with an override or
 * an open alert. Any other sample leaves the evaluator with nothing to do, so it is counted but not shipped.
 */
async function readFleet(client: { query: Query }, now: Date, rules: RuleRow[], overrides: OverrideRow[]) {
  const cfg = { healthPollMs: env().CP_HEALTH_POLL_MS, bucketRecheckHours: env().CP_BUCKET_RECHECK_HOURS };
  const open = (
    await client.query(
      `SELECT a.id, a."ruleId" AS "ruleId", a."instanceId" AS "instanceId", a."orgId" AS "orgId",
              a.state::text AS state, a.severity::text AS severity,
              a."pendingSince" AT TIME ZONE 'UTC' AS "pendingSince", a."notifiedAt" IS NOT NULL AS notified,
              a.value, (i."deletedAt" IS NOT NULL OR i.status IN ('deleting', 'deleted')) AS removed
         FROM "Alert" a JOIN "Instance" i ON i.id = a."instanceId"
        WHERE a."openKey" IS NOT NULL`,
      [],
    )
  ).rows as OpenAlertRow[];
  const special = [...new Set([...open.map((a) => a.instanceId), ...overrides.map((o) => o.instanceId)])];
  const enabled = rules.filter((r) => r.enabled);
  const pollFrom = new Date(now.getTime() - metricMaxAgeMs("db_cpu_percent", cfg));
  const bucketFrom = new Date(now.getTime() - metricMaxAgeMs("bucket_checks_ok", cfg));
  // The latest sample at or before `now`, if fresh: one index probe per series on (series_id, ts).
  const rows = (
    await client.query(
      `WITH latest AS MATERIALIZED (
         SELECT s."instanceId" AS "instanceId", i."orgId" AS "orgId", s.metric, s.baseline, l.value, l.ts
           FROM "Instance" i
           JOIN "MetricSeries" s ON s."instanceId" = i.id
           JOIN LATERAL (
             SELECT m.value, m.ts FROM metric_samples m
              WHERE m.series_id = s.id AND m.ts <= $1
                AND m.ts >= CASE WHEN s.metric = 'bucket_checks_ok' THEN $2::timestamptz ELSE $3::timestamptz END
              ORDER BY m.ts DESC LIMIT 1) l ON true
          WHERE i.status::text = ANY($4) AND i."deletedAt" IS NULL AND s.metric = ANY($5))
       SELECT l.*, NULL::bigint AS total FROM latest l
        WHERE l."instanceId" = ANY($6)
           OR EXISTS (SELECT 1 FROM unnest($7::text[], $8::text[], $9::float8[]) AS r(metric, cmp, threshold)
                       WHERE r.metric = l.metric
                         AND ((r.cmp = 'gt' AND l.value > r.threshold) OR (r.cmp = 'lt' AND l.value < r.threshold)))
       UNION ALL
       SELECT NULL, NULL, metric, NULL, NULL, NULL, count(*) FROM latest GROUP BY metric`,
      [
        now,
        bucketFrom,
        pollFrom,
        MONITORED_STATUSES,
        [...new Set(rules.map((r) => r.metric))],
        special,
        enabled.map((r) => r.metric),
        enabled.map((r) => r.comparison),
        enabled.map((r) => r.threshold),
      ],
    )
  ).rows as (SampleRow & { total: string | null })[];
  const rulesPerMetric = new Map<string, number>();
  for (const r of rules) rulesPerMetric.set(r.metric, (rulesPerMetric.get(r.metric) ?? 0) + 1);
  let freshPairs = 0;
  for (const r of rows)
    if (r.total !== null) freshPairs += Number(r.total) * (rulesPerMetric.get(r.metric) ?? 0);
  return { samples: rows.filter((r) => r.total === null), open, freshPairs };
}

interface Decision {
  ruleId: string;
  instanceId: string;
  orgId: string;
  alert: OpenAlertRow | null;
  e: AlertEvaluation;
  /** A deprovisioned instance: its alert closes whatever the evaluator says. */
  removed: boolean;
}

/** Runs one evaluation cycle at `now` (injectable, so tests and benchmarks pick the time). */
export async function evaluateAlerts(now: Date = new Date()): Promise<EvaluateAlertsResult> {
  const result: EvaluateAlertsResult = {
    evaluated: 0,
    pending: 0,
    fired: 0,
    resolved: 0,
    notified: 0,
    skipped: false,
  };
  const client = await pgPool().connect();
  let locked = false;
  let toDispatch: string[] = [];
  try {
    const lock = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [CYCLE_LOCK]);
    locked = lock.rows[0]?.ok === true;
    if (!locked) return { ...result, skipped: true };

    const [rules, overrides, silences] = await Promise.all([
      db().alertRule.findMany(),
      db().alertRuleOverride.findMany(),
      db().alertSilence.findMany({
        where: { cancelledAt: null, startsAt: { lte: now }, expiresAt: { gt: now } },
      }),
    ]);
    if (rules.length === 0) return result;
    const fleet = await readFleet(client, now, rules, overrides);
    const decisions = decide(now, rules, overrides, fleet);
    // Every fresh series counts as evaluated against its rules, the ones the SQL found nothing to do for included.
    result.evaluated = fleet.freshPairs + decisions.withoutSample;

    const written = await db().$transaction(
      (tx) => writeCycle(tx, now, { decisions: decisions.list, open: fleet.open, rules, silences }),
      {
        timeout: 120_000,
        maxWait: 10_000,
      },
    );
    Object.assign(result, written.counts);
    toDispatch = written.dispatch;
  } finally {
    // A connection that could not give the lock back is destroyed, not pooled (its session would keep the lock).
    const unlocked = locked
      ? await client.query("SELECT pg_advisory_unlock($1)", [CYCLE_LOCK]).then(
          () => true,
          () => false,
        )
      : true;
    client.release(!unlocked);
  }
  // After commit: wake the outbox worker, a few streams at once (a storm can queue thousands of messages).
  const streams = 32;
  const size = Math.ceil(toDispatch.length / streams);
  await Promise.all(
    Array.from({ length: streams }, (_, k) => dispatchOutbox(toDispatch.slice(k * size, (k + 1) * size))),
  );
  return result;
}

type RuleRow = Prisma.AlertRuleGetPayload<object>;
type OverrideRow = Prisma.AlertRuleOverrideGetPayload<object>;
type SilenceRow = Prisma.AlertSilenceGetPayload<object>;

function decide(
  now: Date,
  rules: RuleRow[],
  overrides: OverrideRow[],
  fleet: { samples: SampleRow[]; open: OpenAlertRow[] },
): { withoutSample: number; list: Decision[] } {
  const cfg = { healthPollMs: env().CP_HEALTH_POLL_MS, bucketRecheckHours: env().CP_BUCKET_RECHECK_HOURS };
  const rulesByMetric = new Map<string, RuleRow[]>();
  for (const r of rules) rulesByMetric.set(r.metric, [...(rulesByMetric.get(r.metric) ?? []), r]);
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const overrideOf = new Map(overrides.map((o) => [`${o.ruleId}:${o.instanceId}`, o]));
  const openOf = new Map(fleet.open.map((a) => [`${a.ruleId}:${a.instanceId}`, a]));
  const list: Decision[] = [];
  let withoutSample = 0;
  const seen = new Set<string>();

  const evaluate = (
    rule: RuleRow,
    target: { instanceId: string; orgId: string },
    sample: SampleRow | null,
    alert: OpenAlertRow | null,
  ) => {
    if (!sample) withoutSample++;
    const e = evaluateAlertRule({
      rule: effectiveAlertRule(rule, overrideOf.get(`${rule.id}:${target.instanceId}`)),
      alert: alert ? { state: alert.state, pendingSince: alert.pendingSince } : null,
      sample: sample ? { value: sample.value, ts: sample.ts } : null,
      baseline: sample?.baseline ?? null,
      now,
      maxAgeMs: metricMaxAgeMs(rule.metric, cfg),
      sampleJitterMs: cfg.healthPollMs / 2,
    });
    const removed = alert?.removed ?? false;
    if (e.transition !== "none" || removed || (alert && e.value !== null && e.value !== alert.value)) {
      list.push({ ruleId: rule.id, ...target, alert, e, removed });
    }
  };

  for (const s of fleet.samples) {
    for (const rule of rulesByMetric.get(s.metric) ?? []) {
      const key = `${rule.id}:${s.instanceId}`;
      seen.add(key);
      evaluate(rule, s, s, openOf.get(key) ?? null);
    }
  }
  // Open alerts without a fresh sample (the instance stopped reporting or is no longer monitored).
  for (const a of fleet.open) {
    const rule = ruleById.get(a.ruleId);
    if (!rule || seen.has(`${a.ruleId}:${a.instanceId}`)) continue;
    evaluate(rule, a, null, a);
  }
  return { withoutSample, list };
}

async function writeCycle(
  tx: Tx,
  now: Date,
  input: { decisions: Decision[]; open: OpenAlertRow[]; rules: RuleRow[]; silences: SilenceRow[] },
) {
  const { decisions, open, rules, silences } = input;
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const counts = { pending: 0, fired: 0, resolved: 0, notified: 0 };
  const rankChanged = new Set<string>();

  // 1. New alerts: pending, or firing at once (for-duration 0). The open key makes a second insert a no-op.
  const creates = decisions.filter(
    (d) => !d.alert && !d.removed && (d.e.transition === "pending" || d.e.transition === "fire"),
  );
  const created = new Map<string, string>();
  if (creates.length) {
    const rows = await tx.$queryRaw<{ id: string; openKey: string; state: string }[]>`
      INSERT INTO "Alert" (id, "ruleId", "instanceId", "orgId", state, severity, "openKey", value, threshold,
                           "pendingSince", "firedAt", "lastEvaluatedAt", "createdAt", "updatedAt")
      SELECT u.id, u.rule_id, u.instance_id, u.org_id, u.state::"AlertState", u.severity::"AlertSeverity",
             u.rule_id || ':' || u.instance_id, u.value, u.threshold, u.pending_since AT TIME ZONE 'UTC',
             CASE WHEN u.state = 'firing' THEN ${utc(now)} END, ${utc(now)}, ${utc(now)}, ${utc(now)}
        FROM unnest(${creates.map(() => randomUUID())}::text[], ${creates.map((d) => d.ruleId)}::text[],
                    ${creates.map((d) => d.instanceId)}::text[], ${creates.map((d) => d.orgId)}::text[],
                    ${creates.map((d) => (d.e.transition === "fire" ? "firing" : "pending"))}::text[],
                    ${creates.map((d) => ruleById.get(d.ruleId)!.severity)}::text[],
                    ${creates.map((d) => d.e.value ?? 0)}::float8[], ${creates.map((d) => d.e.threshold)}::float8[],
                    ${creates.map((d) => iso((d.e as { pendingSince: Date }).pendingSince))}::timestamptz[])
             AS u(id, rule_id, instance_id, org_id, state, severity, value, threshold, pending_since)
      ON CONFLICT ("openKey") DO NOTHING
      RETURNING id, "openKey", state::text AS state`;
    for (const r of rows) {
      created.set(r.openKey, r.id);
      if (r.state === "firing") counts.fired++;
      else counts.pending++;
    }
  }

  // 2. Pending alerts whose condition held for the for-duration.
  const promotes = decisions.filter((d) => d.alert && !d.removed && d.e.transition === "fire");
  const promoted = promotes.length
    ? await tx.$queryRaw<{ id: string }[]>`
        UPDATE "Alert" a SET state = 'firing', "firedAt" = ${utc(now)}, value = u.value, threshold = u.threshold,
               "lastEvaluatedAt" = ${utc(now)}, "updatedAt" = ${utc(now)}
          FROM unnest(${promotes.map((d) => d.alert!.id)}::text[], ${promotes.map((d) => d.e.value ?? 0)}::float8[],
                      ${promotes.map((d) => d.e.threshold)}::float8[]) AS u(id, value, threshold)
         WHERE a.id = u.id AND a.state = 'pending'
        RETURNING a.id`
    : [];
  counts.fired += promoted.length;

  // 3. Pending alerts that never fired go away; firing ones past the resolve threshold (or closed) resolve.
  const cancels = decisions.filter(
    (d) => d.alert?.state === "pending" && (d.e.transition === "cancel" || d.removed),
  );
  if (cancels.length) {
    await tx.alert.deleteMany({ where: { id: { in: cancels.map((d) => d.alert!.id) }, state: "pending" } });
  }
  const resolves = decisions.filter(
    (d) => d.alert && d.alert.state !== "pending" && (d.e.transition === "resolve" || d.removed),
  );
  const resolved = resolves.length
    ? await tx.$queryRaw<{ id: string; notified: boolean }[]>`
        UPDATE "Alert" a SET state = 'resolved', "openKey" = NULL, "resolvedAt" = ${utc(now)},
               value = COALESCE(u.value, a.value), "lastEvaluatedAt" = ${utc(now)}, "updatedAt" = ${utc(now)}
          FROM unnest(${resolves.map((d) => d.alert!.id)}::text[], ${resolves.map((d) => d.e.value)}::float8[])
               AS u(id, value)
         WHERE a.id = u.id AND a.state IN ('firing', 'acknowledged')
        RETURNING a.id, a."notifiedAt" IS NOT NULL AS notified`
    : [];
  counts.resolved = resolved.length;

  // 4. The latest value of open alerts that did not change state (what the console shows beside the threshold).
  const refresh = decisions.filter(
    (d) => d.alert && !d.removed && d.e.transition === "none" && d.e.value !== null,
  );
  if (refresh.length) {
    await tx.$executeRaw`
      UPDATE "Alert" a SET value = u.value, "lastEvaluatedAt" = ${utc(now)}, "updatedAt" = ${utc(now)}
        FROM unnest(${refresh.map((d) => d.alert!.id)}::text[], ${refresh.map((d) => d.e.value)}::float8[])
             AS u(id, value)
       WHERE a.id = u.id AND a."openKey" IS NOT NULL`;
  }

  // 5. Firing notifications: alerts firing now, not yet notified, not silenced (a silence that ended lets the
  // notification of a still-firing alert out). notifiedAt is set only while null: one cycle wins.
  const byId = new Map<string, Decision>();
  for (const d of decisions) {
    const id = d.alert?.id ?? created.get(`${d.ruleId}:${d.instanceId}`);
    if (id) byId.set(id, d);
  }
  const resolvedIds = new Set(resolved.map((r) => r.id));
  const targets = new Map<string, { ruleId: string; instanceId: string }>();
  for (const d of creates) {
    const id = created.get(`${d.ruleId}:${d.instanceId}`);
    if (id && d.e.transition === "fire") targets.set(id, d);
  }
  for (const r of promoted) targets.set(r.id, byId.get(r.id)!);
  for (const t of targets.values()) rankChanged.add(t.instanceId);
  for (const a of open) {
    if (a.state === "firing" && !a.notified && !a.removed && !resolvedIds.has(a.id)) targets.set(a.id, a);
  }
  const toNotify = [...targets].filter(([, t]) => !findSilence(silences, t, now)).map(([id]) => id);
  const notifyFiring = toNotify.length
    ? await tx.$queryRaw<{ id: string }[]>`
        UPDATE "Alert" SET "notifiedAt" = ${utc(now)}
         WHERE id = ANY(${toNotify}::text[]) AND state = 'firing' AND "notifiedAt" IS NULL
        RETURNING id`
    : [];

  // 6. Resolved notifications go to whoever heard it fire (silenced or not: nobody is left thinking it still
  // fires). Alerts closed because the instance was deprovisioned end quietly.
  const notifyResolved = resolved.filter((r) => r.notified && !byId.get(r.id)?.removed).map((r) => r.id);

  for (const r of resolved) rankChanged.add(byId.get(r.id)!.instanceId);
  if (rankChanged.size) await updateAlertRanks(tx, [...rankChanged]);

  const notices: AlertNotice[] = [
    ...notifyFiring.map((r) => ({ alertId: r.id, kind: "firing" as const })),
    ...notifyResolved.map((id) => ({
      alertId: id,
      kind: "resolved" as const,
      reason: (byId.get(id)?.e as { reason?: string } | undefined)?.reason ?? "recovered",
    })),
  ];
  const sent = notices.length ? await notifyAlerts(tx, notices, now) : { dispatch: [] };
  counts.notified = notices.length;
  return { counts, dispatch: sent.dispatch };
}

/** Instance.alertRank (worst open alert) and openAlerts, recomputed for the instances whose open alerts changed. */
export async function updateAlertRanks(tx: Tx, instanceIds: string[]): Promise<void> {
  const rank = Prisma.sql`CASE severity WHEN 'critical' THEN ${ALERT_SEVERITY_RANK.critical}
    WHEN 'warning' THEN ${ALERT_SEVERITY_RANK.warning} ELSE ${ALERT_SEVERITY_RANK.info} END`;
  // One aggregate over the instances' open alerts, then one update of the rows whose numbers changed.
  await tx.$executeRaw`
    WITH t AS (SELECT DISTINCT unnest(${instanceIds}::text[]) AS id),
         agg AS (SELECT a."instanceId" AS id, max(${rank})::int AS rank, count(*)::int AS n
                   FROM "Alert" a
                  WHERE a."instanceId" = ANY(${instanceIds}::text[]) AND a.state IN ('firing', 'acknowledged')
                  GROUP BY a."instanceId")
    UPDATE "Instance" i SET "alertRank" = COALESCE(agg.rank, 0), "openAlerts" = COALESCE(agg.n, 0)
      FROM t LEFT JOIN agg ON agg.id = t.id
     WHERE i.id = t.id
       AND (i."alertRank" <> COALESCE(agg.rank, 0) OR i."openAlerts" <> COALESCE(agg.n, 0))`;
}
