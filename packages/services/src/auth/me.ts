import type { Actor } from "@cp/core";
import { db } from "@cp/db";

/** The signed-in user as the console shows them: orgs with names, staff role, unread notifications. */
export async function getMe(actor: Actor) {
  const [user, unread] = await Promise.all([
    db().user.findUniqueOrThrow({
      where: { id: actor.userId },
      select: {
        id: true,
        email: true,
        name: true,
        staffRole: true,
        memberships: {
          orderBy: { org: { name: "asc" } },
          select: { role: true, org: { select: { id: true, name: true, slug: true, plan: true } } },
        },
      },
    }),
    db().outboxMessage.count({ where: { channel: "console", userId: actor.userId, readAt: null } }),
  ]);
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    staffRole: user.staffRole,
    orgs: user.memberships.map((m) => ({ ...m.org, role: m.role })),
    unreadNotifications: unread,
    /** Neither a member of any org nor staff: the console asks them to get an invitation. */
    needsInvitation: user.memberships.length === 0 && user.staffRole === "none",
  };
}
