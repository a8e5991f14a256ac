import { ZId } from "@cp/core";
import { listAlerts } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZAlert, ZAlertLimit, ZAlertStates } from "./shared";

/** Alerts across the fleet (optionally one org's or one instance's), newest first: provider staff. */
export const fleet = staffProcedure("staff")
  .input(
    z.object({
      orgId: ZId.optional(),
      instanceId: ZId.optional(),
      states: ZAlertStates.optional(),
      since: z.date({ error: "must be a date" }).optional(),
      limit: ZAlertLimit.default(100),
    }),
  )
  .output(z.array(ZAlert))
  .query(({ input }) => listAlerts(input));
