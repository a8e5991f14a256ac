import { previewCampaign, ZCampaignPlanInput } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZCampaignPreview } from "./shared";

/** Which instances a campaign would upgrade, in which waves, planned when (nothing is stored). */
export const preview = staffProcedure("sre")
  .input(ZCampaignPlanInput)
  .output(ZCampaignPreview)
  .query(({ ctx, input }) => previewCampaign(ctx.actor, input));
