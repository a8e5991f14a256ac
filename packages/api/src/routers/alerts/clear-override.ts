import { ZId } from "@cp/core";
import { clearAlertRuleOverride } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** Removes an instance's override of a rule: the fleet default applies again. */
export const clearOverride = staffProcedure("sre")
  .input(z.object({ ruleId: ZId, instanceId: ZId }))
  .output(z.object({ cleared: z.boolean() }))
  .mutation(({ ctx, input }) => clearAlertRuleOverride(ctx.service, input));
