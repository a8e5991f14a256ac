import { createHash, randomBytes } from "node:crypto";
import { env } from "@cp/config";
import { AppError, conflict, notFound, type OrgRole } from "@cp/core";
import { db, type Db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext, RequestMeta, ServiceContext } from "../context";
import { dispatchOutbox, queueEmail } from "../outbox/outbox";
import { hashPassword } from "../auth/password";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface CreatedInvitation {
  id: string;
  email: string;
  role: OrgRole;
  expiresAt: Date;
}

/**
 * Creates an invitation and its e-mail inside `tx`. A pending invitation for the same address is revoked and
 * replaced, so the newest link is the only one that works. Returns the outbox message to dispatch after commit.
 */
export async function createInvitationTx(
  tx: Db,
  ctx: ActingContext,
  input: { orgId: string; orgName: string; email: string; role: OrgRole },
): Promise<{ invitation: CreatedInvitation; messageId: string }> {
  const member = await tx.membership.findFirst({
    where: { orgId: input.orgId, user: { email: input.email } },
    select: { id: true },
  });
  if (member) throw conflict(`email: ${input.email} is already a member of this organization.`, "email");
  // Only a still-usable invitation is replaced; an expired one keeps saying "expired".
  await tx.invitation.updateMany({
    where: {
      orgId: input.orgId,
      email: input.email,
      acceptedAt: null,
      revokedAt: null,
      expiresAt: { gt: new Date() },
    },
    data: { revokedAt: new Date() },
  });
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + env().CP_INVITATION_TTL_HOURS * 3600_000);
  const invitation = await tx.invitation.create({
    data: {
      orgId: input.orgId,
      email: input.email,
      role: input.role,
      tokenHash: hashToken(token),
      invitedById: ctx.actor.userId,
      expiresAt,
    },
    select: { id: true, email: true, role: true, expiresAt: true },
  });
  const link = new URL(`/invite/${token}`, env().NEXTAUTH_URL).toString();
  const messageId = await queueEmail(tx, {
    to: input.email,
    orgId: input.orgId,
    dedupeKey: `invitation:${invitation.id}`,
    subject: `You are invited to ${input.orgName}`,
    text: [
      `${ctx.actor.email} invited you to join ${input.orgName} as ${input.role === "admin" ? "an admin" : "a member"}.`,
      "",
      `Accept the invitation: ${link}`,
      "",
      `The link works once and expires on ${expiresAt.toUTCString()}.`,
    ].join("\n"),
  });
  await recordAudit(tx, ctx, {
    action: "invitation.create",
    targetType: "invitation",
    targetId: invitation.id,
    orgId: input.orgId,
    after: { email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt },
  });
  return { invitation, messageId };
}

export async function inviteMember(
  ctx: ServiceContext,
  input: { orgId: string; email: string; role: OrgRole },
): Promise<CreatedInvitation> {
  const { invitation, messageId } = await db().$transaction(async (tx) => {
    const org = await tx.organization.findUnique({ where: { id: input.orgId }, select: { name: true } });
    if (!org) throw notFound("Organization");
    return createInvitationTx(tx, ctx, { ...input, orgName: org.name });
  });
  await dispatchOutbox([messageId]);
  return invitation;
}

export type InvitationState = "pending" | "accepted" | "revoked" | "expired";

export function invitationState(
  i: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now = new Date(),
): InvitationState {
  if (i.acceptedAt) return "accepted";
  if (i.revokedAt) return "revoked";
  if (i.expiresAt <= now) return "expired";
  return "pending";
}

export async function listInvitations(orgId: string) {
  const rows = await db().invitation.findMany({
    where: { orgId },
    orderBy: [{ createdAt: "desc" }],
    take: 200,
    select: {
      id: true,
      email: true,
      role: true,
      createdAt: true,
      expiresAt: true,
      acceptedAt: true,
      revokedAt: true,
      invitedBy: { select: { email: true } },
    },
  });
  return rows.map((r) => ({ ...r, invitedBy: r.invitedBy?.email ?? null, state: invitationState(r) }));
}

export async function revokeInvitation(
  ctx: ServiceContext,
  input: { orgId: string; invitationId: string },
): Promise<void> {
  await db().$transaction(async (tx) => {
    const inv = await tx.invitation.findFirst({ where: { id: input.invitationId, orgId: input.orgId } });
    if (!inv) throw notFound("Invitation");
    const state = invitationState(inv);
    if (state !== "pending") {
      throw new AppError(
        "PRECONDITION_FAILED",
        `invitationId: this invitation is already ${state}; nothing to revoke.`,
        "invitationId",
      );
    }
    await tx.invitation.update({ where: { id: inv.id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, ctx, {
      action: "invitation.revoke",
      targetType: "invitation",
      targetId: inv.id,
      orgId: inv.orgId,
      before: { email: inv.email, role: inv.role, state },
      after: { state: "revoked" },
    });
  });
}

async function findUsable(tx: Db, token: string) {
  const inv = await tx.invitation.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { org: { select: { id: true, name: true } } },
  });
  if (!inv) throw notFound("Invitation");
  const state = invitationState(inv);
  if (state !== "pending") {
    const why = {
      accepted: "This invitation has already been used.",
      revoked: "This invitation was revoked. Ask an admin of the organization for a new one.",
      expired: "This invitation has expired. Ask an admin of the organization for a new one.",
    }[state];
    throw new AppError("PRECONDITION_FAILED", why);
  }
  return inv;
}

/** What the invitation page shows before sign-in. Unknown tokens are NOT_FOUND. */
export async function previewInvitation(token: string) {
  const inv = await db().invitation.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { org: { select: { name: true } } },
  });
  if (!inv) throw notFound("Invitation");
  const hasAccount = (await db().user.count({ where: { email: inv.email } })) > 0;
  return {
    orgName: inv.org.name,
    email: inv.email,
    role: inv.role,
    state: invitationState(inv),
    expiresAt: inv.expiresAt,
    hasAccount,
  };
}

async function joinTx(tx: Db, inv: { id: string; orgId: string; role: OrgRole }, userId: string) {
  // Claim the invitation first: of two accepts racing on one link, exactly one gets it.
  const claimed = await tx.invitation.updateMany({
    where: { id: inv.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    data: { acceptedAt: new Date(), acceptedById: userId },
  });
  if (claimed.count === 0)
    throw new AppError("PRECONDITION_FAILED", "This invitation has already been used.");
  await tx.membership.upsert({
    where: { orgId_userId: { orgId: inv.orgId, userId } },
    create: { orgId: inv.orgId, userId, role: inv.role },
    update: {},
  });
}

/** The signed-in user accepts an invitation sent to their own address. */
export async function acceptInvitation(ctx: ServiceContext, token: string): Promise<{ orgId: string }> {
  return db().$transaction(async (tx) => {
    const inv = await findUsable(tx, token);
    if (inv.email !== ctx.actor.email.toLowerCase()) {
      throw new AppError(
        "FORBIDDEN",
        `This invitation was sent to ${inv.email}. Sign out and sign in with that address to accept it.`,
      );
    }
    await joinTx(tx, inv, ctx.actor.userId);
    await recordAudit(
      tx,
      {
        ...ctx,
        actor: {
          ...ctx.actor,
          memberships: [...ctx.actor.memberships, { orgId: inv.orgId, role: inv.role }],
        },
      },
      {
        action: "invitation.accept",
        targetType: "invitation",
        targetId: inv.id,
        orgId: inv.orgId,
        after: { email: inv.email, role: inv.role },
      },
    );
    return { orgId: inv.orgId };
  });
}

/** Someone without an account accepts by creating a local account (when local accounts are enabled). */
export async function acceptInvitationWithNewAccount(
  meta: Pick<RequestMeta, "ip" | "userAgent">,
  input: { token: string; name: string; password: string },
): Promise<{ email: string; orgId: string }> {
  if (!env().CP_LOCAL_ACCOUNTS) {
    throw new AppError(
      "PRECONDITION_FAILED",
      "Local accounts are disabled here; sign in with single sign-on to accept.",
    );
  }
  // Check the link before spending a password hash on it: made-up tokens cost the server nothing.
  await findUsable(db(), input.token);
  const passwordHash = await hashPassword(input.password);
  return db().$transaction(async (tx) => {
    const inv = await findUsable(tx, input.token);
    const existing = await tx.user.findUnique({ where: { email: inv.email }, select: { id: true } });
    if (existing)
      throw conflict("An account with this e-mail already exists. Sign in to accept the invitation.");
    const user = await tx.user.create({
      data: { email: inv.email, name: input.name, passwordHash, emailVerifiedAt: new Date() },
      select: { id: true, email: true, staffRole: true },
    });
    await joinTx(tx, inv, user.id);
    const actor = {
      userId: user.id,
      email: user.email,
      staffRole: user.staffRole,
      memberships: [{ orgId: inv.orgId, role: inv.role }],
    };
    await recordAudit(
      tx,
      { actor, ...meta },
      {
        action: "invitation.accept",
        targetType: "invitation",
        targetId: inv.id,
        orgId: inv.orgId,
        after: { email: inv.email, role: inv.role, accountCreated: true },
      },
    );
    return { email: user.email, orgId: inv.orgId };
  });
}
