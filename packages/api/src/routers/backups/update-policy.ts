import { ZBackupPolicy, ZId } from "@cp/core";
import { updateBackupPolicy } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZPolicy } from "./shared";

/** Org admins change the schedule and retention, within the org's limits. */
export const updatePolicy = orgProcedure("admin")
  .input(z.object({ instanceId: ZId, policy: ZBackupPolicy }))
  .output(z.object({ policy: ZPolicy, nextBackupAt: z.date() }))
  .mutation(({ ctx, input }) => updateBackupPolicy(ctx.service, input));
