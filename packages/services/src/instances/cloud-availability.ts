import { accessSync, constants } from "node:fs";
import path from "node:path";
import { env } from "@cp/config";
import { CLOUD_LABELS, type Cloud } from "@cp/core";
import { LocalEngine } from "@cp/engine";

export interface CloudStatus {
  cloud: Cloud;
  label: string;
  available: boolean;
  comingSoon: boolean;
  reason: string | null;
}

/** Whether an executable is reachable the way the Pulumi driver will run it. */
function findExecutable(command: string): string | null {
  const candidates = command.includes("/")
    ? [command]
    : (env().PATH_DIRS ?? []).map((d) => path.join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

let cache: { at: number; value: CloudStatus[] } | null = null;

/** What the order wizard offers, and why a cloud is not available here. Cached for a few seconds. */
export async function cloudAvailability(): Promise<CloudStatus[]> {
  if (cache && Date.now() - cache.at < 5_000) return cache.value;
  const cfg = env();
  const dnsReason = (cloud: "aws" | "gcp") => {
    if (!cfg.CP_TENANT_BASE_DOMAIN)
      return "Not configured: set CP_TENANT_BASE_DOMAIN (instances are named under it).";
    if (cloud === "aws" && !cfg.CP_AWS_HOSTED_ZONE_ID)
      return "Not configured: set CP_AWS_HOSTED_ZONE_ID (the Route 53 zone of the base domain).";
    if (cloud === "gcp" && !(cfg.CP_GCP_DNS_ZONE && cfg.CP_GCP_PROJECT))
      return "Not configured: set CP_GCP_PROJECT and CP_GCP_DNS_ZONE.";
    return null;
  };
  const pulumiReason = (() => {
    if (!findExecutable(cfg.CP_PULUMI_COMMAND)) {
      return `Not configured: the Pulumi CLI ("${cfg.CP_PULUMI_COMMAND}") is not installed on this deployment.`;
    }
    if (!cfg.PULUMI_BACKEND_URL)
      return "Not configured: set PULUMI_BACKEND_URL (the state backend for tenant stacks).";
    return null;
  })();
  let localReason: string | null = "Not enabled: set CP_LOCAL_CLOUD_URL to offer the local cloud.";
  if (cfg.CP_LOCAL_CLOUD_URL) {
    const a = await new LocalEngine({ baseUrl: cfg.CP_LOCAL_CLOUD_URL }).available();
    localReason = a.ok ? null : a.reason;
  }
  const value: CloudStatus[] = [
    ...(["aws", "gcp"] as const).map((cloud) => {
      const reason = pulumiReason ?? dnsReason(cloud);
      return { cloud, label: CLOUD_LABELS[cloud], available: !reason, comingSoon: false, reason };
    }),
    { cloud: "azure", label: CLOUD_LABELS.azure, available: false, comingSoon: true, reason: "Coming soon." },
    ...(cfg.CP_LOCAL_CLOUD_URL
      ? [
          {
            cloud: "local" as const,
            label: CLOUD_LABELS.local,
            available: !localReason,
            comingSoon: false,
            reason: localReason,
          },
        ]
      : []),
  ];
  cache = { at: Date.now(), value };
  return value;
}

export function resetCloudAvailabilityCache(): void {
  cache = null;
}
