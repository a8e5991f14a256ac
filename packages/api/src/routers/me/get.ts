import { ZOrgRole, ZPlan, ZStaffRole } from "@cp/core";
import { getMe } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";

export const ZMeOutput = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  staffRole: ZStaffRole,
  orgs: z.array(
    z.object({ id: z.string(), name: z.string(), slug: z.string(), plan: ZPlan, role: ZOrgRole }),
  ),
  unreadNotifications: z.number().int(),
  needsInvitation: z.boolean(),
});

export const get = authedProcedure.output(ZMeOutput).query(({ ctx }) => getMe(ctx.actor));
