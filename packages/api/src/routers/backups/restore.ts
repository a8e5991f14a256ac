import { ZId } from "@cp/core";
import { restoreBackup } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/** Restore into the same instance; the caller types the instance's name. A backup is taken first. */
export const restore = orgProcedure("admin")
  .input(
    z.object({
      backupId: ZId,
      confirmName: z.string().max(200, "must be at most 200 characters"),
    }),
  )
  .output(z.object({ operationId: z.string(), preRestoreBackupId: z.string() }))
  .mutation(({ ctx, input }) => restoreBackup(ctx.service, input));
