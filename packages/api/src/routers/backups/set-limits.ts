import { ZBackupLimits, ZId } from "@cp/core";
import { setBackupLimits } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins set the limits an org's admins choose backup policies within. */
export const setLimits = staffProcedure("sre")
  .input(z.object({ orgId: ZId, limits: ZBackupLimits }))
  .output(
    z.object({
      retentionMinDays: z.number().int(),
      retentionMaxDays: z.number().int(),
      minIntervalHours: z.number().int(),
    }),
  )
  .mutation(({ ctx, input }) => setBackupLimits(ctx.service, input));
