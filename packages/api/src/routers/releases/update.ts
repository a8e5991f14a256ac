import { updateRelease, ZReleaseVersion } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZReleaseNotes, ZReleaseView } from "./shared";

/** Staff admins change a release's end of support (null: none), notes or rollback flag (audited as release.update). */
export const update = staffProcedure("staffAdmin")
  .input(
    z.object({
      version: ZReleaseVersion,
      endOfSupportAt: z.date().nullable().optional(),
      notes: ZReleaseNotes.optional(),
      noRollback: z.boolean().optional(),
    }),
  )
  .output(ZReleaseView)
  .mutation(({ ctx, input }) => updateRelease(ctx.service, input));
