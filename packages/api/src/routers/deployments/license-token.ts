import { revealLicenseToken } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZLicenseRef } from "./views";

/**
 * The license token, for an org admin or an SRE/staff admin to copy into the deployment. A mutation, not a query:
 * each reveal is audited (license.token_view), and nothing caches it.
 */
export const licenseToken = orgProcedure("admin")
  .input(ZLicenseRef)
  .output(z.object({ licenseId: z.string(), token: z.string(), expiresAt: z.date() }))
  .mutation(({ ctx, input }) => revealLicenseToken(ctx.service, input));
