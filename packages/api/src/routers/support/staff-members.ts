import { ZStaffRole } from "@cp/core";
import { listSupportStaff } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** Provider staff who can be assigned as an org's support (for the assignment editor). */
export const staffMembers = staffProcedure("staff")
  .output(
    z.array(
      z.object({ id: z.string(), email: z.string(), name: z.string().nullable(), staffRole: ZStaffRole }),
    ),
  )
  .query(() => listSupportStaff());
