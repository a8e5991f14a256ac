import { ZOrgRole } from "@cp/core";
import { previewInvitation } from "@cp/services";
import { z } from "zod";
import { publicProcedure } from "../../trpc";

export const ZToken = z
  .string()
  .min(20, "is not a valid invitation link")
  .max(200, "is not a valid invitation link");

/** Public: the invitation page shows what the link is for before the visitor signs in. */
export const preview = publicProcedure
  .input(z.object({ token: ZToken }))
  .output(
    z.object({
      orgName: z.string(),
      email: z.string(),
      role: ZOrgRole,
      state: z.enum(["pending", "accepted", "revoked", "expired"]),
      expiresAt: z.date(),
      hasAccount: z.boolean(),
    }),
  )
  .query(({ input }) => previewInvitation(input.token));
