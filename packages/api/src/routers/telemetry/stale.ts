import { telemetryStaleDeployments } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZPlatform } from "./shared";

/** Staff: deployments that have not reported for CP_TELEMETRY_STALE_DAYS days, or never; never-reported first. */
export const stale = staffProcedure("staff")
  .output(
    z.object({
      staleDays: z.number().int(),
      deployments: z.array(
        z.object({
          deploymentId: z.string(),
          orgId: z.string(),
          orgName: z.string(),
          name: z.string(),
          platform: ZPlatform,
          version: z.string(),
          lastReportAt: z.date().nullable(),
          lastReportDay: z.string().nullable(),
          createdAt: z.date(),
          silentDays: z.number().int().nullable(),
        }),
      ),
    }),
  )
  .query(({ ctx }) => telemetryStaleDeployments(ctx.actor));
