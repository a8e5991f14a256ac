import { env } from "@cp/config";
import { LocalEngine } from "@cp/engine";
import { PulumiEngine } from "@cp/engine/pulumi";
import type { Engines } from "@cp/services";

/** The drivers of this worker: the local cloud when configured, and Pulumi for AWS and GCP. */
export function createEngines(): Engines {
  const cfg = env();
  return {
    ...(cfg.CP_LOCAL_CLOUD_URL ? { local: new LocalEngine({ baseUrl: cfg.CP_LOCAL_CLOUD_URL }) } : {}),
    // Without a base domain and a DNS zone the programs cannot name instances: leave that cloud unconfigured.
    ...(cfg.CP_TENANT_BASE_DOMAIN && cfg.CP_AWS_HOSTED_ZONE_ID
      ? {
          aws: new PulumiEngine({
            cloud: "aws",
            baseDomain: cfg.CP_TENANT_BASE_DOMAIN,
            hostedZoneId: cfg.CP_AWS_HOSTED_ZONE_ID,
          }),
        }
      : {}),
    ...(cfg.CP_TENANT_BASE_DOMAIN && cfg.CP_GCP_DNS_ZONE && cfg.CP_GCP_PROJECT
      ? {
          gcp: new PulumiEngine({
            cloud: "gcp",
            baseDomain: cfg.CP_TENANT_BASE_DOMAIN,
            hostedZoneId: cfg.CP_GCP_DNS_ZONE,
            gcpProject: cfg.CP_GCP_PROJECT,
          }),
        }
      : {}),
  };
}
