import { ZId } from "@cp/core";
import { setSupportPlan } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins choose an org's support plan (a configured plan key); new requests use it. */
export const setPlan = staffProcedure("sre")
  .input(
    z.object({
      orgId: ZId,
      plan: z.string().trim().min(1, "must name a plan").max(32, "must be at most 32 characters"),
    }),
  )
  .output(z.object({ orgId: z.string(), plan: z.string(), name: z.string() }))
  .mutation(({ ctx, input }) => setSupportPlan(ctx.service, input));
