import { telemetryVersionLag } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZPlatform } from "./shared";

/** Staff: each deployment's version against the newest stable release, most releases behind first. */
export const versionLag = staffProcedure("staff")
  .output(
    z.object({
      latestVersion: z.string().nullable(),
      deployments: z.array(
        z.object({
          deploymentId: z.string(),
          orgId: z.string(),
          orgName: z.string(),
          name: z.string(),
          platform: ZPlatform,
          version: z.string(),
          releasesBehind: z.number().int().nullable(),
          lastReportAt: z.date().nullable(),
        }),
      ),
    }),
  )
  .query(({ ctx }) => telemetryVersionLag(ctx.actor));
