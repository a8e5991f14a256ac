// Shared by the GCP components: the input, the operation flags, an explicit provider pinned to the instance's project
// and region, and the labels every labelled resource carries.
import * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";
import {
  instanceHash,
  resourceLabels,
  resourceName,
  type TenantFlags,
  type TenantProgramInput,
} from "../input";

export interface GcpContext {
  input: TenantProgramInput;
  flags: TenantFlags;
  project: string;
  provider: gcp.Provider;
  labels: Record<string, string>;
  opts: pulumi.CustomResourceOptions;
  /** `cp-<slug>[-suffix]` within `max` characters. */
  name: (suffix?: string, max?: number) => string;
  /**
   * For names GCP never lets go of (key rings) or holds for days after deletion (Cloud SQL, buckets): a short hash
   * of the instance id, so an instance that reuses a slug gets fresh names.
   */
  unique: string;
}

export function createGcpContext(input: TenantProgramInput, flags: TenantFlags): GcpContext {
  const project = input.gcpProject;
  if (!project) throw new Error("gcpProject is required for a GCP instance");
  const provider = new gcp.Provider("gcp", { project, region: input.region });
  return {
    input,
    flags,
    project,
    provider,
    labels: resourceLabels(input),
    opts: { provider },
    name: (suffix, max) => resourceName(input, suffix, max),
    unique: instanceHash(input.instanceId),
  };
}
