// The support staff assigned to an org (primary and secondary): invited to its support channels and told of its
// support requests first.
import type { SupportAssignmentRole } from "@cp/core";
import { db, type Db } from "@cp/db";

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
