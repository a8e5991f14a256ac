import { withdrawRelease, ZReleaseVersion } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZReleaseView } from "./shared";

/** Staff admins withdraw a release with a reason; refused while an unfinished campaign targets it. */
export const withdraw = staffProcedure("staffAdmin")
  .input(
    z.object({
      version: ZReleaseVersion,
      reason: z
        .string()
        .trim()
        .min(3, "say why it is withdrawn (at least 3 characters)")
        .max(2000, "must be at most 2000 characters"),
    }),
  )
  .output(ZReleaseView)
  .mutation(({ ctx, input }) => withdrawRelease(ctx.service, input));
