import { ZId } from "@cp/core";
import { verifyBackupAgain } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/** Restore a completed backup into a scratch database again and compare it with what was dumped. */
export const verify = orgProcedure("admin")
  .input(z.object({ backupId: ZId }))
  .output(z.object({ operationId: z.string() }))
  .mutation(({ ctx, input }) => verifyBackupAgain(ctx.service, input));
