import { ZId } from "@cp/core";
import { getMaintenance } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZMaintenanceView } from "./shared";

/** An instance's window, blackouts, deferrals, next three windows (instants) and planned work. */
export const get = orgProcedure("read")
  .input(z.object({ instanceId: ZId }))
  .output(ZMaintenanceView)
  .query(({ ctx, input }) => getMaintenance(ctx.actor, input.orgId, input.instanceId));
