import { ZOrgRole, ZStaffRole } from "@cp/core";
import { listUsers } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

export const listUsersProcedure = staffProcedure("staff")
  .input(z.object({ search: z.string().max(100, "must be at most 100 characters").nullish() }).default({}))
  .output(
    z.array(
      z.object({
        id: z.string(),
        email: z.string(),
        name: z.string().nullable(),
        staffRole: ZStaffRole,
        disabledAt: z.date().nullable(),
        lastSignInAt: z.date().nullable(),
        memberships: z.array(z.object({ orgId: z.string(), orgName: z.string(), role: ZOrgRole })),
      }),
    ),
  )
  .query(({ input }) => listUsers(input.search));
