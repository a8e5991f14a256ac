import { abortCampaign } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZCampaignIdInput } from "./shared";

/** Cancels upgrades not yet started (their targets are skipped); running ones finish. */
export const abort = staffProcedure("sre")
  .input(ZCampaignIdInput)
  .output(z.object({ ok: z.literal(true), skipped: z.number().int(), cancelledOperations: z.number().int() }))
  .mutation(({ ctx, input }) => abortCampaign(ctx.service, input.campaignId));
