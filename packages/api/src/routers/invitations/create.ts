import { ZEmail, ZOrgRole } from "@cp/core";
import { inviteMember } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const create = orgProcedure("admin")
  .input(z.object({ email: ZEmail, role: ZOrgRole.default("member") }))
  .output(z.object({ id: z.string(), email: z.string(), role: ZOrgRole, expiresAt: z.date() }))
  .mutation(({ ctx, input }) => inviteMember(ctx.service, input));
