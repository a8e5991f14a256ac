import { advanceCampaigns } from "@cp/services";
import type { Handler } from "../registry";

/** Advances running campaigns (one when the job names it); each campaign is advanced under a row lock. */
export const handleCampaignTick: Handler<"campaignTick"> = async (payload, { log }) => {
  const result = await advanceCampaigns(payload.campaignId);
  if (result.started || result.finished) log.info(result, "campaign tick");
  return result;
};
