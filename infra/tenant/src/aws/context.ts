// Shared by the AWS components: the input, the operation flags, an explicit provider pinned to the instance's region
// (so nothing depends on ambient configuration), and the tags every taggable resource carries.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import {
  RESTORE_MARKER_TAG,
  resourceName,
  resourceTags,
  type TenantFlags,
  type TenantProgramInput,
} from "../input";

export interface AwsContext {
  input: TenantProgramInput;
  flags: TenantFlags;
  provider: aws.Provider;
  tags: Record<string, string>;
  /** Resource options every resource uses (the pinned provider). */
  opts: pulumi.CustomResourceOptions;
  /** `cp-<slug>[-suffix]` within `max` characters. */
  name: (suffix?: string, max?: number) => string;
}

export function createAwsContext(input: TenantProgramInput, flags: TenantFlags): AwsContext {
  const provider = new aws.Provider("aws", {
    region: input.region as aws.Region,
    // The driver marks a database it restored from a snapshot; the program must neither remove nor fight that tag.
    ignoreTags: { keys: [RESTORE_MARKER_TAG] },
  });
  return {
    input,
    flags,
    provider,
    tags: resourceTags(input),
    opts: { provider },
    name: (suffix, max) => resourceName(input, suffix, max),
  };
}

/** `{ Name: ..., ...tags }`: EC2 consoles show the Name tag. */
export function named(ctx: AwsContext, suffix: string): Record<string, string> {
  return { ...ctx.tags, Name: ctx.name(suffix) };
}
