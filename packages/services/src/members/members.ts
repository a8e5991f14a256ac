import { AppError, notFound, type OrgRole } from "@cp/core";
import { db, type Db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";

export async function listMembers(orgId: string) {
  const rows = await db().membership.findMany({
    where: { orgId },
    orderBy: [{ role: "asc" }, { createdAt: "asc" }],
    select: {
      id: true,
      role: true,
      createdAt: true,
      user: { select: { id: true, email: true, name: true, lastSignInAt: true } },
    },
  });
  return rows.map((m) => ({
    id: m.id,
    role: m.role,
    joinedAt: m.createdAt,
    userId: m.user.id,
    email: m.user.email,
    name: m.user.name,
    lastSignInAt: m.user.lastSignInAt,
  }));
}

/**
 * Locks the org's memberships for the rest of the transaction, so two admins demoting each other at once cannot
 * leave the org without an admin.
 */
async function lockMemberships(tx: Db, orgId: string) {
  await tx.$queryRaw`SELECT id FROM "Membership" WHERE "orgId" = ${orgId} FOR UPDATE`;
  const all = await tx.membership.findMany({
    where: { orgId },
    select: { id: true, role: true, userId: true, user: { select: { email: true } } },
  });
  return all;
}

const LAST_ADMIN = "An organization needs at least one admin. Make another member an admin first.";

export async function changeMemberRole(
  ctx: ServiceContext,
  input: { orgId: string; membershipId: string; role: OrgRole },
) {
  return db().$transaction(async (tx) => {
    const all = await lockMemberships(tx, input.orgId);
    const target = all.find((m) => m.id === input.membershipId);
    if (!target) throw notFound("Member");
    if (target.role === input.role) return { id: target.id, role: target.role };
    if (target.role === "admin" && all.filter((m) => m.role === "admin").length === 1) {
      throw new AppError("PRECONDITION_FAILED", `role: ${LAST_ADMIN}`, "role");
    }
    await tx.membership.update({ where: { id: target.id }, data: { role: input.role } });
    await recordAudit(tx, ctx, {
      action: "member.role_change",
      targetType: "membership",
      targetId: target.id,
      orgId: input.orgId,
      before: { email: target.user.email, role: target.role },
      after: { email: target.user.email, role: input.role },
    });
    return { id: target.id, role: input.role };
  });
}

export async function removeMember(ctx: ServiceContext, input: { orgId: string; membershipId: string }) {
  await db().$transaction(async (tx) => {
    const all = await lockMemberships(tx, input.orgId);
    const target = all.find((m) => m.id === input.membershipId);
    if (!target) throw notFound("Member");
    if (target.role === "admin" && all.filter((m) => m.role === "admin").length === 1) {
      throw new AppError("PRECONDITION_FAILED", `membershipId: ${LAST_ADMIN}`, "membershipId");
    }
    await tx.membership.delete({ where: { id: target.id } });
    await recordAudit(tx, ctx, {
      action: "member.remove",
      targetType: "membership",
      targetId: target.id,
      orgId: input.orgId,
      before: { email: target.user.email, role: target.role, userId: target.userId },
    });
  });
}
