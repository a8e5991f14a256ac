import { renewLicense as renew, ZRenewLicenseInput } from "@cp/services";
import { staffProcedure } from "../../trpc";
import { ZLicenseView } from "./views";

/** A new license following an existing one; the old one stays valid until it expires (audited as license.renew). */
export const renewLicense = staffProcedure("sre")
  .input(ZRenewLicenseInput)
  .output(ZLicenseView)
  .mutation(({ ctx, input }) => renew(ctx.service, input));
