// The support plans in force (configuration) and the org's choice among them.
import { env } from "@cp/config";
import {
  badRequest,
  DEFAULT_SUPPORT_PLANS,
  notFound,
  parseSupportPlans,
  SUPPORT_SEVERITIES,
  type SupportPlan,
} from "@cp/core";
import { db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";

let parsed: { source: string | undefined; plans: Record<string, SupportPlan> } | undefined;

/**
 * The configured plans: CP_SUPPORT_PLANS when set, else the built-in ones. Parsed once per configuration value, not
 * once per request row (every list row and SLA tick computes its clocks from its plan).
 */
export function supportPlans(): Record<string, SupportPlan> {
  const source = env().CP_SUPPORT_PLANS;
  if (!parsed || parsed.source !== source) parsed = { source, plans: parseSupportPlans(source) };
  return parsed.plans;
}

/**
 * The plan a key names. A request keeps the key of the plan it opened under; if configuration later drops that
 * plan, its built-in namesake (or else the first configured plan) still gives its clocks hours to count in.
 */
export function supportPlanOf(key: string): SupportPlan {
  const plans = supportPlans();
  return plans[key] ?? DEFAULT_SUPPORT_PLANS[key] ?? Object.values(plans)[0]!;
}

/** The plans for display: key, name, hours and targets per severity. */
export function listSupportPlans() {
  return Object.entries(supportPlans()).map(([key, p]) => ({
    key,
    name: p.name,
    businessHours: p.businessHours,
    allHoursSeverities: p.allHoursSeverities,
    nearBreachPercent: p.nearBreachPercent,
    targets: SUPPORT_SEVERITIES.map((severity) => ({ severity, ...p.targets[severity] })),
  }));
}

/** SREs and staff admins choose an org's support plan (a configured key); new requests use it. */
export async function setSupportPlan(ctx: ActingContext, input: { orgId: string; plan: string }) {
  const plans = supportPlans();
  if (!Object.hasOwn(plans, input.plan)) {
    throw badRequest(`plan: must be one of ${Object.keys(plans).join(", ")}`, "plan");
  }
  return db().$transaction(async (tx) => {
    const org = await tx.organization.findUnique({
      where: { id: input.orgId },
      select: { id: true, supportPlan: true },
    });
    if (!org) throw notFound("Organization");
    if (org.supportPlan !== input.plan) {
      await tx.organization.update({ where: { id: org.id }, data: { supportPlan: input.plan } });
    }
    await recordAudit(tx, ctx, {
      action: "support.plan_change",
      targetType: "organization",
      targetId: org.id,
      orgId: org.id,
      before: { plan: org.supportPlan },
      after: { plan: input.plan },
    });
    return { orgId: org.id, plan: input.plan, name: plans[input.plan]!.name };
  });
}
