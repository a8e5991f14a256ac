import { telemetryFleetSeries } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZCounterPick, ZDays, ZSeriesKey, ZSeriesValues } from "./shared";

/** Staff: the fleet's counters summed per day, with how many deployments reported each day. */
export const fleetSeries = staffProcedure("staff")
  .input(z.object({ counters: ZCounterPick, days: ZDays }).default({}))
  .output(
    z.object({
      from: z.string(),
      to: z.string(),
      counters: z.array(ZSeriesKey),
      points: z.array(z.object({ day: z.string(), deployments: z.number().int(), values: ZSeriesValues })),
    }),
  )
  .query(({ ctx, input }) => telemetryFleetSeries(ctx.actor, input));
