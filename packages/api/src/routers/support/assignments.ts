import { getSupportAssignments } from "@cp/services";
import { orgProcedure } from "../../trpc";
import { ZSupportAssignments } from "./shared";

/** The org's support plan and its primary and secondary support, for anyone who may read the org. */
export const assignments = orgProcedure("read")
  .output(ZSupportAssignments)
  .query(({ input }) => getSupportAssignments(input.orgId));
