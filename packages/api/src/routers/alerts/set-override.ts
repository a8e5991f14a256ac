import { ZAlertRuleOverrideInput } from "@cp/core";
import { setAlertRuleOverride } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZOverride } from "./shared";

/** SREs and staff admins change a rule for one instance; null values keep the fleet default. */
export const setOverride = staffProcedure("sre")
  .input(ZAlertRuleOverrideInput)
  .output(ZOverride.extend({ ruleId: z.string(), instanceId: z.string() }))
  .mutation(({ ctx, input }) => setAlertRuleOverride(ctx.service, input));
