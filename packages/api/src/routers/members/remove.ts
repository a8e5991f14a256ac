import { ZId } from "@cp/core";
import { removeMember } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZOkOutput } from "../shared";

export const remove = orgProcedure("admin")
  .input(z.object({ membershipId: ZId }))
  .output(ZOkOutput)
  .mutation(async ({ ctx, input }) => {
    await removeMember(ctx.service, input);
    return { ok: true as const };
  });
