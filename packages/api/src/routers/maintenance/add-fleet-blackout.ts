import { addFleetBlackout as addFleetBlackoutUseCase } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZFleetBlackout, ZLocalDateInput } from "./shared";

/** SREs and staff admins add a fleet-wide blackout date (no window starting or ending on it does work). */
export const addFleetBlackout = staffProcedure("sre")
  .input(z.object({ date: ZLocalDateInput, reason: z.string().max(500, "must be at most 500 characters") }))
  .output(ZFleetBlackout)
  .mutation(({ ctx, input }) => addFleetBlackoutUseCase(ctx.service, input));
