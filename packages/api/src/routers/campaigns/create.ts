import { createCampaign, ZCreateCampaignInput } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZCampaignPreview } from "./shared";

/** Stores a draft campaign with its targets in waves; urgent ones need a reason (audited). */
export const create = staffProcedure("sre")
  .input(ZCreateCampaignInput)
  .output(z.object({ id: z.string(), preview: ZCampaignPreview }))
  .mutation(({ ctx, input }) => createCampaign(ctx.service, input));
