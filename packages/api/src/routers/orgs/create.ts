import { ZEmail, ZOrgName, ZPlan, ZSlug } from "@cp/core";
import { createOrganization } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

export const ZCreateOrgInput = z.object({
  name: ZOrgName,
  slug: ZSlug,
  plan: ZPlan,
  firstAdminEmail: ZEmail,
  instanceQuota: z.number().int().min(0, "must be 0 or more").max(100, "must be at most 100").optional(),
});

/** Staff admins create a customer org and invite its first admin. */
export const create = staffProcedure("staffAdmin")
  .input(ZCreateOrgInput)
  .output(
    z.object({
      id: z.string(),
      name: z.string(),
      slug: z.string(),
      plan: ZPlan,
      instanceQuota: z.number().int(),
    }),
  )
  .mutation(({ ctx, input }) => createOrganization(ctx.service, input));
