import { ZId } from "@cp/core";
import { takeBackup } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/** A manual backup, queued behind the instance's other operations. */
export const create = orgProcedure("admin")
  .input(z.object({ instanceId: ZId }))
  .output(z.object({ backupId: z.string(), operationId: z.string() }))
  .mutation(({ ctx, input }) => takeBackup(ctx.service, input));
