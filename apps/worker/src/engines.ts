import { env } from "@cp/config";
import { LocalCollector, LocalEngine, type Collectors } from "@cp/engine";
import { CloudMonitoringCollector, CloudWatchCollector } from "@cp/engine/monitoring-clouds";
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

/**
 * The health and metrics collectors of this worker, for the clouds it has drivers for: the local cloud's scraper,
 * CloudWatch for AWS and Cloud Monitoring for GCP (credentials from the worker's environment, as for the drivers).
 */
export function createCollectors(): Collectors {
  const cfg = env();
  return {
    ...(cfg.CP_LOCAL_CLOUD_URL ? { local: new LocalCollector() } : {}),
    ...(cfg.CP_TENANT_BASE_DOMAIN && cfg.CP_AWS_HOSTED_ZONE_ID ? { aws: new CloudWatchCollector() } : {}),
    ...(cfg.CP_TENANT_BASE_DOMAIN && cfg.CP_GCP_DNS_ZONE && cfg.CP_GCP_PROJECT
      ? { gcp: new CloudMonitoringCollector({ project: cfg.CP_GCP_PROJECT }) }
      : {}),
  };
}
