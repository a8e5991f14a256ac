import { ZId } from "@cp/core";
import { setSupportAssignment } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZSupportAssignmentRole, ZSupportAssignments } from "./shared";

/** SREs and staff admins assign an org's primary or secondary support (userId null: nobody). */
export const setAssignment = staffProcedure("sre")
  .input(z.object({ orgId: ZId, role: ZSupportAssignmentRole, userId: ZId.nullable() }))
  .output(ZSupportAssignments)
  .mutation(({ ctx, input }) => setSupportAssignment(ctx.service, input));
