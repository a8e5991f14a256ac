import { listFleetBlackouts } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZFleetBlackout } from "./shared";

/** Staff: the fleet-wide blackout dates, oldest first. */
export const fleetBlackouts = staffProcedure("staff")
  .output(z.array(ZFleetBlackout))
  .query(({ ctx }) => listFleetBlackouts(ctx.actor));
