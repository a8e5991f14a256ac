import { startCampaign } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZOkOutput } from "../shared";
import { ZCampaignIdInput } from "./shared";

export const start = staffProcedure("sre")
  .input(ZCampaignIdInput)
  .output(ZOkOutput)
  .mutation(({ ctx, input }) => startCampaign(ctx.service, input.campaignId));
