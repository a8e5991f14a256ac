// Alert rows for the API's integration tests, as the alert evaluator leaves them (the evaluator has its own tests).
import { db } from "@cp/db";
import { unique } from "./fixtures";

/** A fleet rule of its own (a unique key), so edits in one test never change another's. */
export async function createAlertRule(
  opts: { severity?: "info" | "warning" | "critical"; metric?: string; name?: string } = {},
) {
  return db().alertRule.create({
    data: {
      key: unique("rule").replace(/-/g, "_"),
      name: opts.name ?? `Rule ${unique("r")}`,
      metric: opts.metric ?? "db_cpu_percent",
      comparison: "gt",
      threshold: 80,
      resolveThreshold: 70,
      forSeconds: 60,
      severity: opts.severity ?? "warning",
      runbook: "Look at the database CPU chart.",
    },
    select: { id: true, key: true, name: true },
  });
}

/** An open (firing by default) alert of `ruleId` on an instance, with Instance.alertRank kept in step. */
export async function createAlert(opts: {
  orgId: string;
  instanceId: string;
  ruleId?: string;
  severity?: "info" | "warning" | "critical";
  state?: "firing" | "acknowledged" | "resolved";
}) {
  const severity = opts.severity ?? "warning";
  const ruleId = opts.ruleId ?? (await createAlertRule({ severity })).id;
  const state = opts.state ?? "firing";
  const now = Date.now();
  const alert = await db().alert.create({
    data: {
      ruleId,
      instanceId: opts.instanceId,
      orgId: opts.orgId,
      state,
      severity,
      openKey: state === "resolved" ? null : `${ruleId}:${opts.instanceId}`,
      value: 95,
      threshold: 80,
      pendingSince: new Date(now - 10 * 60_000),
      firedAt: new Date(now - 9 * 60_000),
      resolvedAt: state === "resolved" ? new Date(now - 60_000) : null,
      lastEvaluatedAt: new Date(now),
    },
    select: { id: true, ruleId: true },
  });
  if (state !== "resolved") {
    const rank = { info: 1, warning: 2, critical: 3 }[severity];
    await db().$executeRaw`
      UPDATE "Instance" SET "alertRank" = GREATEST("alertRank", ${rank}), "openAlerts" = "openAlerts" + 1
      WHERE id = ${opts.instanceId}`;
  }
  return alert;
}
