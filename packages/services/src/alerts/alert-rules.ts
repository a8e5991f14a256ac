// The threshold rules as staff manage them: the fleet defaults (seeded from DEFAULT_ALERT_RULES, then staff's to
// edit) and per-instance overrides. Every change is audited with its before and after.
import {
  alertRuleProblems,
  badRequest,
  DEFAULT_ALERT_RULES,
  effectiveAlertRule,
  notFound,
  ZAlertRuleOverrideInput,
  ZAlertRulePatch,
  ZId,
  type AlertRuleOverrideInput,
  type AlertRulePatch,
} from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { parseInput } from "./parse-input";

type Tx = Prisma.TransactionClient;

/** Inserts the default rules whose key is missing; never touches a rule that exists (staff may have edited it). */
export async function ensureDefaultAlertRules(): Promise<number> {
  const r = await db().alertRule.createMany({
    data: DEFAULT_ALERT_RULES.map((d) => ({
      key: d.key,
      name: d.name,
      metric: d.metric,
      comparison: d.comparison,
      threshold: d.threshold,
      resolveThreshold: d.resolveThreshold,
      baselineFactor: d.baselineFactor,
      forSeconds: d.forSeconds,
      severity: d.severity,
      runbook: d.runbook,
      notifyCustomer: d.notifyCustomer,
    })),
    skipDuplicates: true,
  });
  return r.count;
}

const OVERRIDE_FIELDS = ["threshold", "resolveThreshold", "forSeconds", "enabled"] as const;

function overrideView(o: Prisma.AlertRuleOverrideGetPayload<object> | null) {
  if (!o) return null;
  return {
    threshold: o.threshold,
    resolveThreshold: o.resolveThreshold,
    forSeconds: o.forSeconds,
    enabled: o.enabled,
    reason: o.reason,
    updatedById: o.updatedById,
    updatedAt: o.updatedAt,
  };
}

/**
 * The rules, with one instance's override and the values in force on it when `instanceId` is given (otherwise
 * the effective values are the fleet defaults).
 */
export async function listAlertRules(instanceId?: string) {
  if (instanceId !== undefined) {
    const i = await db().instance.findUnique({
      where: { id: parseInput(ZId, instanceId) },
      select: { id: true },
    });
    if (!i) throw notFound("Instance");
  }
  const rules = await db().alertRule.findMany({
    orderBy: [{ severity: "desc" }, { name: "asc" }],
    include: instanceId ? { overrides: { where: { instanceId } } } : undefined,
  });
  return rules.map((r) => {
    const o = (r as { overrides?: Prisma.AlertRuleOverrideGetPayload<object>[] }).overrides?.[0] ?? null;
    const eff = effectiveAlertRule(r, o);
    return {
      id: r.id,
      key: r.key,
      name: r.name,
      metric: r.metric,
      comparison: r.comparison,
      threshold: r.threshold,
      resolveThreshold: r.resolveThreshold,
      baselineFactor: r.baselineFactor,
      forSeconds: r.forSeconds,
      severity: r.severity,
      runbook: r.runbook,
      notifyCustomer: r.notifyCustomer,
      enabled: r.enabled,
      updatedById: r.updatedById,
      updatedAt: r.updatedAt,
      override: overrideView(o),
      effective: {
        threshold: eff.threshold,
        resolveThreshold: eff.resolveThreshold,
        forSeconds: eff.forSeconds,
        enabled: eff.enabled,
      },
    };
  });
}

async function lockRule(tx: Tx, ruleId: string) {
  await tx.$queryRaw`SELECT id FROM "AlertRule" WHERE id = ${ruleId} FOR UPDATE`;
  const rule = await tx.alertRule.findUnique({ where: { id: ruleId } });
  if (!rule) throw notFound("Alert rule");
  return rule;
}

function assertConsistent(v: Parameters<typeof alertRuleProblems>[0], hint = "") {
  const problem = alertRuleProblems(v)[0];
  if (problem) throw badRequest(`${problem}${hint}.`, problem.slice(0, problem.indexOf(":")));
}

/** Staff edit a fleet default. The threshold pair is checked after the patch is applied. */
export async function updateAlertRule(ctx: ActingContext, ruleId: string, patch: AlertRulePatch) {
  const id = parseInput(ZId, ruleId);
  const p = parseInput(ZAlertRulePatch, patch);
  if (Object.keys(p).length === 0) throw badRequest("Nothing to change: the patch is empty.");
  return db().$transaction(async (tx) => {
    const before = await lockRule(tx, id);
    assertConsistent({ ...before, ...p });
    const changed = Object.fromEntries(
      Object.entries(p).filter(([k, v]) => before[k as keyof typeof before] !== v),
    ) as AlertRulePatch;
    const after = await tx.alertRule.update({
      where: { id },
      data: { ...changed, updatedById: ctx.actor.userId },
    });
    const pick = (r: typeof before) =>
      Object.fromEntries(Object.keys(changed).map((k) => [k, r[k as keyof typeof r]]));
    await recordAudit(tx, ctx, {
      action: "alert_rule.update",
      targetType: "alert_rule",
      targetId: id,
      before: { key: before.key, ...pick(before) },
      after: { key: after.key, ...pick(after) },
    });
    return after;
  });
}

/** Sets (or replaces) an instance's override of a rule; the merged values must make a consistent rule. */
export async function setAlertRuleOverride(ctx: ActingContext, input: AlertRuleOverrideInput) {
  const v = parseInput(ZAlertRuleOverrideInput, input);
  if (OVERRIDE_FIELDS.every((f) => v[f] === undefined || v[f] === null)) {
    throw badRequest("Set at least one of threshold, resolveThreshold, forSeconds or enabled.");
  }
  return db().$transaction(async (tx) => {
    const rule = await lockRule(tx, v.ruleId);
    const instance = await tx.instance.findUnique({
      where: { id: v.instanceId },
      select: { id: true, orgId: true, slug: true },
    });
    if (!instance) throw notFound("Instance");
    assertConsistent(
      {
        comparison: rule.comparison,
        threshold: v.threshold ?? rule.threshold,
        resolveThreshold: v.resolveThreshold ?? rule.resolveThreshold,
        forSeconds: v.forSeconds ?? rule.forSeconds,
      },
      " (the override's values are combined with the rule's defaults; set both thresholds in the override)",
    );
    const key = { ruleId_instanceId: { ruleId: rule.id, instanceId: instance.id } };
    const before = await tx.alertRuleOverride.findUnique({ where: key });
    const data = {
      threshold: v.threshold ?? null,
      resolveThreshold: v.resolveThreshold ?? null,
      forSeconds: v.forSeconds ?? null,
      enabled: v.enabled ?? null,
      reason: v.reason,
      updatedById: ctx.actor.userId,
    };
    const after = await tx.alertRuleOverride.upsert({
      where: key,
      create: { ruleId: rule.id, instanceId: instance.id, ...data },
      update: data,
    });
    await recordAudit(tx, ctx, {
      action: "alert_rule.override_set",
      targetType: "instance",
      targetId: instance.id,
      orgId: instance.orgId,
      before: before ? { rule: rule.key, ...overrideView(before) } : null,
      after: { rule: rule.key, ...overrideView(after) },
    });
    return { ...overrideView(after)!, ruleId: rule.id, instanceId: instance.id };
  });
}

/** Removes an instance's override: the fleet default applies again. */
export async function clearAlertRuleOverride(
  ctx: ActingContext,
  input: { ruleId: string; instanceId: string },
): Promise<{ cleared: boolean }> {
  const ruleId = parseInput(ZId, input.ruleId);
  const instanceId = parseInput(ZId, input.instanceId);
  return db().$transaction(async (tx) => {
    const rule = await lockRule(tx, ruleId);
    const instance = await tx.instance.findUnique({
      where: { id: instanceId },
      select: { id: true, orgId: true },
    });
    if (!instance) throw notFound("Instance");
    const key = { ruleId_instanceId: { ruleId, instanceId } };
    const before = await tx.alertRuleOverride.findUnique({ where: key });
    if (!before) return { cleared: false };
    await tx.alertRuleOverride.delete({ where: key });
    await recordAudit(tx, ctx, {
      action: "alert_rule.override_clear",
      targetType: "instance",
      targetId: instance.id,
      orgId: instance.orgId,
      before: { rule: rule.key, ...overrideView(before) },
    });
    return { cleared: true };
  });
}
