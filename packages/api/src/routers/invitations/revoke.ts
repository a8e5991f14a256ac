import { ZId } from "@cp/core";
import { revokeInvitation } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZOkOutput } from "../shared";

export const revoke = orgProcedure("admin")
  .input(z.object({ invitationId: ZId }))
  .output(ZOkOutput)
  .mutation(async ({ ctx, input }) => {
    await revokeInvitation(ctx.service, input);
    return { ok: true as const };
  });
