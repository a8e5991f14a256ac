import { getCampaign } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZCampaignDetail, ZCampaignIdInput } from "./shared";

/** One campaign with every target and a summary per wave (the live progress page polls it). */
export const get = staffProcedure("staff")
  .input(ZCampaignIdInput)
  .output(ZCampaignDetail)
  .query(({ ctx, input }) => getCampaign(ctx.actor, input.campaignId));
