import { TIMELINE_KINDS, ZId } from "@cp/core";
import { instanceTimeline, TIMELINE_DEFAULT_LIMIT, TIMELINE_MAX_LIMIT } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

const ZKind = z.enum(TIMELINE_KINDS, { error: `must be one of ${TIMELINE_KINDS.join(", ")}` });

const ZTimelineItem = z.object({
  kind: ZKind,
  id: z.string(),
  at: z.date(),
  title: z.string(),
  detail: z.string().nullable(),
  status: z.string().nullable(),
  severity: z.string().nullable(),
  actorEmail: z.string().nullable(),
  link: z.string(),
});

/**
 * A page of one instance's timeline, newest first, for anyone who may read the org (audit events only for those who
 * may read its audit log). Keyset-paginated: pass the previous page's `nextCursor` as `cursor`.
 */
export const list = orgProcedure("read")
  .input(
    z.object({
      instanceId: ZId,
      kinds: z
        .array(ZKind)
        .min(1, "choose at least one kind")
        .max(TIMELINE_KINDS.length, `must list at most ${TIMELINE_KINDS.length} kinds`)
        .optional(),
      cursor: z.string().max(200, "must be at most 200 characters").nullish(),
      limit: z
        .number()
        .int("must be a whole number")
        .min(1, "must be at least 1")
        .max(TIMELINE_MAX_LIMIT, `must be at most ${TIMELINE_MAX_LIMIT}`)
        .default(TIMELINE_DEFAULT_LIMIT),
    }),
  )
  .output(
    z.object({
      items: z.array(ZTimelineItem),
      nextCursor: z.string().nullable(),
      kinds: z.array(ZKind),
    }),
  )
  .query(({ ctx, input }) => instanceTimeline(ctx, input));
