import { ZId, ZPage } from "@cp/core";
import { supportQueue } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZSupportRequestRow, ZSupportSeverity, ZSupportStatus } from "./shared";

/** The staff queue across orgs, the nearest due target first; unset status means every unresolved request. */
export const queue = staffProcedure("staff")
  .input(
    ZPage.extend({
      status: ZSupportStatus.nullish(),
      severity: ZSupportSeverity.nullish(),
      orgId: ZId.nullish(),
      breachedOnly: z.boolean().default(false),
    }),
  )
  .output(
    z.object({
      items: z.array(ZSupportRequestRow.extend({ nextDueAt: z.date() })),
      nextCursor: z.string().nullable(),
    }),
  )
  .query(({ ctx, input }) => supportQueue(ctx.service, input));
