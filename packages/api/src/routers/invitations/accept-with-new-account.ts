import { ZPassword } from "@cp/core";
import { acceptInvitationWithNewAccount } from "@cp/services";
import { z } from "zod";
import { publicProcedure } from "../../trpc";
import { ZToken } from "./preview";

/** Public: the invitation token is the credential; creates a local account for the invited address. */
export const acceptWithNewAccount = publicProcedure
  .input(
    z.object({
      token: ZToken,
      name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
      password: ZPassword,
    }),
  )
  .output(z.object({ email: z.string(), orgId: z.string() }))
  .mutation(({ ctx, input }) =>
    acceptInvitationWithNewAccount({ ip: ctx.ip, userAgent: ctx.userAgent }, input),
  );
