import { decideOrgAccess, isStaff, ZId } from "@cp/core";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { authedProcedure } from "../../trpc";

export const ZAuditFilter = z
  .object({
    orgId: ZId.nullish(),
    actor: z.string().max(200, "must be at most 200 characters").nullish(),
    action: z.string().max(100, "must be at most 100 characters").nullish(),
    targetType: z.string().max(50, "must be at most 50 characters").nullish(),
    targetId: z.string().max(64, "must be at most 64 characters").nullish(),
    from: z.date().nullish(),
    to: z.date().nullish(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: "must not be before from", path: ["to"] });

/**
 * The audit log: an org's events for its admins and for staff; every org's events (no orgId) for staff only.
 */
export const auditProcedure = authedProcedure.input(ZAuditFilter).use(({ ctx, input, next }) => {
  if (input.orgId) {
    const decision = decideOrgAccess(ctx.actor, input.orgId, "adminRead");
    if (!decision.ok) {
      throw decision.reason === "not_found"
        ? new TRPCError({ code: "NOT_FOUND", message: "Organization was not found." })
        : new TRPCError({
            code: "FORBIDDEN",
            message: "Only an admin of this organization can read its audit log.",
          });
    }
  } else if (!isStaff(ctx.actor)) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "orgId: choose one of your organizations." });
  }
  return next();
});
