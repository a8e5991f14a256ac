// Output schemas of the deployments.* procedures: what callers see (never a license token, except licenseToken).
import { DEPLOYMENT_PLATFORMS, LICENSE_STATUSES } from "@cp/core";
import { z } from "zod";

export const ZLicenseView = z.object({
  id: z.string(),
  deploymentId: z.string(),
  orgId: z.string(),
  seats: z.number().int(),
  features: z.array(z.string()),
  issuedAt: z.date(),
  expiresAt: z.date(),
  keyId: z.string(),
  renewsId: z.string().nullable(),
  revokedAt: z.date().nullable(),
  revokedReason: z.string().nullable(),
  createdAt: z.date(),
  status: z.enum(LICENSE_STATUSES),
});

export const ZDeploymentView = z.object({
  id: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  name: z.string(),
  platform: z.enum(DEPLOYMENT_PLATFORMS),
  contactName: z.string(),
  contactEmail: z.string(),
  version: z.string(),
  migratedFromInstanceId: z.string().nullable(),
  lastReportAt: z.date().nullable(),
  lastReportDay: z.string().nullable(),
  createdAt: z.date(),
  licenseStatus: z.enum([...LICENSE_STATUSES, "none"]),
  licenseExpiresAt: z.date().nullable(),
});

export const ZDeploymentDetail = ZDeploymentView.extend({ licenses: z.array(ZLicenseView) });

export const ZDeploymentRef = z.object({
  deploymentId: z.string().min(1, "is required").max(64, "is too long"),
});
export const ZLicenseRef = z.object({ licenseId: z.string().min(1, "is required").max(64, "is too long") });
