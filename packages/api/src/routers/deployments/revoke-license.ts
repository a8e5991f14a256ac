import { revokeLicense as revoke, ZRevokeLicenseInput } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZLicenseView } from "./views";

/** Ends a license now, with a reason the customer's admins see (audited as license.revoke). */
export const revokeLicense = staffProcedure("sre")
  .input(ZRevokeLicenseInput)
  .output(ZLicenseView)
  .mutation(({ ctx, input }) => revoke(ctx.service, input));
