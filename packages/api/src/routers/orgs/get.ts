import { ZPlan } from "@cp/core";
import { getOrganization } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const ZOrgDetail = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  plan: ZPlan,
  instanceQuota: z.number().int(),
  createdAt: z.date(),
  memberCount: z.number().int(),
  instanceCount: z.number().int(),
});

export const get = orgProcedure("read")
  .output(ZOrgDetail)
  .query(async ({ input }) => {
    const { _count: _, ...org } = await getOrganization(input.orgId);
    return org;
  });
