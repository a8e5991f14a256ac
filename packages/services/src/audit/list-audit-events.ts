import { badRequest, type Actor, isStaff, toCsv } from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { keysetAfter, keysetResult, type KeysetPage } from "../pagination";

export interface AuditFilter {
  /** Required for customers; staff may omit it to see every org. */
  orgId?: string | null;
  actor?: string | null;
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

function where(actor: Actor, f: AuditFilter): Prisma.AuditEventWhereInput {
  if (!f.orgId && !isStaff(actor)) throw badRequest("orgId: choose an organization.", "orgId");
  const and: Prisma.AuditEventWhereInput[] = [];
  if (f.orgId) and.push({ orgId: f.orgId });
  if (f.actor) {
    const term = f.actor.trim();
    and.push({
      OR: [{ actorId: term }, { actorEmail: { contains: term.toLowerCase(), mode: "insensitive" } }],
    });
  }
  if (f.action) and.push({ action: { startsWith: f.action.trim() } });
  if (f.targetType) and.push({ targetType: f.targetType.trim() });
  if (f.targetId) and.push({ targetId: f.targetId.trim() });
  if (f.from) and.push({ createdAt: { gte: f.from } });
  if (f.to) and.push({ createdAt: { lte: f.to } });
  return { AND: and };
}

const select = {
  id: true,
  createdAt: true,
  actorId: true,
  actorEmail: true,
  actorStaffRole: true,
  viaStaff: true,
  ip: true,
  userAgent: true,
  action: true,
  targetType: true,
  targetId: true,
  orgId: true,
  before: true,
  after: true,
} satisfies Prisma.AuditEventSelect;

export type AuditEventView = Prisma.AuditEventGetPayload<{ select: typeof select }>;

/** Newest first, keyset-paginated. The caller has already checked access to `orgId` (or staff for all). */
export async function listAuditEvents(
  actor: Actor,
  filter: AuditFilter,
  page: KeysetPage,
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  const rows = await db().auditEvent.findMany({
    where: { AND: [where(actor, filter), keysetAfter(page.cursor)] },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: page.limit + 1,
    select,
  });
  return keysetResult(rows, page.limit);
}

export const AUDIT_EXPORT_LIMIT = 50_000;

/** The filtered events as CSV (formula-looking cells escaped), newest first, at most AUDIT_EXPORT_LIMIT rows. */
export async function exportAuditCsv(
  actor: Actor,
  filter: AuditFilter,
): Promise<{ csv: string; rows: number; truncated: boolean }> {
  const rows = await db().auditEvent.findMany({
    where: where(actor, filter),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: AUDIT_EXPORT_LIMIT + 1,
    select,
  });
  const truncated = rows.length > AUDIT_EXPORT_LIMIT;
  const kept = rows.slice(0, AUDIT_EXPORT_LIMIT);
  const csv = toCsv(
    [
      "time",
      "actor_id",
      "actor_email",
      "actor_staff_role",
      "via_staff",
      "ip",
      "user_agent",
      "action",
      "target_type",
      "target_id",
      "org_id",
      "before",
      "after",
    ],
    kept.map((e) => [
      e.createdAt,
      e.actorId,
      e.actorEmail,
      e.actorStaffRole,
      e.viaStaff,
      e.ip,
      e.userAgent,
      e.action,
      e.targetType,
      e.targetId,
      e.orgId,
      e.before,
      e.after,
    ]),
  );
  return { csv, rows: kept.length, truncated };
}
