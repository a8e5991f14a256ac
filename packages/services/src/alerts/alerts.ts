// Alerts as people see and handle them: the list (an instance's, an org's or the fleet's), acknowledging a firing
// alert, and the firing periods the health charts draw as bands. Authorization is the API layer's; these check
// input and existence.
import {
  ALERT_STATES,
  badRequest,
  conflict,
  findSilence,
  notFound,
  ZId,
  type AlertStateName,
} from "@cp/core";
import { db } from "@cp/db";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { dispatchOutbox } from "../outbox/outbox";
import { queueWebhookEvent } from "../webhooks/queue";
import { alertWebhookData, loadAlertsForNotice } from "./alert-notifications";
import { parseInput } from "./parse-input";

export interface AlertFilter {
  instanceId?: string;
  orgId?: string;
  states?: AlertStateName[];
  /** Alerts open at any moment since then (still open, or resolved after it). */
  since?: Date;
  limit?: number;
}

const ZAlertFilter = z.object({
  instanceId: ZId.optional(),
  orgId: ZId.optional(),
  states: z.array(z.enum(ALERT_STATES)).max(ALERT_STATES.length).optional(),
  since: z.date().optional(),
  limit: z.number().int().min(1, "must be at least 1").max(500, "must be at most 500").default(100),
});

/** Newest first, with the rule, the instance, who acknowledged it and whether a silence mutes it now. */
export async function listAlerts(filter: AlertFilter) {
  const f = parseInput(ZAlertFilter, filter);
  const now = new Date();
  const rows = await db().alert.findMany({
    where: {
      instanceId: f.instanceId,
      orgId: f.orgId,
      state: f.states ? { in: f.states } : undefined,
      ...(f.since ? { OR: [{ resolvedAt: null }, { resolvedAt: { gte: f.since } }] } : {}),
    },
    orderBy: [{ pendingSince: "desc" }, { id: "desc" }],
    take: f.limit,
    include: {
      rule: { select: { id: true, key: true, name: true, metric: true, comparison: true, runbook: true } },
      instance: { select: { id: true, slug: true, name: true } },
    },
  });
  const ackIds = [...new Set(rows.map((a) => a.acknowledgedById).filter((id): id is string => id !== null))];
  const [ackers, silences] = await Promise.all([
    ackIds.length
      ? db().user.findMany({ where: { id: { in: ackIds } }, select: { id: true, email: true } })
      : Promise.resolve([]),
    rows.length
      ? db().alertSilence.findMany({
          where: {
            ruleId: { in: [...new Set(rows.map((a) => a.ruleId))] },
            cancelledAt: null,
            startsAt: { lte: now },
            expiresAt: { gt: now },
          },
        })
      : Promise.resolve([]),
  ]);
  const emailOf = new Map(ackers.map((u) => [u.id, u.email]));
  return rows.map((a) => ({
    id: a.id,
    orgId: a.orgId,
    state: a.state,
    severity: a.severity,
    value: a.value,
    threshold: a.threshold,
    pendingSince: a.pendingSince,
    firedAt: a.firedAt,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedByEmail: a.acknowledgedById ? (emailOf.get(a.acknowledgedById) ?? null) : null,
    resolvedAt: a.resolvedAt,
    notifiedAt: a.notifiedAt,
    lastEvaluatedAt: a.lastEvaluatedAt,
    rule: a.rule,
    instance: a.instance,
    silenced: a.state !== "resolved" && findSilence(silences, a, now) !== undefined,
  }));
}

/** An SRE (or the org's admin) takes a firing alert: notifications stop, it stays open until it resolves. */
export async function acknowledgeAlert(ctx: ActingContext, alertId: string) {
  const id = parseInput(ZId, alertId);
  const now = new Date();
  const { alert, dispatch } = await db().$transaction(async (tx) => {
    const r = await tx.alert.updateMany({
      where: { id, state: "firing" },
      data: { state: "acknowledged", acknowledgedAt: now, acknowledgedById: ctx.actor.userId },
    });
    if (r.count === 0) {
      const a = await tx.alert.findUnique({ where: { id }, select: { state: true } });
      if (!a) throw notFound("Alert");
      throw conflict(
        a.state === "acknowledged"
          ? "The alert is already acknowledged."
          : `The alert is ${a.state}; only a firing alert can be acknowledged.`,
      );
    }
    const [a] = await loadAlertsForNotice(tx, [id]);
    if (!a) throw notFound("Alert");
    await recordAudit(tx, ctx, {
      action: "alert.acknowledge",
      targetType: "alert",
      targetId: id,
      orgId: a.orgId,
      before: { state: "firing" },
      after: { state: "acknowledged", rule: a.rule.key, instance: a.instance.slug },
    });
    const ids = await queueWebhookEvent(tx, {
      type: "alert.acknowledged",
      orgId: a.orgId,
      dedupeKey: `alert:${id}:acknowledged`,
      occurredAt: now,
      data: { ...alertWebhookData(a), acknowledgedBy: ctx.actor.email },
    });
    return { alert: a, dispatch: ids };
  });
  await dispatchOutbox(dispatch);
  return {
    id: alert.id,
    state: alert.state,
    acknowledgedAt: alert.acknowledgedAt,
    acknowledgedByEmail: ctx.actor.email,
  };
}

/** The firing periods of an instance's alerts that overlap [from, to]: bands on its health charts. */
export async function alertPeriods(instanceId: string, from: Date, to: Date) {
  const id = parseInput(ZId, instanceId);
  if (!(from.getTime() <= to.getTime())) throw badRequest("from: must be at or before to", "from");
  const rows = await db().alert.findMany({
    where: {
      instanceId: id,
      firedAt: { not: null, lte: to },
      OR: [{ resolvedAt: null }, { resolvedAt: { gte: from } }],
    },
    orderBy: { firedAt: "asc" },
    select: {
      id: true,
      severity: true,
      firedAt: true,
      resolvedAt: true,
      rule: { select: { key: true, metric: true } },
    },
  });
  return rows.map((a) => ({
    alertId: a.id,
    ruleKey: a.rule.key,
    metric: a.rule.metric,
    severity: a.severity,
    start: a.firedAt!,
    end: a.resolvedAt,
  }));
}
