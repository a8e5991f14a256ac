// Tenant stacks: one Pulumi stack per dedicated instance, as an inline program for the Automation API
// (packages/engine/src/pulumi). See DESIGN.md, "The engine seam".
import type { PulumiFn } from "@pulumi/pulumi/automation/index.js";
import { awsProgram } from "./aws";
import { gcpProgram } from "./gcp";
import { readFlags, type TenantProgramInput } from "./input";

export type {
  TenantBackupPolicy,
  TenantFlags,
  TenantOutputs,
  TenantProgramInput,
  TenantSso,
  TenantStorage,
} from "./input";
export {
  CONFIG_NAMESPACE,
  DATABASE_NAME,
  databaseInstanceName,
  hostname,
  httpsForwardingRuleName,
  loadBalancerName,
  resourceLabels,
  resourceTags,
  RESTORE_MARKER_TAG,
} from "./input";
export { cloudSqlBackupSettings, rdsBackupSettings } from "./backup-policy";

/**
 * The inline program for one instance's stack. Its outputs: url, databaseEndpoint, databaseName, bucket, version,
 * suspended. Operation switches come from stack configuration (`tenant:suspended`, `tenant:teardown`, see
 * TenantFlags), everything else from `input`.
 */
export function tenantProgram(input: TenantProgramInput): PulumiFn {
  return async () => {
    const flags = readFlags();
    switch (input.cloud) {
      case "aws":
        return awsProgram(input, flags);
      case "gcp":
        return gcpProgram(input, flags);
      default:
        throw new Error(`tenant stacks run on AWS or GCP; instance ${input.slug} is on "${input.cloud}"`);
    }
  };
}
