// Customer-managed deployments and their licenses: the vocabulary the services, the API and the console share.
// Pure: the signing lives in @cp/connectors (licenses), the rows in @cp/services (deployments).

export const DEPLOYMENT_PLATFORMS = ["aws", "gcp", "azure", "bare_metal"] as const;
export type DeploymentPlatform = (typeof DEPLOYMENT_PLATFORMS)[number];
export const DEPLOYMENT_PLATFORM_LABELS: Record<DeploymentPlatform, string> = {
  aws: "AWS",
  gcp: "Google Cloud",
  azure: "Azure",
  bare_metal: "Bare metal",
};

/** What a license can switch on; the token carries the list, the deployment enforces it. */
export const LICENSE_FEATURES = ["sso", "audit-logs", "artifacts", "reports", "launch", "weave"] as const;
export type LicenseFeature = (typeof LICENSE_FEATURES)[number];
export const LICENSE_FEATURE_LABELS: Record<LicenseFeature, string> = {
  sso: "Single sign-on",
  "audit-logs": "Audit logs",
  artifacts: "Artifacts",
  reports: "Reports",
  launch: "Launch",
  weave: "Weave",
};

export const LICENSE_MIN_SEATS = 1;
export const LICENSE_MAX_SEATS = 1_000_000;
/** A license runs for at most this long; renew before it ends (renewals overlap, so there is no gap). */
export const LICENSE_MAX_YEARS = 3;
/** Within this many days of its expiry a license shows as "expiring". */
export const LICENSE_EXPIRING_DAYS = 30;
export const DEPLOYMENT_NAME_MAX = 80;
export const LICENSE_REVOKE_REASON_MAX = 500;

export const LICENSE_STATUSES = ["active", "expiring", "expired", "revoked"] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

/** Where a license stands at `now`: revoked wins over expiry; "expiring" within LICENSE_EXPIRING_DAYS of its end. */
export function licenseStatus(
  license: { expiresAt: Date; revokedAt: Date | null },
  now: Date = new Date(),
): LicenseStatus {
  if (license.revokedAt) return "revoked";
  const left = license.expiresAt.getTime() - now.getTime();
  if (left <= 0) return "expired";
  return left <= LICENSE_EXPIRING_DAYS * 86_400_000 ? "expiring" : "active";
}

/**
 * A deployment's standing from its licenses: the best one wins (a renewal that is active makes an expiring
 * predecessor irrelevant); "none" when it has never had one.
 */
export function deploymentLicenseStatus(
  licenses: ReadonlyArray<{ expiresAt: Date; revokedAt: Date | null }>,
  now: Date = new Date(),
): LicenseStatus | "none" {
  const order: LicenseStatus[] = ["active", "expiring", "expired", "revoked"];
  let best: LicenseStatus | "none" = "none";
  for (const l of licenses) {
    const s = licenseStatus(l, now);
    if (best === "none" || order.indexOf(s) < order.indexOf(best)) best = s;
  }
  return best;
}
