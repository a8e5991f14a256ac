import type { Actor } from "@cp/core";
import { db } from "@cp/db";

/**
 * Roles and memberships are read from the database on every request, never trusted from a token, so a demoted,
 * removed or disabled user loses access at once.
 */
export async function loadActor(userId: string): Promise<(Actor & { name: string | null }) | null> {
  const user = await db().user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      email: true,
      name: true,
      staffRole: true,
      disabledAt: true,
      memberships: { select: { orgId: true, role: true } },
    },
  });
  if (!user || user.disabledAt) return null;
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    staffRole: user.staffRole,
    memberships: user.memberships,
  };
}
