import { db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";

/** The user's console notifications, newest first. */
export async function listNotifications(userId: string) {
  return db().outboxMessage.findMany({
    where: { channel: "console", userId },
    orderBy: { createdAt: "desc" },
    take: 50,
    select: { id: true, subject: true, bodyText: true, orgId: true, createdAt: true, readAt: true },
  });
}

export async function markNotificationsRead(ctx: ActingContext): Promise<{ updated: number }> {
  return db().$transaction(async (tx) => {
    const r = await tx.outboxMessage.updateMany({
      where: { channel: "console", userId: ctx.actor.userId, readAt: null },
      data: { readAt: new Date() },
    });
    await recordAudit(tx, ctx, {
      action: "notification.mark_all_read",
      targetType: "user",
      targetId: ctx.actor.userId,
      after: { updated: r.count },
    });
    return { updated: r.count };
  });
}
