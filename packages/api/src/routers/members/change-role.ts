import { ZId, ZOrgRole } from "@cp/core";
import { changeMemberRole } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const changeRole = orgProcedure("admin")
  .input(z.object({ membershipId: ZId, role: ZOrgRole }))
  .output(z.object({ id: z.string(), role: ZOrgRole }))
  .mutation(({ ctx, input }) => changeMemberRole(ctx.service, input));
