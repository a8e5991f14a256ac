import { ZAlertRuleOverrideInput } from "@cp/core";
import { setAlertRuleOverride } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins change a rule for one instance; null values keep the fleet default. */
export const setOverride = staffProcedure("sre")
  .input(ZAlertRuleOverrideInput)
  .output(
    z.object({
      ruleId: z.string(),
      instanceId: z.string(),
      threshold: z.number().nullable(),
      resolveThreshold: z.number().nullable(),
      forSeconds: z.number().int().nullable(),
      enabled: z.boolean().nullable(),
      reason: z.string().nullable(),
      updatedAt: z.date(),
    }),
  )
  .mutation(({ ctx, input }) => setAlertRuleOverride(ctx.service, input));
