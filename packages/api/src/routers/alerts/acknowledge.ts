import { ZId } from "@cp/core";
import { acknowledgeAlert } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** An SRE (or staff admin) takes a firing alert: its notifications stop; it stays open until it resolves. */
export const acknowledge = staffProcedure("sre")
  .input(z.object({ alertId: ZId }))
  .output(
    z.object({
      id: z.string(),
      state: z.string(),
      acknowledgedAt: z.date().nullable(),
      acknowledgedByEmail: z.string(),
    }),
  )
  .mutation(({ ctx, input }) => acknowledgeAlert(ctx.service, input.alertId));
