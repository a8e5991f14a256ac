import { ZId } from "@cp/core";
import { getSupportChannel } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

const ZSetup = z.object({
  id: z.string(),
  status: z.string(),
  error: z.string().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
});

export const ZSupportChannelView = z.object({
  slackConfigured: z.boolean(),
  channel: z
    .object({
      provider: z.enum(["slack", "console"]),
      name: z.string(),
      /** Slack's channel id: staff only. */
      externalId: z.string().nullable(),
      topic: z.string().nullable(),
      readyAt: z.date().nullable(),
    })
    .nullable(),
  activeSetup: ZSetup.nullable(),
  lastSetup: ZSetup.nullable(),
  posts: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      text: z.string(),
      createdAt: z.date(),
      postedAt: z.date().nullable(),
    }),
  ),
});

/** An instance's support channel: where it is, whether it is ready, the setup running and the latest 20 posts. */
export const get = orgProcedure("read")
  .input(z.object({ instanceId: ZId }))
  .output(ZSupportChannelView)
  .query(({ ctx, input }) => getSupportChannel(ctx.actor, input.orgId, input.instanceId));
