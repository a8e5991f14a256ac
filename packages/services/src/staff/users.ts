import { AppError, notFound, type StaffRole } from "@cp/core";
import { db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";

/** Staff admins look people up across orgs. */
export async function listUsers(search?: string | null) {
  const q = search?.trim().toLowerCase();
  const users = await db().user.findMany({
    where: q ? { OR: [{ email: { contains: q } }, { name: { contains: q, mode: "insensitive" } }] } : {},
    orderBy: { email: "asc" },
    take: 200,
    select: {
      id: true,
      email: true,
      name: true,
      staffRole: true,
      disabledAt: true,
      lastSignInAt: true,
      memberships: { select: { role: true, org: { select: { id: true, name: true } } } },
    },
  });
  return users.map((u) => ({
    ...u,
    memberships: u.memberships.map((m) => ({ orgId: m.org.id, orgName: m.org.name, role: m.role })),
  }));
}

export async function setStaffRole(ctx: ServiceContext, input: { userId: string; staffRole: StaffRole }) {
  return db().$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE "staffRole" = 'admin' FOR UPDATE`;
    const user = await tx.user.findUnique({
      where: { id: input.userId },
      select: { id: true, email: true, staffRole: true, disabledAt: true },
    });
    if (!user) throw notFound("User");
    if (user.staffRole === input.staffRole)
      return { id: user.id, email: user.email, staffRole: user.staffRole };
    // Only demoting an active admin can leave the provider without one.
    if (
      user.staffRole === "admin" &&
      !user.disabledAt &&
      (await tx.user.count({ where: { staffRole: "admin", disabledAt: null } })) === 1
    ) {
      throw new AppError(
        "PRECONDITION_FAILED",
        "staffRole: this is the last staff admin; make someone else a staff admin first.",
        "staffRole",
      );
    }
    const updated = await tx.user.update({
      where: { id: user.id },
      data: { staffRole: input.staffRole },
      select: { id: true, email: true, staffRole: true },
    });
    await recordAudit(tx, ctx, {
      action: "user.staff_role_change",
      targetType: "user",
      targetId: user.id,
      before: { email: user.email, staffRole: user.staffRole },
      after: { email: user.email, staffRole: input.staffRole },
    });
    return updated;
  });
}
