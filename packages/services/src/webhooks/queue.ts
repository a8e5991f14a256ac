// Webhook events go through the notification outbox: one message per matching endpoint, written in the caller's
// transaction so an event is queued exactly when its cause commits. Delivery (signing, POST, retries) is in
// outbox/outbox.ts.
import { randomUUID } from "node:crypto";
import type { WebhookEventType } from "@cp/core";
import type { Db, Prisma } from "@cp/db";

// "alert.firing" | "alert.resolved" | "alert.acknowledged", defined in @cp/core so forms and schemas share them.
export type { WebhookEventType };

export interface WebhookEvent {
  type: WebhookEventType;
  orgId: string;
  /** One delivery per endpoint and key, however often the cause is retried. */
  dedupeKey: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/**
 * Queues `event` for every enabled endpoint that wants it: the org's own endpoints and the fleet-wide ones (orgId
 * null), whose `events` list is empty (all events) or names the type. Returns the ids of the new messages; the
 * caller passes them to `dispatchOutbox` after its transaction commits.
 */
export async function queueWebhookEvent(tx: Db, event: WebhookEvent): Promise<string[]> {
  const endpoints = await tx.webhookEndpoint.findMany({
    where: {
      enabled: true,
      OR: [{ orgId: event.orgId }, { orgId: null }],
      AND: [{ OR: [{ events: { isEmpty: true } }, { events: { has: event.type } }] }],
    },
    select: { id: true },
    orderBy: { createdAt: "asc" },
  });
  const ids: string[] = [];
  for (const endpoint of endpoints) {
    const dedupeKey = `${event.dedupeKey}:${endpoint.id}`;
    const existing = await tx.outboxMessage.findUnique({ where: { dedupeKey }, select: { id: true } });
    if (existing) continue;
    ids.push(
      await createWebhookMessage(tx, {
        endpointId: endpoint.id,
        orgId: event.orgId,
        type: event.type,
        occurredAt: event.occurredAt,
        data: event.data,
        dedupeKey,
      }),
    );
  }
  return ids;
}

/** One delivery to one endpoint; the payload is what gets posted (and signed) at every attempt. */
export async function createWebhookMessage(
  tx: Db,
  input: {
    endpointId: string;
    orgId: string | null;
    type: string;
    occurredAt: Date;
    data: Record<string, unknown>;
    dedupeKey?: string;
  },
): Promise<string> {
  // The message id is also the payload's id and the x-cp-delivery header, so receivers can drop a redelivery.
  const id = randomUUID();
  const payload: Prisma.InputJsonObject = {
    id,
    type: input.type,
    occurredAt: input.occurredAt.toISOString(),
    data: JSON.parse(JSON.stringify(input.data)) as Prisma.InputJsonObject,
  };
  await tx.outboxMessage.create({
    data: {
      id,
      channel: "webhook",
      webhookId: input.endpointId,
      orgId: input.orgId,
      subject: input.type,
      bodyText: "",
      dedupeKey: input.dedupeKey ?? null,
      payload,
    },
    select: { id: true },
  });
  return id;
}
