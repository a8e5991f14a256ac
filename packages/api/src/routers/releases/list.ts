import { listReleases } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";
import { ZReleaseView } from "./shared";

/** The release catalog, newest version first, with support states and how many instances run each. */
export const list = authedProcedure
  .input(z.object({ includeWithdrawn: z.boolean().default(false) }).default({ includeWithdrawn: false }))
  .output(z.array(ZReleaseView))
  .query(({ ctx, input }) => listReleases(ctx.actor, input));
