import { db } from "@cp/db";

/** The user's console notifications, newest first. */
export async function listNotifications(userId: string) {
  return db().outboxMessage.findMany({
    where: { channel: "console", userId },
    orderBy: { createdAt: "desc" },
    take: 50,
    select: { id: true, subject: true, bodyText: true, orgId: true, createdAt: true, readAt: true },
  });
}

export async function markNotificationsRead(userId: string): Promise<{ updated: number }> {
  const r = await db().outboxMessage.updateMany({ where: { channel: "console", userId, readAt: null }, data: { readAt: new Date() } });
  return { updated: r.count };
}
