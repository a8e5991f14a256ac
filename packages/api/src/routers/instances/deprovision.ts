import { ZId } from "@cp/core";
import { deprovisionInstance } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const deprovision = orgProcedure("admin")
  .input(z.object({ instanceId: ZId, confirmName: z.string().max(100) }))
  .output(z.object({ operationId: z.string() }))
  .mutation(({ ctx, input }) => deprovisionInstance(ctx.service, input));
