import { ZId } from "@cp/core";
import { setMaintenanceWindow } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZMaintenanceView, ZWindowInput } from "./shared";

/** Org admins (and SREs, staff admins) move the instance's biweekly window; deferrals of the old series are cleared. */
export const setWindow = orgProcedure("admin")
  .input(z.object({ instanceId: ZId, window: ZWindowInput }))
  .output(ZMaintenanceView)
  .mutation(({ ctx, input }) =>
    setMaintenanceWindow(ctx.service, input.orgId, input.instanceId, input.window),
  );
