import { conflict, notFound, readableOrgs, type Actor, type OrgRole, type Plan } from "@cp/core";
import { db, isUniqueViolation } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";
import { createInvitationTx } from "../invitations/invitations";
import { dispatchOutbox } from "../outbox/outbox";

export interface OrgSummary {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  instanceQuota: number;
  /** The limits within which the org's admins choose backup policies. */
  backupLimits: { retentionMinDays: number; retentionMaxDays: number; minIntervalHours: number };
  /** The caller's role, or null for staff who are not members. */
  role: OrgRole | null;
}

/** Customers see their own orgs; staff see every org (optionally searched). */
export async function listOrganizations(actor: Actor, search?: string | null): Promise<OrgSummary[]> {
  const scope = readableOrgs(actor);
  const term = search?.trim();
  const orgs = await db().organization.findMany({
    where: {
      ...(scope === "all" ? {} : { id: { in: scope } }),
      ...(term
        ? {
            OR: [
              { name: { contains: term, mode: "insensitive" } },
              { slug: { contains: term.toLowerCase() } },
            ],
          }
        : {}),
    },
    orderBy: { name: "asc" },
    take: 500,
    select: {
      id: true,
      name: true,
      slug: true,
      plan: true,
      instanceQuota: true,
      backupRetentionMinDays: true,
      backupRetentionMaxDays: true,
      backupMinIntervalHours: true,
    },
  });
  return orgs.map(({ backupRetentionMinDays, backupRetentionMaxDays, backupMinIntervalHours, ...o }) => ({
    ...o,
    backupLimits: {
      retentionMinDays: backupRetentionMinDays,
      retentionMaxDays: backupRetentionMaxDays,
      minIntervalHours: backupMinIntervalHours,
    },
    role: actor.memberships.find((m) => m.orgId === o.id)?.role ?? null,
  }));
}

export async function getOrganization(orgId: string) {
  const org = await db().organization.findUnique({
    where: { id: orgId },
    select: {
      id: true,
      name: true,
      slug: true,
      plan: true,
      instanceQuota: true,
      createdAt: true,
      _count: { select: { memberships: true, instances: { where: { deletedAt: null } } } },
    },
  });
  if (!org) throw notFound("Organization");
  return { ...org, memberCount: org._count.memberships, instanceCount: org._count.instances };
}

/** Staff admins create a customer org and invite its first admin, in one transaction. */
export async function createOrganization(
  ctx: ServiceContext,
  input: { name: string; slug: string; plan: Plan; firstAdminEmail: string; instanceQuota?: number },
) {
  try {
    const { org, messageId } = await db().$transaction(async (tx) => {
      const org = await tx.organization.create({
        data: {
          name: input.name,
          slug: input.slug,
          plan: input.plan,
          instanceQuota: input.instanceQuota ?? 3,
        },
        select: { id: true, name: true, slug: true, plan: true, instanceQuota: true },
      });
      await recordAudit(tx, ctx, {
        action: "org.create",
        targetType: "organization",
        targetId: org.id,
        orgId: org.id,
        after: org,
      });
      const { messageId } = await createInvitationTx(tx, ctx, {
        orgId: org.id,
        orgName: org.name,
        email: input.firstAdminEmail,
        role: "admin",
      });
      return { org, messageId };
    });
    await dispatchOutbox([messageId]);
    return org;
  } catch (err) {
    if (isUniqueViolation(err, "slug"))
      throw conflict(`slug: "${input.slug}" is taken; choose another.`, "slug");
    throw err;
  }
}

/** Staff set how many dedicated instances an org may have; the order wizard explains it when reached. */
export async function setInstanceQuota(ctx: ServiceContext, input: { orgId: string; instanceQuota: number }) {
  return db().$transaction(async (tx) => {
    const org = await tx.organization.findUnique({
      where: { id: input.orgId },
      select: { id: true, instanceQuota: true },
    });
    if (!org) throw notFound("Organization");
    const updated = await tx.organization.update({
      where: { id: org.id },
      data: { instanceQuota: input.instanceQuota },
      select: { id: true, instanceQuota: true },
    });
    await recordAudit(tx, ctx, {
      action: "org.quota_change",
      targetType: "organization",
      targetId: org.id,
      orgId: org.id,
      before: { instanceQuota: org.instanceQuota },
      after: { instanceQuota: input.instanceQuota },
    });
    return updated;
  });
}
