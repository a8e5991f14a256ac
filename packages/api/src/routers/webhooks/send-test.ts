import { sendTestWebhook } from "@cp/services";
import { z } from "zod";
import { orgOrFleetProcedure } from "../../trpc";
import { ZWebhookRef } from "./shared";

/** Queues a signed "webhook.test" delivery; its outcome shows as the endpoint's last delivery. */
export const sendTest = orgOrFleetProcedure("admin", "sre")
  .input(ZWebhookRef)
  .output(z.object({ deliveryId: z.string() }))
  .mutation(({ ctx, input }) => sendTestWebhook(ctx.service, input));
