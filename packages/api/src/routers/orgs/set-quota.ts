import { ZId } from "@cp/core";
import { setInstanceQuota } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins set an org's dedicated-instance quota. */
export const setQuota = staffProcedure("sre")
  .input(
    z.object({
      orgId: ZId,
      instanceQuota: z.number().int().min(0, "must be 0 or more").max(1000, "must be at most 1000"),
    }),
  )
  .output(z.object({ id: z.string(), instanceQuota: z.number().int() }))
  .mutation(({ ctx, input }) => setInstanceQuota(ctx.service, input));
