// The support staff assigned to an org (primary and secondary): invited to its support channels and told of its
// support requests first.
import { badRequest, notFound, type SupportAssignmentRole } from "@cp/core";
import { db, type Db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { wakeOperation } from "../operations/operations";
import { queueChannelSetupTx } from "./channel-setup";
import { supportPlanOf } from "./plans";

export interface AssignedStaff {
  role: SupportAssignmentRole;
  userId: string;
  email: string;
  name: string | null;
}

/** The org's assigned support staff, primary first; disabled accounts and former staff are left out. */
export async function assignedSupportStaff(orgId: string, tx: Db = db()): Promise<AssignedStaff[]> {
  const rows = await tx.supportAssignment.findMany({ where: { orgId }, orderBy: { role: "asc" } });
  if (rows.length === 0) return [];
  const users = await tx.user.findMany({
    where: { id: { in: rows.map((r) => r.userId) }, disabledAt: null, staffRole: { not: "none" } },
    select: { id: true, email: true, name: true },
  });
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.flatMap((r) => {
    const u = byId.get(r.userId);
    return u ? [{ role: r.role, userId: u.id, email: u.email, name: u.name }] : [];
  });
}

/** The org's support plan and its primary and secondary support (null when nobody holds the role). */
export async function getSupportAssignments(orgId: string) {
  const org = await db().organization.findUnique({ where: { id: orgId }, select: { supportPlan: true } });
  if (!org) throw notFound("Organization");
  const staff = await assignedSupportStaff(orgId);
  const holder = (role: SupportAssignmentRole) => {
    const s = staff.find((x) => x.role === role);
    return s ? { userId: s.userId, email: s.email, name: s.name } : null;
  };
  return {
    orgId,
    plan: { key: org.supportPlan, name: supportPlanOf(org.supportPlan).name },
    primary: holder("primary"),
    secondary: holder("secondary"),
  };
}

/** Provider staff who can be assigned to orgs (support, SREs, staff admins), by e-mail. */
export async function listSupportStaff() {
  return db().user.findMany({
    where: { staffRole: { not: "none" }, disabledAt: null },
    orderBy: { email: "asc" },
    select: { id: true, email: true, name: true, staffRole: true },
  });
}

/**
 * SREs and staff admins assign (or, with userId null, unassign) an org's primary or secondary support. A new
 * assignee is invited to the org's Slack channels by running their setup again (idempotent: it only adds what is
 * missing).
 */
export async function setSupportAssignment(
  ctx: ActingContext,
  input: { orgId: string; role: SupportAssignmentRole; userId: string | null },
) {
  const setups = await db().$transaction(async (tx) => {
    const org = await tx.organization.findUnique({ where: { id: input.orgId }, select: { id: true } });
    if (!org) throw notFound("Organization");
    if (input.userId !== null) {
      const user = await tx.user.findUnique({
        where: { id: input.userId },
        select: { staffRole: true, disabledAt: true },
      });
      if (!user || user.staffRole === "none" || user.disabledAt) {
        throw badRequest("userId: must be an active support, SRE or staff admin account", "userId");
      }
    }
    const key = { orgId_role: { orgId: org.id, role: input.role } };
    const before = await tx.supportAssignment.findUnique({ where: key, select: { userId: true } });
    if (input.userId === null) {
      await tx.supportAssignment.deleteMany({ where: { orgId: org.id, role: input.role } });
    } else {
      await tx.supportAssignment.upsert({
        where: key,
        create: { orgId: org.id, role: input.role, userId: input.userId, assignedById: ctx.actor.userId },
        update: { userId: input.userId, assignedById: ctx.actor.userId },
      });
    }
    await recordAudit(tx, ctx, {
      action: "support.assignment_change",
      targetType: "organization",
      targetId: org.id,
      orgId: org.id,
      before: { role: input.role, userId: before?.userId ?? null },
      after: { role: input.role, userId: input.userId },
    });
    if (input.userId === null || input.userId === before?.userId) return [];
    const channels = await tx.supportChannel.findMany({
      where: { orgId: org.id, provider: "slack", instance: { deletedAt: null, destroyedAt: null } },
      select: { instanceId: true },
    });
    const ops: string[] = [];
    for (const c of channels) {
      const op = await queueChannelSetupTx(tx, c.instanceId, ctx.actor.userId);
      if (op) ops.push(op);
    }
    return ops;
  });
  for (const op of setups) await wakeOperation(op);
  return getSupportAssignments(input.orgId);
}
