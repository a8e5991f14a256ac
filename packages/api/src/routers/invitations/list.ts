import { ZOrgRole } from "@cp/core";
import { listInvitations } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const ZInvitation = z.object({
  id: z.string(),
  email: z.string(),
  role: ZOrgRole,
  createdAt: z.date(),
  expiresAt: z.date(),
  acceptedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  invitedBy: z.string().nullable(),
  state: z.enum(["pending", "accepted", "revoked", "expired"]),
});

export const list = orgProcedure("adminRead")
  .output(z.array(ZInvitation))
  .query(({ input }) => listInvitations(input.orgId));
