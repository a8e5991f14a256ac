import { decideStaffAccess, ZId } from "@cp/core";
import { undeleteInstance } from "@cp/services";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/** SREs and staff admins only, during the retention period. */
export const undelete = orgProcedure("admin")
  .use(({ ctx, next }) => {
    if (!decideStaffAccess(ctx.actor, "sre")) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: "Only SREs and staff admins can undelete an instance; contact support.",
      });
    }
    return next();
  })
  .input(z.object({ instanceId: ZId }))
  .output(z.object({ operationId: z.string() }))
  .mutation(({ ctx, input }) => undeleteInstance(ctx.service, input));
