import { pauseCampaign } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZOkOutput } from "../shared";
import { ZCampaignIdInput } from "./shared";

export const pause = staffProcedure("sre")
  .input(ZCampaignIdInput)
  .output(ZOkOutput)
  .mutation(({ ctx, input }) => pauseCampaign(ctx.service, input.campaignId));
