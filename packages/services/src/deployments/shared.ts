// Access rules and the license view shared by the deployment and license use cases.
import {
  decideOrgAccess,
  decideStaffAccess,
  forbidden,
  licenseStatus,
  notFound,
  type Actor,
  type LicenseStatus,
  type OrgNeed,
} from "@cp/core";

/** The same rules as the API's org procedures, so a use case called from elsewhere cannot leak another org. */
export function assertOrgAccess(actor: Actor, orgId: string, need: OrgNeed): void {
  const d = decideOrgAccess(actor, orgId, need);
  if (!d.ok) throw d.reason === "not_found" ? notFound("Organization") : forbidden();
}

/** Registering deployments and issuing, renewing or revoking licenses: SREs and staff admins. */
export function assertDeploymentStaff(actor: Actor): void {
  if (!decideStaffAccess(actor, "sre")) {
    throw forbidden(
      "Only SREs and staff admins can register deployments and issue, renew or revoke licenses.",
    );
  }
}

/** A license as callers see it: never the token (nor its hash or ciphertext). */
export interface LicenseView {
  id: string;
  deploymentId: string;
  orgId: string;
  seats: number;
  features: string[];
  issuedAt: Date;
  expiresAt: Date;
  keyId: string;
  renewsId: string | null;
  revokedAt: Date | null;
  revokedReason: string | null;
  createdAt: Date;
  status: LicenseStatus;
}

export function toLicenseView(
  row: Omit<LicenseView, "status"> & { tokenSha256?: string; tokenCiphertext?: string },
  now: Date,
): LicenseView {
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    orgId: row.orgId,
    seats: row.seats,
    features: row.features,
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
    keyId: row.keyId,
    renewsId: row.renewsId,
    revokedAt: row.revokedAt,
    revokedReason: row.revokedReason,
    createdAt: row.createdAt,
    status: licenseStatus(row, now),
  };
}
