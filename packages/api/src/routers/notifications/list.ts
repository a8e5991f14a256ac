import { listNotifications } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";

export const ZNotification = z.object({
  id: z.string(),
  subject: z.string(),
  bodyText: z.string(),
  orgId: z.string().nullable(),
  createdAt: z.date(),
  readAt: z.date().nullable(),
});

export const list = authedProcedure
  .output(z.array(ZNotification))
  .query(({ ctx }) => listNotifications(ctx.actor.userId));
