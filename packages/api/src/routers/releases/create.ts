import { createRelease, ZReleaseVersion } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZReleaseChannel, ZReleaseNotes, ZReleaseView } from "./shared";

/** Staff admins add a release to the catalog (audited as release.create). */
export const create = staffProcedure("staffAdmin")
  .input(
    z.object({
      version: ZReleaseVersion,
      /** Defaults to now. */
      releasedAt: z.date().optional(),
      notes: ZReleaseNotes.default(""),
      channel: ZReleaseChannel.default("stable"),
      /** A version instances below it must pass through first. */
      requiresVersion: ZReleaseVersion.nullish(),
      endOfSupportAt: z.date().nullish(),
      noRollback: z.boolean().default(false),
    }),
  )
  .output(ZReleaseView)
  .mutation(({ ctx, input }) => createRelease(ctx.service, input));
