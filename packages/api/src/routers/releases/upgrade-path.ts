import { ZId } from "@cp/core";
import { upgradePathFor, ZReleaseVersion } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/** The hops an instance would take to a version (ok false with the reason when it cannot). */
export const upgradePath = orgProcedure("read")
  .input(z.object({ instanceId: ZId, toVersion: ZReleaseVersion }))
  .output(
    z.object({
      instanceId: z.string(),
      fromVersion: z.string().nullable(),
      toVersion: z.string(),
      ok: z.boolean(),
      hops: z.array(z.string()),
      reason: z.string().nullable(),
    }),
  )
  .query(({ ctx, input }) => upgradePathFor(ctx.actor, input));
