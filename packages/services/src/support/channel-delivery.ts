// Delivers channel posts to Slack (outbox channel "slack", payload {postId}). A post written before its instance's
// channel exists waits (not a failure) until channel setup releases it. A message whose earlier attempt may have
// landed (the answer was lost) is looked up in the channel's history by its metadata before it is sent again, so a
// crash never posts twice. Rate limits set the next attempt from Slack's Retry-After.
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { SlackApiError, slackClientFromEnv, type SlackClient } from "@cp/connectors";
import { db, type OutboxMessage } from "@cp/db";

export type ChannelDeliveryResult = "sent" | "retry" | "failed";

/** How long a post waits for its channel before it looks again (channel setup also releases it at once). */
const WAIT_FOR_CHANNEL_MS = 60_000;

function backoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}

/** Called by deliverOutboxMessage with a claimed message (status sending, attempts already counted). */
export async function deliverChannelPost(
  msg: OutboxMessage,
  slack: SlackClient | null = slackClientFromEnv(),
): Promise<ChannelDeliveryResult> {
  const postId = (msg.payload as { postId?: unknown } | null)?.postId;
  const post =
    typeof postId === "string"
      ? await db().channelPost.findUnique({ where: { id: postId }, include: { channel: true } })
      : null;
  if (!post) return fail(msg, "The channel post no longer exists.");
  if (post.externalTs) return markSent(msg, post.id, post.externalTs, post.postedAt);
  if (!slack) return fail(msg, "Slack is no longer configured (SLACK_BOT_TOKEN is unset).");
  const channel =
    post.channel ?? (await db().supportChannel.findUnique({ where: { instanceId: post.instanceId } }));
  if (!channel || channel.provider !== "slack" || !channel.externalId || !channel.readyAt) {
    // Not a failure: channel setup sets the post's channel and wakes this message when the channel is ready.
    await db().outboxMessage.update({
      where: { id: msg.id },
      data: {
        status: "pending",
        attempts: { decrement: 1 },
        lastError: "Waiting for the instance's support channel to be set up.",
        nextAttemptAt: new Date(Date.now() + WAIT_FOR_CHANNEL_MS),
      },
    });
    return "retry";
  }
  try {
    if (msg.attempts > 1) {
      // An earlier attempt may have posted before its answer was lost: look before posting again.
      const oldest = Math.floor(post.createdAt.getTime() / 1000) - 60;
      const landed = await slack.findPostedMessage(channel.externalId, post.id, oldest);
      if (landed) return markSent(msg, post.id, landed, null, channel.id);
    }
    const { ts } = await slack.postMessage(channel.externalId, post.text, post.id);
    return markSent(msg, post.id, ts, null, channel.id);
  } catch (err) {
    const slackErr = err instanceof SlackApiError ? err : null;
    const reason = err instanceof Error ? err.message : String(err);
    if (slackErr?.rateLimited) {
      // Slack said when: wait that long; a rate limit is never the last straw.
      await db().outboxMessage.update({
        where: { id: msg.id },
        data: {
          status: "pending",
          lastError: reason.slice(0, 1000),
          nextAttemptAt: new Date(Date.now() + (slackErr.retryAfterSeconds ?? 30) * 1000),
        },
      });
      return "retry";
    }
    const final = (slackErr !== null && !slackErr.retryable) || msg.attempts >= env().CP_OUTBOX_MAX_ATTEMPTS;
    await db().outboxMessage.update({
      where: { id: msg.id },
      data: {
        status: final ? "failed" : "pending",
        lastError: reason.slice(0, 1000),
        nextAttemptAt: new Date(Date.now() + backoffMs(msg.attempts)),
      },
    });
    logger().warn(
      { messageId: msg.id, postId: post.id, attempts: msg.attempts, final, reason },
      "slack post failed",
    );
    return final ? "failed" : "retry";
  }
}

async function markSent(
  msg: OutboxMessage,
  postId: string,
  ts: string,
  postedAt: Date | null,
  channelId?: string,
): Promise<ChannelDeliveryResult> {
  const now = new Date();
  await db().$transaction([
    db().channelPost.update({
      where: { id: postId },
      data: { externalTs: ts, postedAt: postedAt ?? now, ...(channelId ? { channelId } : {}) },
    }),
    db().outboxMessage.update({
      where: { id: msg.id },
      data: { status: "sent", sentAt: now, providerMessageId: ts, lastError: null },
    }),
  ]);
  return "sent";
}

async function fail(msg: OutboxMessage, reason: string): Promise<ChannelDeliveryResult> {
  await db().outboxMessage.update({ where: { id: msg.id }, data: { status: "failed", lastError: reason } });
  logger().warn({ messageId: msg.id, reason }, "slack post not delivered");
  return "failed";
}
