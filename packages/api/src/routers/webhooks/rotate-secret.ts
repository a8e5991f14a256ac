import { rotateWebhookSecret } from "@cp/services";
import { z } from "zod";
import { orgOrFleetProcedure } from "../../trpc";
import { ZWebhookRef } from "./shared";

/** A new signing secret, in force at once and shown only in this answer. */
export const rotateSecret = orgOrFleetProcedure("admin", "sre")
  .input(ZWebhookRef)
  .output(z.object({ secret: z.string() }))
  .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.service, input));
