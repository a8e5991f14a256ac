// Webhook endpoints: an org's own (orgId set; org admins, SREs and staff admins manage them) and fleet-wide ones
// (orgId null; SREs and staff admins) that receive every org's events. The API checks who may act on which scope;
// here every lookup is scoped by the same orgId, so an endpoint of another scope answers NOT_FOUND.
//
// The signing secret is generated here, returned once (create, rotate), and stored only encrypted, bound to the
// endpoint's id. Listing never returns it, and audit events never contain it.
import { randomUUID } from "node:crypto";
import { assertPublicUrl, encryptSecret, type GuardOptions } from "@cp/connectors";
import { badRequest, conflict, notFound, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "@cp/core";
import { db, type Db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";
import { dispatchOutbox } from "../outbox/outbox";
import { webhookSecretContext } from "./deliver";
import { createWebhookMessage } from "./queue";
import { generateWebhookSecret } from "./signature";

/** Per scope (an org, or the fleet): enough for several receivers, few enough that one event stays cheap. */
export const MAX_WEBHOOK_ENDPOINTS = 10;

export interface WebhookEndpointView {
  id: string;
  orgId: string | null;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: Date;
  lastDeliveryAt: Date | null;
  lastStatus: string | null;
}

const VIEW = {
  id: true,
  orgId: true,
  url: true,
  description: true,
  events: true,
  enabled: true,
  createdAt: true,
  lastDeliveryAt: true,
  lastStatus: true,
} as const;

function toView(row: Omit<WebhookEndpointView, "events"> & { events: string[] }): WebhookEndpointView {
  return { ...row, events: row.events.filter(isEventType) };
}

function isEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The scope's endpoints, oldest first. Never the secret. */
export async function listWebhookEndpoints(input: { orgId: string | null }): Promise<WebhookEndpointView[]> {
  const rows = await db().webhookEndpoint.findMany({
    where: { orgId: input.orgId },
    orderBy: { createdAt: "asc" },
    select: VIEW,
  });
  return rows.map(toView);
}

/**
 * https to a public address, or an address an operator allows (CP_ALLOWED_PRIVATE_HOSTS; the local cloud and tests
 * allow loopback, and there plain http is accepted). The delivery checks it again, against the addresses it
 * connects to. Errors name the `url` field and what to change.
 */
export async function validateWebhookUrl(
  url: string,
  opts: Pick<GuardOptions, "allow" | "lookup"> = {},
): Promise<string> {
  const checked = await assertPublicUrl(url, { ...opts, field: "url" });
  if (checked.url.hash) {
    throw badRequest("url: remove the #fragment; it is never sent to the server.", "url");
  }
  return checked.url.toString();
}

async function findEndpoint(tx: Db, orgId: string | null, webhookId: string) {
  const row = await tx.webhookEndpoint.findFirst({ where: { id: webhookId, orgId }, select: VIEW });
  if (!row) throw notFound("Webhook endpoint");
  return row;
}

export interface CreatedWebhookEndpoint {
  endpoint: WebhookEndpointView;
  /** Shown once: it is stored only encrypted and never returned again. */
  secret: string;
}

export async function createWebhookEndpoint(
  ctx: ServiceContext,
  input: { orgId: string | null; url: string; description: string; events: WebhookEventType[] },
  opts: Pick<GuardOptions, "allow" | "lookup"> = {},
): Promise<CreatedWebhookEndpoint> {
  const url = await validateWebhookUrl(input.url, opts);
  const events = [...new Set(input.events)];
  const secret = generateWebhookSecret();
  const id = randomUUID();
  const endpoint = await db().$transaction(async (tx) => {
    if (input.orgId !== null) {
      const org = await tx.organization.findUnique({ where: { id: input.orgId }, select: { id: true } });
      if (!org) throw notFound("Organization");
    }
    const count = await tx.webhookEndpoint.count({ where: { orgId: input.orgId } });
    if (count >= MAX_WEBHOOK_ENDPOINTS) {
      throw conflict(
        `url: ${input.orgId === null ? "the fleet" : "this organization"} already has ${count} webhook endpoints, ` +
          `the most allowed; delete one first.`,
        "url",
      );
    }
    const row = await tx.webhookEndpoint.create({
      data: {
        id,
        orgId: input.orgId,
        url,
        description: input.description.trim(),
        events,
        secretCiphertext: encryptSecret(secret, { associatedData: webhookSecretContext(id) }),
        createdById: ctx.actor.userId,
      },
      select: VIEW,
    });
    await recordAudit(tx, ctx, {
      action: "webhook.create",
      targetType: "webhook_endpoint",
      targetId: id,
      orgId: input.orgId,
      after: { url: row.url, description: row.description, events: row.events },
    });
    return row;
  });
  ctx.log.info({ webhookId: id, orgId: input.orgId }, "webhook endpoint created");
  return { endpoint: toView(endpoint), secret };
}

export async function deleteWebhookEndpoint(
  ctx: ServiceContext,
  input: { orgId: string | null; webhookId: string },
): Promise<{ ok: true }> {
  await db().$transaction(async (tx) => {
    const row = await findEndpoint(tx, input.orgId, input.webhookId);
    await tx.webhookEndpoint.delete({ where: { id: row.id } });
    // Nothing left to sign them with: pending deliveries end here rather than failing one by one later.
    await tx.outboxMessage.updateMany({
      where: { channel: "webhook", webhookId: row.id, status: "pending" },
      data: { status: "failed", lastError: "The webhook endpoint was deleted." },
    });
    await recordAudit(tx, ctx, {
      action: "webhook.delete",
      targetType: "webhook_endpoint",
      targetId: row.id,
      orgId: input.orgId,
      before: { url: row.url, description: row.description, events: row.events },
    });
  });
  return { ok: true };
}

/**
 * A new secret replaces the old one at once: deliveries still queued are signed with the new one when they are
 * sent. Returns the new secret, once.
 */
export async function rotateWebhookSecret(
  ctx: ServiceContext,
  input: { orgId: string | null; webhookId: string },
): Promise<{ secret: string }> {
  const secret = generateWebhookSecret();
  await db().$transaction(async (tx) => {
    const row = await findEndpoint(tx, input.orgId, input.webhookId);
    await tx.webhookEndpoint.update({
      where: { id: row.id },
      data: { secretCiphertext: encryptSecret(secret, { associatedData: webhookSecretContext(row.id) }) },
    });
    await recordAudit(tx, ctx, {
      action: "webhook.rotate_secret",
      targetType: "webhook_endpoint",
      targetId: row.id,
      orgId: input.orgId,
      after: { url: row.url },
    });
  });
  return { secret };
}

/** Queues a "webhook.test" delivery, signed and retried like any other. */
export async function sendTestWebhook(
  ctx: ServiceContext,
  input: { orgId: string | null; webhookId: string },
): Promise<{ deliveryId: string }> {
  const deliveryId = await db().$transaction(async (tx) => {
    const row = await findEndpoint(tx, input.orgId, input.webhookId);
    const id = await createWebhookMessage(tx, {
      endpointId: row.id,
      orgId: input.orgId,
      type: "webhook.test",
      occurredAt: new Date(),
      data: { endpointId: row.id, message: "A test delivery from the control plane." },
    });
    await recordAudit(tx, ctx, {
      action: "webhook.test",
      targetType: "webhook_endpoint",
      targetId: row.id,
      orgId: input.orgId,
      after: { deliveryId: id },
    });
    return id;
  });
  await dispatchOutbox([deliveryId]);
  return { deliveryId };
}
