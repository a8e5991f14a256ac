import { WEBHOOK_DESCRIPTION_MAX, WEBHOOK_EVENT_TYPES, WEBHOOK_URL_MAX } from "@cp/core";
import { createWebhookEndpoint } from "@cp/services";
import { z } from "zod";
import { orgOrFleetProcedure } from "../../trpc";
import { ZWebhookEndpoint } from "./shared";

/** A new endpoint; the answer carries its signing secret, the only time it is ever shown. */
export const create = orgOrFleetProcedure("admin", "sre")
  .input(
    z.object({
      url: z
        .string()
        .trim()
        .min(1, "is required")
        .max(WEBHOOK_URL_MAX, `must be at most ${WEBHOOK_URL_MAX} characters`),
      description: z
        .string()
        .trim()
        .max(WEBHOOK_DESCRIPTION_MAX, `must be at most ${WEBHOOK_DESCRIPTION_MAX} characters`)
        .default(""),
      /** Empty: every event. */
      events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length).default([]),
    }),
  )
  .output(z.object({ endpoint: ZWebhookEndpoint, secret: z.string() }))
  .mutation(({ ctx, input }) => createWebhookEndpoint(ctx.service, input));
