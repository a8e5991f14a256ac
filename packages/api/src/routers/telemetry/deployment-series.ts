import { ZId } from "@cp/core";
import { telemetryDeploymentSeries } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZCounterPick, ZDays, ZSeriesKey, ZSeriesValues } from "./shared";

/** One deployment's counters per day (default the last 90 days) and its newest report. Org members and staff. */
export const deploymentSeries = orgProcedure("read")
  .input(z.object({ deploymentId: ZId, counters: ZCounterPick, days: ZDays }))
  .output(
    z.object({
      deployment: z.object({
        id: z.string(),
        orgId: z.string(),
        name: z.string(),
        version: z.string(),
        lastReportAt: z.date().nullable(),
        lastReportDay: z.string().nullable(),
      }),
      from: z.string(),
      to: z.string(),
      counters: z.array(ZSeriesKey),
      points: z.array(z.object({ day: z.string(), values: ZSeriesValues })),
      latest: z
        .object({
          day: z.string(),
          version: z.string(),
          receivedAt: z.date(),
          replacements: z.number().int(),
          values: ZSeriesValues,
        })
        .nullable(),
    }),
  )
  .query(({ ctx, input }) => telemetryDeploymentSeries(ctx.actor, input));
