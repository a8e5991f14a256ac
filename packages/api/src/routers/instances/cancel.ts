import { ZId } from "@cp/core";
import { cancelOperation } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const cancel = orgProcedure("admin")
  .input(z.object({ instanceId: ZId, operationId: ZId }))
  .output(z.object({ status: z.enum(["cancelled", "cancelling"]) }))
  .mutation(({ ctx, input }) => cancelOperation(ctx.service, input));
