import { env } from "@cp/config";
import { LocalCollector, LocalEngine, type Collectors } from "@cp/engine";
import { CloudMonitoringCollector, CloudWatchCollector } from "@cp/engine/monitoring-clouds";
import { PulumiEngine } from "@cp/engine/pulumi";
import type { Engines } from "@cp/services";

/**
 * The settings of each cloud this worker can serve, or null when it cannot. Without a base domain and a DNS zone the
 * programs cannot name instances: that cloud stays unconfigured, for its driver and its collector alike.
 */
function cloudSettings() {
  const cfg = env();
  return {
    localUrl: cfg.CP_LOCAL_CLOUD_URL ?? null,
    aws:
      cfg.CP_TENANT_BASE_DOMAIN && cfg.CP_AWS_HOSTED_ZONE_ID
        ? { baseDomain: cfg.CP_TENANT_BASE_DOMAIN, hostedZoneId: cfg.CP_AWS_HOSTED_ZONE_ID }
        : null,
    gcp:
      cfg.CP_TENANT_BASE_DOMAIN && cfg.CP_GCP_DNS_ZONE && cfg.CP_GCP_PROJECT
        ? {
            baseDomain: cfg.CP_TENANT_BASE_DOMAIN,
            hostedZoneId: cfg.CP_GCP_DNS_ZONE,
            project: cfg.CP_GCP_PROJECT,
          }
        : null,
  };
}

/** The drivers of this worker: the local cloud when configured, and Pulumi for AWS and GCP. */
export function createEngines(): Engines {
  const { localUrl, aws, gcp } = cloudSettings();
  return {
    ...(localUrl ? { local: new LocalEngine({ baseUrl: localUrl }) } : {}),
    ...(aws ? { aws: new PulumiEngine({ cloud: "aws", ...aws }) } : {}),
    ...(gcp
      ? {
          gcp: new PulumiEngine({
            cloud: "gcp",
            baseDomain: gcp.baseDomain,
            hostedZoneId: gcp.hostedZoneId,
            gcpProject: gcp.project,
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
  const { localUrl, aws, gcp } = cloudSettings();
  return {
    ...(localUrl ? { local: new LocalCollector() } : {}),
    ...(aws ? { aws: new CloudWatchCollector() } : {}),
    ...(gcp ? { gcp: new CloudMonitoringCollector({ project: gcp.project }) } : {}),
  };
}
