import { WEBHOOK_EVENT_TYPES, ZId } from "@cp/core";
import { z } from "zod";

/** An endpoint as callers see it: never its secret. */
export const ZWebhookEndpoint = z.object({
  id: z.string(),
  orgId: z.string().nullable(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  enabled: z.boolean(),
  createdAt: z.date(),
  lastDeliveryAt: z.date().nullable(),
  lastStatus: z.string().nullable(),
});

export const ZWebhookRef = z.object({ webhookId: ZId });
