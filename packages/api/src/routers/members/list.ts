import { ZOrgRole } from "@cp/core";
import { listMembers } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const ZMember = z.object({
  id: z.string(),
  role: ZOrgRole,
  joinedAt: z.date(),
  userId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  lastSignInAt: z.date().nullable(),
});

export const list = orgProcedure("read")
  .output(z.array(ZMember))
  .query(({ input }) => listMembers(input.orgId));
