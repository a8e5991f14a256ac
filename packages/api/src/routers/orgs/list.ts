import { listOrganizations } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";
import { ZOrgSummary } from "../shared";

export const ZOrgsListInput = z
  .object({ search: z.string().max(100, "must be at most 100 characters").nullish() })
  .default({});

/** Customers: their orgs. Staff: every org. */
export const list = authedProcedure
  .input(ZOrgsListInput)
  .output(z.array(ZOrgSummary))
  .query(({ ctx, input }) => listOrganizations(ctx.actor, input.search));
