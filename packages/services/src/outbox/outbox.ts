// The notification outbox (DESIGN.md): messages are written in the same transaction as their cause, then
// delivered by the worker with retries. Delivery is idempotent per message: a sent message is never sent again,
// and every attempt carries the same Message-ID (e-mail) or x-cp-delivery id (webhooks) so a receiver can drop a
// duplicate after a crash.
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { db, type Db, type OutboxChannel, type OutboxMessage } from "@cp/db";
import { enqueue } from "@cp/jobs";
import nodemailer, { type Transporter } from "nodemailer";
import type { SlackClient } from "@cp/connectors";
import { deliverChannelPost } from "../support/channel-delivery";
import { attemptWebhookDelivery, type WebhookDeliveryOptions } from "../webhooks/deliver";

/** Channels the worker delivers; console notifications are written as sent. */
const DELIVERED: OutboxChannel[] = ["email", "webhook", "slack"];

export interface EmailInput {
  to: string;
  subject: string;
  text: string;
  orgId?: string | null;
  /** One message per key, however often the cause is retried. */
  dedupeKey?: string;
}

export async function queueEmail(tx: Db, input: EmailInput): Promise<string> {
  if (input.dedupeKey) {
    const existing = await tx.outboxMessage.findUnique({
      where: { dedupeKey: input.dedupeKey },
      select: { id: true },
    });
    if (existing) return existing.id;
  }
  const msg = await tx.outboxMessage.create({
    data: {
      channel: "email",
      toAddress: input.to,
      orgId: input.orgId ?? null,
      subject: input.subject,
      bodyText: input.text,
      dedupeKey: input.dedupeKey ?? null,
    },
    select: { id: true },
  });
  return msg.id;
}

/** A console notification for one user: shown in the console, nothing to deliver. */
export async function queueConsoleNotification(
  tx: Db,
  input: { userId: string; subject: string; text: string; orgId?: string | null },
): Promise<void> {
  await tx.outboxMessage.create({
    data: {
      channel: "console",
      userId: input.userId,
      orgId: input.orgId ?? null,
      subject: input.subject,
      bodyText: input.text,
      status: "sent",
      sentAt: new Date(),
    },
  });
}

/** After the transaction commits: wake the worker. If Redis is away, the outbox sweep delivers it later. */
export async function dispatchOutbox(messageIds: string[]): Promise<void> {
  for (const id of messageIds) {
    try {
      await enqueue("outboxDeliver", { messageId: id }, { dedupeOn: [id, "0"] });
    } catch (err) {
      logger().warn({ err, messageId: id }, "could not enqueue outbox delivery; the sweep will pick it up");
    }
  }
}

export type MailTransport = Pick<Transporter, "sendMail">;

export function createMailTransport(url: string = env().SMTP_URL): MailTransport {
  if (url.startsWith("log:")) {
    // Demo and development: print the mail instead of sending it.
    const json = nodemailer.createTransport({ jsonTransport: true });
    return {
      sendMail: async (mail) => {
        const info = await json.sendMail(mail);
        logger().info(
          { to: mail.to, subject: mail.subject, text: mail.text },
          "mail (not sent: SMTP_URL=log:)",
        );
        return info;
      },
    };
  }
  // Bounded timeouts: a hung server must fail the attempt well before the sweep's "stuck in sending" limit, or a
  // message could be sent twice.
  return nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  });
}

function backoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}

export type DeliveryResult = "sent" | "retry" | "failed" | "skipped";

export interface DeliveryOptions {
  webhook?: WebhookDeliveryOptions;
  /** Slack posts: the client to use (default: the configured workspace). */
  slack?: SlackClient | null;
}

export async function deliverOutboxMessage(
  messageId: string,
  transport: MailTransport,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const now = new Date();
  // Claim: only a due, pending message moves to sending, so two workers never send the same one.
  const claimed = await db().outboxMessage.updateMany({
    where: { id: messageId, channel: { in: DELIVERED }, status: "pending", nextAttemptAt: { lte: now } },
    data: { status: "sending", attempts: { increment: 1 } },
  });
  if (claimed.count === 0) return "skipped";
  const msg = await db().outboxMessage.findUniqueOrThrow({ where: { id: messageId } });
  if (msg.channel === "webhook") return deliverWebhook(msg, options.webhook);
  if (msg.channel === "slack") return deliverChannelPost(msg, options.slack);
  try {
    const info = await transport.sendMail({
      from: env().SMTP_FROM,
      to: msg.toAddress ?? undefined,
      subject: msg.subject,
      text: msg.bodyText,
      messageId: `<${msg.id}@control-plane.outbox>`,
    });
    await db().outboxMessage.update({
      where: { id: msg.id },
      data: {
        status: "sent",
        sentAt: new Date(),
        providerMessageId: String(info.messageId ?? ""),
        lastError: null,
      },
    });
    return "sent";
  } catch (err) {
    const final = msg.attempts >= env().CP_OUTBOX_MAX_ATTEMPTS;
    const reason = err instanceof Error ? err.message : String(err);
    await db().outboxMessage.update({
      where: { id: msg.id },
      data: {
        status: final ? "failed" : "pending",
        lastError: reason.slice(0, 1000),
        nextAttemptAt: new Date(Date.now() + backoffMs(msg.attempts)),
      },
    });
    logger().warn({ messageId: msg.id, attempts: msg.attempts, final, reason }, "mail delivery failed");
    return final ? "failed" : "retry";
  }
}

/**
 * Webhooks: a 2xx answer is sent; 408, 429, 5xx and network failures retry with the same backoff as mail, until
 * CP_OUTBOX_MAX_ATTEMPTS; any other answer (a 4xx, a redirect) fails the message at once.
 */
async function deliverWebhook(msg: OutboxMessage, options?: WebhookDeliveryOptions): Promise<DeliveryResult> {
  const attempt = await attemptWebhookDelivery(msg, options);
  if (attempt.outcome === "sent") {
    await db().outboxMessage.update({
      where: { id: msg.id },
      data: {
        status: "sent",
        sentAt: new Date(),
        providerMessageId: `HTTP ${attempt.status}`,
        lastError: null,
      },
    });
    return "sent";
  }
  const final = attempt.outcome === "failed" || msg.attempts >= env().CP_OUTBOX_MAX_ATTEMPTS;
  await db().outboxMessage.update({
    where: { id: msg.id },
    data: {
      status: final ? "failed" : "pending",
      lastError: attempt.reason.slice(0, 1000),
      nextAttemptAt: new Date(Date.now() + backoffMs(msg.attempts)),
    },
  });
  logger().warn(
    { messageId: msg.id, webhookId: msg.webhookId, attempts: msg.attempts, final, reason: attempt.reason },
    "webhook delivery failed",
  );
  return final ? "failed" : "retry";
}

/**
 * Finds messages that are due and enqueues their delivery: retries after a failure, and messages whose job Redis
 * lost. A message left in `sending` by a crashed worker is put back after `stuckAfterMs`.
 */
export async function sweepOutbox(
  options: { stuckAfterMs?: number; batch?: number; maxMessages?: number } = {},
): Promise<number> {
  const stuckBefore = new Date(Date.now() - (options.stuckAfterMs ?? 10 * 60_000));
  await db().outboxMessage.updateMany({
    where: { channel: { in: DELIVERED }, status: "sending", updatedAt: { lt: stuckBefore } },
    data: { status: "pending" },
  });
  // Every due message, oldest first, a page at a time: a backlog of old messages (already queued, so re-enqueueing
  // them is a no-op) must not hide a newer message whose job was lost.
  const batch = options.batch ?? 200;
  const max = options.maxMessages ?? 10_000;
  const now = new Date();
  let after: { nextAttemptAt: Date; id: string } | null = null;
  let swept = 0;
  while (swept < max) {
    const due: { id: string; attempts: number; nextAttemptAt: Date }[] = await db().outboxMessage.findMany({
      where: {
        channel: { in: DELIVERED },
        status: "pending",
        nextAttemptAt: { lte: now },
        ...(after
          ? {
              OR: [
                { nextAttemptAt: { gt: after.nextAttemptAt } },
                { nextAttemptAt: after.nextAttemptAt, id: { gt: after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ nextAttemptAt: "asc" }, { id: "asc" }],
      take: Math.min(batch, max - swept),
      select: { id: true, attempts: true, nextAttemptAt: true },
    });
    for (const m of due) {
      await enqueue("outboxDeliver", { messageId: m.id }, { dedupeOn: [m.id, String(m.attempts)] });
    }
    swept += due.length;
    const last = due.at(-1);
    if (!last || due.length < batch) break;
    after = { nextAttemptAt: last.nextAttemptAt, id: last.id };
  }
  return swept;
}
