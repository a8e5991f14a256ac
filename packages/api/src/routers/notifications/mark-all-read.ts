import { markNotificationsRead } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";

export const markAllRead = authedProcedure
  .output(z.object({ updated: z.number().int() }))
  .mutation(({ ctx }) => markNotificationsRead(ctx.service));
