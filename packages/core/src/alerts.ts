// Threshold alerts (DESIGN.md: SREs answer threshold alerts). The fleet's default rules, how an instance's override
// changes one, and the pure evaluator the worker runs over every instance each CP_ALERT_EVAL_MS. Pure: the caller
// loads rules, the open alert and the latest sample, and writes whatever transition comes back.
import { z } from "zod";
import { METRICS, isMetricName, type MetricName } from "./metrics";
import { ZId } from "./schemas";

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export type AlertSeverityName = (typeof ALERT_SEVERITIES)[number];
export const ALERT_STATES = ["pending", "firing", "acknowledged", "resolved"] as const;
export type AlertStateName = (typeof ALERT_STATES)[number];
export const ALERT_COMPARISONS = ["gt", "lt"] as const;
export type AlertComparisonName = (typeof ALERT_COMPARISONS)[number];

/** Instance.alertRank of an open alert's severity (0 is "no open alert"). */
export const ALERT_SEVERITY_RANK: Record<AlertSeverityName, number> = { info: 1, warning: 2, critical: 3 };

/** Bounds of what staff may set: a for-duration up to a day, a silence up to a week. */
export const ALERT_FOR_SECONDS_MAX = 86_400;
export const SILENCE_MAX_MINUTES = 7 * 24 * 60;
export const ALERT_REASON_MAX = 500;

export interface AlertRuleDefinition {
  key: string;
  name: string;
  metric: MetricName;
  comparison: AlertComparisonName;
  threshold: number;
  resolveThreshold: number;
  baselineFactor: number | null;
  forSeconds: number;
  severity: AlertSeverityName;
  notifyCustomer: boolean;
  runbook: string;
}

/**
 * The provider's guidance as rules. The rows in AlertRule start as these and are then the staff's to edit;
 * `ensureDefaultAlertRules` only inserts the keys that are missing.
 */
export const DEFAULT_ALERT_RULES: readonly AlertRuleDefinition[] = [
  {
    key: "database_cpu_high",
    name: "Database CPU high",
    metric: "db_cpu_percent",
    comparison: "gt",
    threshold: 70,
    resolveThreshold: 60,
    baselineFactor: null,
    forSeconds: 600,
    severity: "warning",
    notifyCustomer: true,
    runbook: [
      "The database has used more than 70 % of its vCPUs for 10 minutes; it resolves once back at or below 60 %.",
      "1. Look at the request rate and latency charts: a traffic increase explains sustained CPU, a flat request rate",
      "   with rising CPU points at a heavy query (a large project's run table, an export, a runaway script).",
      "2. If the load is legitimate and lasting, scale the database to the next size (Instance > Configuration >",
      "   Size). The update is rolling; plan it with the customer if they are mid-training.",
      "3. If it is one heavy query, find it in the database's slow-query log and ask the customer to pace it.",
    ].join("\n"),
  },
  {
    key: "health_failing",
    name: "Health check failing",
    metric: "health_up",
    comparison: "lt",
    threshold: 1,
    resolveThreshold: 1,
    baselineFactor: null,
    forSeconds: 30,
    severity: "critical",
    notifyCustomer: true,
    runbook: [
      "The instance's health endpoint has not answered 200 within the timeout for 30 seconds: users cannot work.",
      "1. Open the instance page: is an operation running (an upgrade or restore restarts the service)?",
      "2. Check the application and database CPU and memory charts for exhaustion just before the failure.",
      "3. Look at the instance's latest operation log and the service logs for crash loops or failed migrations.",
      "4. If the database is unreachable, check the database's status in the cloud console; if the service is",
      "   crash-looping after an upgrade, roll back to the previous version.",
      "It resolves on the first successful health check.",
    ].join("\n"),
  },
  {
    key: "storage_near_quota",
    name: "Storage near quota",
    metric: "storage_percent",
    comparison: "gt",
    threshold: 85,
    resolveThreshold: 80,
    baselineFactor: null,
    forSeconds: 900,
    severity: "warning",
    notifyCustomer: true,
    runbook: [
      "The bucket holds more than 85 % of the size preset's storage quota; it resolves at or below 80 %.",
      "1. Tell the customer which projects grew (the storage chart shows the trend): artifacts and media of old",
      "   runs are the usual cause, and deleting unneeded artifact versions frees space.",
      "2. If they need the space, move the instance to the next size, which raises the quota.",
      "Writes are refused when the quota is reached, so act before the trend gets there.",
    ].join("\n"),
  },
  {
    key: "error_rate_high",
    name: "Error rate high",
    metric: "error_rate_percent",
    comparison: "gt",
    threshold: 5,
    resolveThreshold: 4,
    baselineFactor: 3,
    forSeconds: 300,
    severity: "warning",
    notifyCustomer: false,
    runbook: [
      "More than 5 % of requests failed with a server error for 5 minutes, and more than 3x this instance's",
      "usual error rate (its 24-hour mean): the rule follows each instance's normal level so a noisy tenant does",
      "not page constantly. It resolves once back under the threshold (scaled the same way).",
      "1. Did a deploy or upgrade just finish? Compare with the instance's operations; roll back if it started",
      "   then.",
      "2. Check database CPU and latency: errors under load are often timeouts to an overloaded database.",
      "3. Read the service logs for the failing routes and the exceptions behind them.",
    ].join("\n"),
  },
  {
    key: "latency_high",
    name: "Latency high",
    metric: "latency_p95_ms",
    comparison: "gt",
    threshold: 2000,
    resolveThreshold: 1500,
    baselineFactor: null,
    forSeconds: 600,
    severity: "warning",
    notifyCustomer: false,
    runbook: [
      "The 95th percentile of request latency has been above 2 seconds for 10 minutes; it resolves at or below",
      "1.5 seconds.",
      "1. Check database CPU first: a saturated database is the usual cause (see the database CPU runbook).",
      "2. Check application CPU and memory: a process near its limits slows every request.",
      "3. If only some routes are slow, the service logs name them; large exports and artifact listings are",
      "   typical. Ask the customer to page or schedule them.",
    ].join("\n"),
  },
  {
    key: "bucket_checks_failing",
    name: "Customer bucket checks failing",
    metric: "bucket_checks_ok",
    comparison: "lt",
    threshold: 1,
    resolveThreshold: 1,
    baselineFactor: null,
    forSeconds: 0,
    severity: "critical",
    notifyCustomer: true,
    runbook: [
      "The daily re-check of the customer's own bucket (BYOB) failed: the platform can no longer read or write",
      "the artifacts stored there. The customer must fix it in their bucket; the check's result names what failed.",
      "- Access denied: the bucket policy or the IAM role/service account granted to the provider was changed or",
      "  removed. Restore the grant from the ordering instructions (read, write, list, delete on the bucket).",
      "- Bucket not found: the bucket was deleted or renamed. Recreate it with the same name and region.",
      "- CORS: the browser upload rule was removed. Re-add the CORS rule for the instance's URL.",
      "- Encryption: the KMS key was disabled or its grant revoked. Re-enable it or restore the grant.",
      "It resolves on the next passing check; ask the customer to tell you when it is fixed so you can re-run it.",
    ].join("\n"),
  },
];

/** The values of a rule the evaluator needs. */
export interface AlertRuleValues {
  comparison: AlertComparisonName;
  threshold: number;
  resolveThreshold: number;
  baselineFactor: number | null;
  forSeconds: number;
  enabled: boolean;
}

/** What an instance's override may change; null or undefined keeps the fleet default. */
export interface AlertRuleOverrideValues {
  threshold?: number | null;
  resolveThreshold?: number | null;
  forSeconds?: number | null;
  enabled?: boolean | null;
}

/**
 * The rule as it applies to one instance: the fleet default with the override's non-null values. A resolve
 * threshold left on the wrong side of the threshold (the override moved only one of them) is pulled back to the
 * threshold, so a bad pair can never make an alert fire and resolve on the same value.
 */
export function effectiveAlertRule<R extends AlertRuleValues>(
  rule: R,
  override?: AlertRuleOverrideValues | null,
): R {
  const threshold = override?.threshold ?? rule.threshold;
  const resolve = override?.resolveThreshold ?? rule.resolveThreshold;
  return {
    ...rule,
    threshold,
    resolveThreshold: rule.comparison === "gt" ? Math.min(resolve, threshold) : Math.max(resolve, threshold),
    forSeconds: override?.forSeconds ?? rule.forSeconds,
    enabled: override?.enabled ?? rule.enabled,
  };
}

/**
 * The thresholds in force given the series' baseline. A baseline rule fires above max(threshold, factor x
 * baseline) and its resolve threshold moves in proportion, so the hysteresis band keeps its relative width.
 * Baselines apply to rules that fire above a value only ("lower than usual" is not a condition we alert on).
 */
export function thresholdsInForce(
  rule: Pick<AlertRuleValues, "comparison" | "threshold" | "resolveThreshold" | "baselineFactor">,
  baseline: number | null,
): { threshold: number; resolveThreshold: number } {
  const { threshold, resolveThreshold } = rule;
  if (rule.comparison !== "gt" || rule.baselineFactor === null || baseline === null || !(baseline > 0)) {
    return { threshold, resolveThreshold };
  }
  const raised = rule.baselineFactor * baseline;
  if (raised <= threshold) return { threshold, resolveThreshold };
  const scaled =
    threshold > 0 ? resolveThreshold * (raised / threshold) : resolveThreshold + (raised - threshold);
  return { threshold: raised, resolveThreshold: scaled };
}

/** The firing condition: strictly past the threshold. */
export function breachesThreshold(
  comparison: AlertComparisonName,
  value: number,
  threshold: number,
): boolean {
  return comparison === "gt" ? value > threshold : value < threshold;
}

/** The resolve condition: back at or past the resolve threshold (at or below for gt, at or above for lt). */
export function pastResolveThreshold(
  comparison: AlertComparisonName,
  value: number,
  resolveThreshold: number,
): boolean {
  return comparison === "gt" ? value <= resolveThreshold : value >= resolveThreshold;
}

export type OpenAlertStateName = Exclude<AlertStateName, "resolved">;

export interface AlertEvaluationInput {
  rule: AlertRuleValues;
  /** The rule's open alert on the instance, if any. */
  alert: { state: OpenAlertStateName; pendingSince: Date } | null;
  /** The latest sample of the rule's metric on the instance, if any. */
  sample: { value: number; ts: Date } | null;
  /** The series' 24-hour baseline (baseline rules only). */
  baseline: number | null;
  now: Date;
  /** A sample older than this is stale: treated as no sample at all. */
  maxAgeMs: number;
  /**
   * How much earlier than its slot a sample may be taken (polls of one instance are an interval apart, give or take
   * scheduling): the for-duration counts as held that much early, so a rule whose for-duration is one polling
   * interval fires on the second breaching poll even when it came a few milliseconds early. Half the poll interval.
   */
  sampleJitterMs?: number;
}

interface Thresholds {
  /** The fresh value, or null when there is none. */
  value: number | null;
  threshold: number;
  resolveThreshold: number;
}

/**
 * What happens to the rule's alert on one instance:
 * - pending: the condition holds; an alert starts pending, since the sample's time;
 * - fire: a pending alert's condition has held for the for-duration (by sample time, not by how often we look),
 *   or it holds and the for-duration is 0; creates or promotes the alert;
 * - cancel: a pending alert whose condition cleared before the for-duration (or whose data went stale, or whose
 *   rule was disabled) goes away without ever having fired;
 * - resolve: a firing or acknowledged alert is back past the resolve threshold (hysteresis), or its rule was
 *   disabled;
 * - none: nothing changes.
 */
export type AlertEvaluation = Thresholds &
  (
    | { transition: "none" }
    | { transition: "pending"; pendingSince: Date }
    | { transition: "fire"; pendingSince: Date }
    | { transition: "cancel"; reason: "cleared" | "no_data" | "disabled" }
    | { transition: "resolve"; reason: "recovered" | "disabled" }
  );

/**
 * Evaluates one rule on one instance. Without a fresh value nothing changes, with one documented exception: a
 * pending alert is cancelled, because the condition can no longer be shown to hold for the whole for-duration. A
 * firing alert never resolves without a value that says so (a gap in the data is not a recovery).
 */
export function evaluateAlertRule(input: AlertEvaluationInput): AlertEvaluation {
  const { rule, alert, sample, now } = input;
  const fresh =
    sample !== null && Number.isFinite(sample.value) && now.getTime() - sample.ts.getTime() <= input.maxAgeMs
      ? sample
      : null;
  const t: Thresholds = { value: fresh?.value ?? null, ...thresholdsInForce(rule, input.baseline) };
  if (!rule.enabled) {
    if (!alert) return { ...t, transition: "none" };
    return alert.state === "pending"
      ? { ...t, transition: "cancel", reason: "disabled" }
      : { ...t, transition: "resolve", reason: "disabled" };
  }
  if (!fresh) {
    return alert?.state === "pending"
      ? { ...t, transition: "cancel", reason: "no_data" }
      : { ...t, transition: "none" };
  }
  const breach = breachesThreshold(rule.comparison, fresh.value, t.threshold);
  if (!alert) {
    if (!breach) return { ...t, transition: "none" };
    return rule.forSeconds <= 0
      ? { ...t, transition: "fire", pendingSince: fresh.ts }
      : { ...t, transition: "pending", pendingSince: fresh.ts };
  }
  if (alert.state === "pending") {
    if (!breach) return { ...t, transition: "cancel", reason: "cleared" };
    const heldMs = fresh.ts.getTime() - alert.pendingSince.getTime();
    return heldMs >= rule.forSeconds * 1000 - (input.sampleJitterMs ?? 0)
      ? { ...t, transition: "fire", pendingSince: alert.pendingSince }
      : { ...t, transition: "none" };
  }
  return pastResolveThreshold(rule.comparison, fresh.value, t.resolveThreshold)
    ? { ...t, transition: "resolve", reason: "recovered" }
    : { ...t, transition: "none" };
}

export interface AlertSilenceWindow {
  ruleId: string;
  /** null: every instance. */
  instanceId: string | null;
  startsAt: Date;
  expiresAt: Date;
  cancelledAt: Date | null;
}

export function isSilenceActive(s: Omit<AlertSilenceWindow, "ruleId" | "instanceId">, now: Date): boolean {
  return (
    s.cancelledAt === null && s.startsAt.getTime() <= now.getTime() && now.getTime() < s.expiresAt.getTime()
  );
}

/** The first active silence that mutes `ruleId` on `instanceId`, if any. */
export function findSilence<S extends AlertSilenceWindow>(
  silences: readonly S[],
  target: { ruleId: string; instanceId: string },
  now: Date,
): S | undefined {
  return silences.find(
    (s) =>
      s.ruleId === target.ruleId &&
      (s.instanceId === null || s.instanceId === target.instanceId) &&
      isSilenceActive(s, now),
  );
}

/**
 * Problems with a rule's values, each naming the field and the fix; empty when they are fine. Used for fleet
 * edits and, on the merged values, for an instance's override.
 */
export function alertRuleProblems(v: {
  comparison: AlertComparisonName;
  threshold: number;
  resolveThreshold: number;
  forSeconds: number;
}): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(v.threshold)) problems.push("threshold: must be a number");
  if (!Number.isFinite(v.resolveThreshold)) problems.push("resolveThreshold: must be a number");
  if (v.comparison === "gt" && v.resolveThreshold > v.threshold) {
    problems.push(
      `resolveThreshold: must be at or below the threshold (${v.threshold}) for a rule that fires above it; ` +
        `lower resolveThreshold or raise threshold`,
    );
  }
  if (v.comparison === "lt" && v.resolveThreshold < v.threshold) {
    problems.push(
      `resolveThreshold: must be at or above the threshold (${v.threshold}) for a rule that fires below it; ` +
        `raise resolveThreshold or lower threshold`,
    );
  }
  if (!Number.isInteger(v.forSeconds) || v.forSeconds < 0 || v.forSeconds > ALERT_FOR_SECONDS_MAX) {
    problems.push(`forSeconds: must be a whole number of seconds from 0 to ${ALERT_FOR_SECONDS_MAX}`);
  }
  return problems;
}

/**
 * How old the latest sample of a metric may be and still count. Polled metrics: three poll intervals (one missed
 * poll is not a gap). The bucket check runs once per re-check interval, so it stays valid for two of those.
 */
export function metricMaxAgeMs(
  metric: string,
  cfg: { healthPollMs: number; bucketRecheckHours: number },
): number {
  return metric === "bucket_checks_ok" ? 2 * cfg.bucketRecheckHours * 3_600_000 : 3 * cfg.healthPollMs;
}

/** A metric value as people read it in notifications and lists ("72.5 %", "2340 ms"). */
export function formatMetricValue(metric: string, value: number): string {
  const unit = isMetricName(metric) ? METRICS[metric].unit : null;
  const n = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : 1);
  switch (unit) {
    case "percent":
      return `${n} %`;
    case "ms":
      return `${n} ms`;
    case "per_second":
      return `${n}/s`;
    case "bytes":
      return `${(value / 1024 ** 3).toFixed(1)} GiB`;
    default:
      return n;
  }
}

const ZThreshold = z.number().finite("must be a finite number");
const ZForSeconds = z
  .number()
  .int("must be a whole number of seconds")
  .min(0, "must be at least 0")
  .max(ALERT_FOR_SECONDS_MAX, `must be at most ${ALERT_FOR_SECONDS_MAX} seconds (a day)`);
const ZReason = z
  .string()
  .trim()
  .min(3, "is required: say why (at least 3 characters)")
  .max(ALERT_REASON_MAX, `must be at most ${ALERT_REASON_MAX} characters`);

/** Staff edits of a fleet default rule. */
export const ZAlertRulePatch = z
  .object({
    threshold: ZThreshold.optional(),
    resolveThreshold: ZThreshold.optional(),
    forSeconds: ZForSeconds.optional(),
    severity: z.enum(ALERT_SEVERITIES).optional(),
    runbook: z
      .string()
      .trim()
      .min(1, "is required")
      .max(10_000, "must be at most 10,000 characters")
      .optional(),
    enabled: z.boolean().optional(),
    notifyCustomer: z.boolean().optional(),
  })
  .strict();
export type AlertRulePatch = z.infer<typeof ZAlertRulePatch>;

/** An instance's override of a rule: null (or absent) keeps the fleet default. */
export const ZAlertRuleOverrideInput = z.object({
  ruleId: ZId,
  instanceId: ZId,
  threshold: ZThreshold.nullish(),
  resolveThreshold: ZThreshold.nullish(),
  forSeconds: ZForSeconds.nullish(),
  enabled: z.boolean().nullish(),
  reason: ZReason,
});
export type AlertRuleOverrideInput = z.input<typeof ZAlertRuleOverrideInput>;

export const ZAlertSilenceInput = z.object({
  ruleId: ZId,
  /** null: the rule on every instance. */
  instanceId: ZId.nullable(),
  durationMinutes: z
    .number()
    .int("must be a whole number of minutes")
    .min(1, "must be at least 1 minute")
    .max(SILENCE_MAX_MINUTES, `must be at most ${SILENCE_MAX_MINUTES} minutes (7 days)`),
  reason: ZReason,
});
export type AlertSilenceInput = z.input<typeof ZAlertSilenceInput>;
