import { removeFleetBlackout as removeFleetBlackoutUseCase } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZLocalDateInput } from "./shared";

/** SREs and staff admins remove a fleet-wide blackout date. */
export const removeFleetBlackout = staffProcedure("sre")
  .input(z.object({ date: ZLocalDateInput }))
  .output(z.object({ ok: z.literal(true) }))
  .mutation(({ ctx, input }) => removeFleetBlackoutUseCase(ctx.service, input));
