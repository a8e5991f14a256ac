import { ZId } from "@cp/core";
import { retryInstance } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const retry = orgProcedure("admin")
  .input(z.object({ instanceId: ZId }))
  .output(z.object({ operationId: z.string() }))
  .mutation(({ ctx, input }) => retryInstance(ctx.service, input));
