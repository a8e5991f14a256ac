import { issueLicense as issue, ZIssueLicenseInput } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZLicenseView } from "./views";

/** SREs and staff admins issue a signed license for a deployment (audited as license.issue). */
export const issueLicense = staffProcedure("sre")
  .input(ZIssueLicenseInput)
  .output(ZLicenseView)
  .mutation(({ ctx, input }) => issue(ctx.service, input));
