import { env } from "@cp/config";
import { LocalEngine } from "@cp/engine";
import { PulumiEngine } from "@cp/engine/pulumi";
import type { Engines } from "@cp/services";

/** The drivers of this worker: the local cloud when configured, and Pulumi for AWS and GCP. */
export function createEngines(): Engines {
  const cfg = env();
  return {
    ...(cfg.CP_LOCAL_CLOUD_URL ? { local: new LocalEngine({ baseUrl: cfg.CP_LOCAL_CLOUD_URL }) } : {}),
    aws: new PulumiEngine({ cloud: "aws" }),
    gcp: new PulumiEngine({ cloud: "gcp" }),
  };
}
