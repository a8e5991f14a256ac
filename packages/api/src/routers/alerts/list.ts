import { ZId } from "@cp/core";
import { listInstanceAlerts } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZAlert, ZAlertLimit, ZAlertStates } from "./shared";

/** An instance's alerts, newest first: anyone who may read the org (customers see their own instances' alerts). */
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
  .query(({ input }) => {
    const { orgId, instanceId, ...filter } = input;
    return listInstanceAlerts(orgId, instanceId, filter);
  });
