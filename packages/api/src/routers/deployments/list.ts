import { listDeployments } from "@cp/services";
import { z } from "zod";
import { orgOrFleetProcedure } from "../../trpc";
import { ZDeploymentView } from "./views";

/** One org's deployments (its members, all staff), or every org's (`orgId: null`, staff), newest first. */
export const list = orgOrFleetProcedure("read", "staff")
  .output(z.array(ZDeploymentView))
  .query(({ ctx, input }) => listDeployments(ctx.actor, input.orgId));
