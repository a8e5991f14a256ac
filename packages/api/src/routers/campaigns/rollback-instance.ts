import { ZId } from "@cp/core";
import { rollbackInstance as rollback } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins only (customers may not): back to the version before the last upgrade. */
export const rollbackInstance = staffProcedure("sre")
  .input(z.object({ orgId: ZId, instanceId: ZId }))
  .output(z.object({ operationId: z.string(), toVersion: z.string() }))
  .mutation(({ ctx, input }) => rollback(ctx.service, input.orgId, input.instanceId));
