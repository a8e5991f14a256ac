// A campaign target follows its upgrade operation: the transaction that ends the operation settles the target, and
// a wake-up after commit lets the campaign start its next upgrade (or wave) at once instead of at the next tick.
import { logger } from "@cp/config/logger";
import type { Prisma } from "@cp/db";
import { enqueue, redis } from "@cp/jobs";

type Tx = Prisma.TransactionClient;

function targetOf(params: unknown): { targetId: string; campaignId: string } | null {
  const p = params as { targetId?: unknown; campaignId?: unknown } | null;
  return typeof p?.targetId === "string" && typeof p.campaignId === "string"
    ? { targetId: p.targetId, campaignId: p.campaignId }
    : null;
}

/**
 * Inside the operation's final transaction: the target of a campaign upgrade becomes succeeded, failed or (when the
 * upgrade was cancelled) skipped. Returns the campaign to wake after commit, if any.
 */
export async function settleCampaignTargetTx(
  tx: Tx,
  op: { kind: string; params?: unknown },
  outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string },
): Promise<string | null> {
  if (op.kind !== "upgrade") return null;
  const ref = targetOf(op.params);
  if (!ref) return null;
  const status = outcome.status === "cancelled" ? "skipped" : outcome.status;
  const error =
    outcome.status === "succeeded"
      ? null
      : outcome.status === "cancelled"
        ? `The upgrade was cancelled: ${outcome.error ?? ""}`.trim()
        : (outcome.error ?? "The upgrade failed.");
  const now = new Date();
  // Raw SQL: this runs at the end of every campaign upgrade, and the ORM's per-call cost is most of its time.
  const updated = await tx.$executeRaw`
    UPDATE "CampaignTarget"
       SET status = ${status}::"CampaignTargetStatus", error = ${error}, "finishedAt" = ${now}, "updatedAt" = ${now}
     WHERE id = ${ref.targetId} AND status IN ('pending', 'scheduled', 'upgrading')`;
  return updated ? ref.campaignId : null;
}

/**
 * After a rollback: the campaign target of the upgrade it undid (the instance's latest finished upgrade) is rolled
 * back. An upgrade started outside any campaign has no target, and no campaign's row changes.
 */
export async function markRolledBackTx(tx: Tx, instanceId: string): Promise<void> {
  const upgrade = await tx.operation.findFirst({
    where: { instanceId, kind: "upgrade", status: { in: ["succeeded", "failed"] } },
    orderBy: [{ finishedAt: "desc" }, { createdAt: "desc" }],
    select: { id: true },
  });
  if (!upgrade) return;
  await tx.campaignTarget.updateMany({
    where: { instanceId, operationId: upgrade.id, status: { in: ["succeeded", "failed"] } },
    data: { status: "rolled_back" },
  });
}

/** Wake-ups of a campaign so far (a Redis counter): a tick that sees it change while it ran runs again. */
export const wakeKey = (campaignId: string) => `cp:campaign-wakes:${campaignId}`;

/**
 * Wakes the campaign's driver. Wake-ups coalesce into one tick job per campaign (a burst of finished upgrades is one
 * tick, not one each); one arriving while that tick runs is not lost, because it counts up the wake counter, and
 * the tick runs again when the counter moved under it (advanceCampaigns).
 */
export async function wakeCampaign(campaignId: string): Promise<void> {
  try {
    await redis("producer").incr(wakeKey(campaignId));
    await enqueue("campaignTick", { campaignId }, { dedupeOn: [campaignId] });
  } catch (err) {
    logger().warn({ err, campaignId }, "could not wake the campaign; its periodic tick will advance it");
  }
}
