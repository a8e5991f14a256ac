import { ZId, ZStaffRole } from "@cp/core";
import { setStaffRole } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

export const setStaffRoleProcedure = staffProcedure("staffAdmin")
  .input(z.object({ userId: ZId, staffRole: ZStaffRole }))
  .output(z.object({ id: z.string(), email: z.string(), staffRole: ZStaffRole }))
  .mutation(({ ctx, input }) => setStaffRole(ctx.service, input));
