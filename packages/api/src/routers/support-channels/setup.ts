import { ZId } from "@cp/core";
import { requestChannelSetup } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/**
 * Provider staff (support, SREs, staff admins) set up an instance's support channel, or run setup again; customers
 * may not. While a setup is queued or running, that one is returned.
 */
export const setup = orgProcedure("support")
  .input(z.object({ instanceId: ZId }))
  .output(z.object({ operationId: z.string(), created: z.boolean() }))
  .mutation(({ ctx, input }) => requestChannelSetup(ctx.service, input));
