import { ZId } from "@cp/core";
import { setInstanceBlackouts } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZLocalDateInput, ZMaintenanceView } from "./shared";

/** Org admins (and SREs, staff admins) replace the instance's blackout dates (local to the window's zone). */
export const setBlackouts = orgProcedure("admin")
  .input(z.object({ instanceId: ZId, dates: z.array(ZLocalDateInput).max(200, "too many dates") }))
  .output(ZMaintenanceView)
  .mutation(({ ctx, input }) =>
    setInstanceBlackouts(ctx.service, input.orgId, input.instanceId, input.dates),
  );
