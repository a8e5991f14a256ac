import { registerDeployment, ZRegisterDeploymentInput } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZDeploymentDetail } from "./views";

/** SREs and staff admins register a customer-managed deployment for a non-SaaS org (audited as deployment.register). */
export const register = staffProcedure("sre")
  .input(ZRegisterDeploymentInput)
  .output(ZDeploymentDetail)
  .mutation(({ ctx, input }) => registerDeployment(ctx.service, input));
