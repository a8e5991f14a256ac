import { ZId } from "@cp/core";
import { getBackupPolicy } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZPolicy } from "./shared";

/** The instance's backup policy, the limits staff set for the org, and when the next backup runs. */
export const policy = orgProcedure("read")
  .input(z.object({ instanceId: ZId }))
  .output(
    z.object({
      policy: ZPolicy,
      limits: z.object({
        retentionMinDays: z.number().int(),
        retentionMaxDays: z.number().int(),
        minIntervalHours: z.number().int(),
      }),
      nextBackupAt: z.date().nullable(),
    }),
  )
  .query(({ input }) => getBackupPolicy(input.orgId, input.instanceId));
