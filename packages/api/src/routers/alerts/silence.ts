import { ZAlertSilenceInput } from "@cp/core";
import { createSilence } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZSilence } from "./shared";

/** Mutes a rule's notifications on one instance (or, with instanceId null, fleet-wide) for a while, with a reason. */
export const silence = staffProcedure("sre")
  .input(ZAlertSilenceInput)
  .output(ZSilence)
  .mutation(({ ctx, input }) => createSilence(ctx.service, input));
