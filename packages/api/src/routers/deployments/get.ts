import { getDeployment } from "@cp/services";
import { orgProcedure } from "../../trpc";
import { ZDeploymentDetail, ZDeploymentRef } from "./views";

/** A deployment of the org with its licenses (metadata only); another org's deployment is NOT_FOUND. */
export const get = orgProcedure("read")
  .input(ZDeploymentRef)
  .output(ZDeploymentDetail)
  .query(({ ctx, input }) => getDeployment(ctx.actor, input.orgId, input.deploymentId));
