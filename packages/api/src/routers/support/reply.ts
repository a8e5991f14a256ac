import { ZId } from "@cp/core";
import { replyToSupportRequest } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZSupportBody, ZSupportStatus } from "./shared";

/** A reply in the thread, by the customer or by support; the other side is told. */
export const reply = orgProcedure("support")
  .input(z.object({ requestId: ZId, body: ZSupportBody }))
  .output(
    z.object({
      messageId: z.string(),
      status: ZSupportStatus,
      firstRespondedAt: z.date().nullable(),
      firstResponseBreachedAt: z.date().nullable(),
    }),
  )
  .mutation(({ ctx, input }) => replyToSupportRequest(ctx.service, input));
