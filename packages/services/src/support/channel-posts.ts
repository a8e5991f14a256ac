// Posts to an instance's support channel (alerts, maintenance notices, upgrade results, support requests, setup).
// A post is written in the same transaction as its cause, once per dedupeKey; delivery happens later (Slack through
// the outbox, or console notifications when Slack is not configured). Owned by the support-channel work.
import type { ChannelPostKind } from "@cp/core";
import type { Db } from "@cp/db";

export interface ChannelPostInput {
  instanceId: string;
  kind: ChannelPostKind;
  /** Plain text (Slack mrkdwn is not used: the same text is shown in the console). */
  text: string;
  /** One post per key, however often the cause is retried (e.g. `alert:<id>:firing`). */
  dedupeKey: string;
}

/**
 * Records a post for the instance's channel and arranges its delivery. Returns the post's id; a repeated key returns
 * the first post's id and changes nothing. A deleted instance gets no post (returns null).
 */
export async function postToInstanceChannel(tx: Db, input: ChannelPostInput): Promise<string | null> {
  const existing = await tx.channelPost.findUnique({
    where: { dedupeKey: input.dedupeKey },
    select: { id: true },
  });
  if (existing) return existing.id;
  const instance = await tx.instance.findUnique({
    where: { id: input.instanceId },
    select: { orgId: true, destroyedAt: true, channel: { select: { id: true } } },
  });
  if (!instance || instance.destroyedAt) return null;
  const post = await tx.channelPost.create({
    data: {
      instanceId: input.instanceId,
      orgId: instance.orgId,
      channelId: instance.channel?.id ?? null,
      kind: input.kind,
      text: input.text,
      dedupeKey: input.dedupeKey,
    },
    select: { id: true },
  });
  return post.id;
}
