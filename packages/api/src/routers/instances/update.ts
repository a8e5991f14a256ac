import { ZId, ZUpdateInput } from "@cp/core";
import { updateInstance } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const update = orgProcedure("admin")
  .input(z.object({ instanceId: ZId, patch: ZUpdateInput }))
  .output(z.object({ operationId: z.string() }))
  .mutation(({ ctx, input }) => updateInstance(ctx.service, input));
