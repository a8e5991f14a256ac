import { isStaff, ZId } from "@cp/core";
import { listInstanceAlerts } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZAlert, ZAlertLimit, ZAlertStates } from "./shared";

/**
 * An instance's alerts, newest first: anyone who may read the org (customers see their own instances' alerts, without
 * the acknowledging staff member's address).
 */
export const list = orgProcedure("read")
  .input(
    z.object({
      instanceId: ZId,
      states: ZAlertStates.optional(),
      since: z.date({ error: "must be a date" }).optional(),
      limit: ZAlertLimit.default(50),
    }),
  )
  .output(z.array(ZAlert))
  .query(async ({ ctx, input }) => {
    const { orgId, instanceId, ...filter } = input;
    const alerts = await listInstanceAlerts(orgId, instanceId, filter);
    // Customers see that the provider acknowledged, not which staff member's address did.
    return isStaff(ctx.actor) ? alerts : alerts.map((a) => ({ ...a, acknowledgedByEmail: null }));
  });
