// The tenant health page: an instance's observed health, its metric series over a chart range with the thresholds
// in force on it, the periods its alerts fired, and monthly uptime. Org-scoped: an instance outside `orgId` is
// NOT_FOUND, so the API layer's org check is all the authorization needed.
import {
  METRIC_NAMES,
  METRIC_RANGES,
  METRICS,
  notFound,
  thresholdsInForce,
  type AlertStateName,
  type MetricRange,
} from "@cp/core";
import { db } from "@cp/db";
import { alertPeriods, listAlerts } from "../alerts/alerts";
import { listAlertRules } from "../alerts/alert-rules";
import { monthlyUptime, readSeries } from "../metrics/samples";

const UPTIME_MONTHS = 6;

async function findOrgInstance(orgId: string, instanceId: string) {
  const i = await db().instance.findFirst({
    where: { id: instanceId, orgId },
    select: {
      id: true,
      name: true,
      status: true,
      healthStatus: true,
      healthCheckedAt: true,
      alertRank: true,
      openAlerts: true,
      monitor: { select: { lastPolledAt: true, lastError: true, consecutiveFailures: true } },
    },
  });
  if (!i) throw notFound("Instance");
  return i;
}

export async function getInstanceHealth(
  orgId: string,
  instanceId: string,
  range: MetricRange,
  now: Date = new Date(),
) {
  const i = await findOrgInstance(orgId, instanceId);
  const from = new Date(now.getTime() - METRIC_RANGES[range].seconds * 1000);
  const [series, rules, periods, uptime, baselines] = await Promise.all([
    readSeries(i.id, range, now),
    listAlertRules(i.id),
    alertPeriods(i.id, from, now),
    monthlyUptime(i.id, UPTIME_MONTHS, now),
    db().metricSeries.findMany({ where: { instanceId: i.id }, select: { metric: true, baseline: true } }),
  ]);
  const baselineOf = new Map(baselines.map((b) => [b.metric, b.baseline]));
  return {
    status: {
      status: i.status,
      healthStatus: i.healthStatus,
      checkedAt: i.healthCheckedAt,
      lastPolledAt: i.monitor?.lastPolledAt ?? null,
      lastError: i.monitor?.lastError ?? null,
      consecutiveFailures: i.monitor?.consecutiveFailures ?? 0,
      alertRank: i.alertRank,
      openAlerts: i.openAlerts,
    },
    range,
    from,
    to: now,
    metrics: METRIC_NAMES.map((metric) => ({
      metric,
      label: METRICS[metric].label,
      unit: METRICS[metric].unit,
      description: METRICS[metric].description,
      points: series[metric],
      // The enabled rules on this metric, with this instance's override applied and a baseline rule raised to
      // the series' usual level, as the evaluator compares them now.
      thresholds: rules
        .filter((r) => r.metric === metric && r.effective.enabled)
        .map((r) => ({
          ruleId: r.id,
          ruleKey: r.key,
          ruleName: r.name,
          severity: r.severity,
          comparison: r.comparison,
          overridden: r.override !== null,
          ...thresholdsInForce(
            { ...r, threshold: r.effective.threshold, resolveThreshold: r.effective.resolveThreshold },
            baselineOf.get(metric) ?? null,
          ),
        })),
    })),
    alertPeriods: periods,
    uptime,
  };
}

/** An instance's alerts (newest first), for whoever may read the instance's org. */
export async function listInstanceAlerts(
  orgId: string,
  instanceId: string,
  filter: { states?: AlertStateName[]; since?: Date; limit?: number } = {},
) {
  const i = await findOrgInstance(orgId, instanceId);
  return listAlerts({ ...filter, instanceId: i.id });
}
