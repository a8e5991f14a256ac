// The stack configuration of an install template: plain settings validated with ZTemplateSettings, and the secrets
// (license, database password, Redis auth token) kept as Pulumi secrets so state, previews and logs never hold them in
// clear. setup.sh writes all of it; `pulumi config` shows the rest.
import * as pulumi from "@pulumi/pulumi";
import { ZTemplateSettings, type TemplatePlatform, type TemplateSettings } from "./settings";

export interface TemplateSecrets {
  licenseToken: pulumi.Output<string>;
  databasePassword: pulumi.Output<string>;
  /** AWS only (ElastiCache takes the token from us; GCP and Azure generate their own). */
  redisAuthToken?: pulumi.Output<string>;
}

export interface TemplateConfig {
  settings: TemplateSettings;
  secrets: TemplateSecrets;
}

/** The application's secret material, for the Helm chart's secret; exported as a Pulumi secret output. */
export interface AppSecretMaterial {
  licenseToken: string;
  databaseHost: string;
  databaseName: string;
  databaseUser: string;
  databasePassword: string;
  bucket: string;
  redisUrl: string | null;
}

/** Reads and validates the stack configuration; a bad value fails the run naming the key and the fix. */
export function readTemplateConfig(expected: TemplatePlatform): TemplateConfig {
  const config = new pulumi.Config();
  const parsed = ZTemplateSettings.safeParse({
    platform: config.get("platform"),
    region: config.get("region"),
    size: config.get("size"),
    nodeCount: config.get("nodeCount"),
    mysqlVersion: config.get("mysqlVersion"),
    redis: config.getObject("redis"),
    deploymentName: config.get("deploymentName"),
    backupRetentionDays: config.get("backupRetentionDays"),
    clusterApiCidrs: config.getObject("clusterApiCidrs"),
    gcpProject: config.get("gcpProject"),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`);
    throw new Error(
      `invalid stack configuration (fix with \`pulumi config set\`):\n  ${problems.join("\n  ")}`,
    );
  }
  const settings = parsed.data;
  if (settings.platform !== expected) {
    throw new Error(
      `this is the ${expected} template but the stack's platform is "${settings.platform}": ` +
        `pulumi config set platform ${expected}`,
    );
  }
  const needsToken = settings.platform === "aws" && settings.redis.enabled;
  return {
    settings,
    secrets: {
      licenseToken: requireSecret(config, "licenseToken"),
      databasePassword: requireSecret(config, "databasePassword"),
      redisAuthToken: needsToken ? requireSecret(config, "redisAuthToken") : undefined,
    },
  };
}

function requireSecret(config: pulumi.Config, key: string): pulumi.Output<string> {
  const value = config.getSecret(key);
  if (value === undefined) {
    throw new Error(`${key} is not set: run setup.sh, or pulumi config set --secret ${key} <value>`);
  }
  return value;
}

/** The app secret output: one secret JSON document the operator turns into a Kubernetes secret. */
export function appSecretOutput(values: {
  [K in keyof AppSecretMaterial]: pulumi.Input<AppSecretMaterial[K]>;
}): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(values).apply((v) => JSON.stringify(v, null, 2)));
}

/** What every template exports (stack outputs). Only `appSecrets` carries secret material, and it is a secret. */
export interface TemplateOutputs {
  clusterName: pulumi.Output<string>;
  clusterEndpoint: pulumi.Output<string>;
  /** The command that writes a kubeconfig for the cluster. */
  kubeconfigCommand: pulumi.Output<string>;
  /** host:port */
  databaseEndpoint: pulumi.Output<string>;
  databaseName: pulumi.Output<string>;
  bucket: pulumi.Output<string>;
  /** Where the bucket's access / audit logs go. */
  auditLog: pulumi.Output<string>;
  /** host:port, or null without Redis. */
  redisEndpoint: pulumi.Output<string | null>;
  appSecrets: pulumi.Output<string>;
}
