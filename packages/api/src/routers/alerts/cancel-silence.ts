import { ZId } from "@cp/core";
import { cancelSilence as cancelSilenceUseCase } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZSilence } from "./shared";

/** Ends a silence now. */
export const cancelSilence = staffProcedure("sre")
  .input(z.object({ silenceId: ZId }))
  .output(ZSilence)
  .mutation(({ ctx, input }) => cancelSilenceUseCase(ctx.service, input.silenceId));
