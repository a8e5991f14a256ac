import { acceptInvitation } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";
import { ZToken } from "./preview";

export const accept = authedProcedure
  .input(z.object({ token: ZToken }))
  .output(z.object({ orgId: z.string() }))
  .mutation(({ ctx, input }) => acceptInvitation(ctx.service, input.token));
