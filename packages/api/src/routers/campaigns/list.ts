import { listCampaigns } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZCampaignSummary } from "./shared";

export const list = staffProcedure("staff")
  .input(z.object({ limit: z.number().int().min(1).max(200).optional() }))
  .output(z.array(ZCampaignSummary))
  .query(({ ctx, input }) => listCampaigns(ctx.actor, input));
