import { resumeCampaign } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZOkOutput } from "../shared";
import { ZCampaignIdInput } from "./shared";

export const resume = staffProcedure("sre")
  .input(ZCampaignIdInput)
  .output(ZOkOutput)
  .mutation(({ ctx, input }) => resumeCampaign(ctx.service, input.campaignId));
