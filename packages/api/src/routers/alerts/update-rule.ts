import { ZAlertRulePatch, ZId } from "@cp/core";
import { updateAlertRule } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins edit a fleet default (threshold, resolve threshold, for-duration, severity, runbook...). */
export const updateRule = staffProcedure("sre")
  .input(z.object({ ruleId: ZId, patch: ZAlertRulePatch }))
  .output(z.object({ id: z.string(), key: z.string(), updatedAt: z.date() }))
  .mutation(({ ctx, input }) => updateAlertRule(ctx.service, input.ruleId, input.patch));
