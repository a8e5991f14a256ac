import { ZId } from "@cp/core";
import { deferMaintenanceWindow } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZMaintenanceView } from "./shared";

/** Org admins (and SREs, staff admins) defer one upcoming window, a limited number of times in a row. */
export const defer = orgProcedure("admin")
  .input(
    z.object({ instanceId: ZId, windowStart: z.date({ error: "must be the start of a listed window" }) }),
  )
  .output(ZMaintenanceView)
  .mutation(({ ctx, input }) =>
    deferMaintenanceWindow(ctx.service, input.orgId, input.instanceId, input.windowStart),
  );
