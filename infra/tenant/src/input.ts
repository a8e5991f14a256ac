// What a tenant program is built from. This mirrors the engine's InstanceSpec (packages/engine/src/types.ts) plus the
// platform's DNS settings; infra must not import the engine, so the shape is repeated here and kept structurally
// compatible: `{ ...spec, baseDomain, hostedZoneId }` is a TenantProgramInput.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { SIZES, type MysqlVersion, type OrderableCloud, type SizeId, type SizePreset } from "@cp/core";

export type TenantStorage =
  | { mode: "provider" }
  | {
      mode: "byob";
      provider: "s3" | "gcs";
      bucket: string;
      region: string;
      kmsKeyId?: string;
      access:
        | { kind: "role"; roleArn: string }
        | { kind: "keys"; accessKeyId: string; secretAccessKey: string }
        | { kind: "serviceAccount"; email: string };
      endpoint?: string;
    };

export type TenantSso =
  | { mode: "provider" }
  | { mode: "oidc"; issuer: string; clientId: string; clientSecret: string; flow: "pkce" | "implicit" };

export interface TenantBackupPolicy {
  retentionDays: number;
  startTimeUtc: string;
}

export interface TenantProgramInput {
  instanceId: string;
  slug: string;
  orgSlug: string;
  cloud: OrderableCloud;
  region: string;
  size: SizeId;
  mysqlVersion: MysqlVersion;
  version: string;
  storage: TenantStorage;
  sso: TenantSso;
  reliability: { externalRedis: boolean; rateLimits: { filestream: number; graphql: number } };
  /** CIDR blocks allowed to reach the instance; empty means open. */
  ipAllowlist: string[];
  /**
   * The instance's backup policy: the database's automated backups (RDS, Cloud SQL) are kept for `retentionDays` and
   * start daily at `startTimeUtc` ("HH:MM", UTC). See backup-policy.ts for how each cloud's limits apply.
   */
  backup: TenantBackupPolicy;
  tags: Record<string, string>;
  /** The instance is served at `<slug>.<baseDomain>`. */
  baseDomain: string;
  /** The DNS zone of baseDomain: a Route 53 hosted zone id (AWS) or a Cloud DNS managed-zone name (GCP). */
  hostedZoneId: string;
  /** GCP only: the project that holds the instance's resources. */
  gcpProject?: string;
}

export interface TenantOutputs {
  url: pulumi.Output<string>;
  databaseEndpoint: pulumi.Output<string>;
  databaseName: pulumi.Output<string>;
  bucket: pulumi.Output<string>;
  version: pulumi.Output<string>;
  /** Whether the stack was last applied suspended (node group at zero). The driver reads it back. */
  suspended: pulumi.Output<boolean>;
}

/**
 * Switches the driver sets as stack configuration (namespace `tenant`) rather than in the input, because they
 * describe an operation, not the instance:
 * - `tenant:suspended`: scale the node group / node pool to zero (suspend) or back (resume);
 * - `tenant:teardown`: lift deletion protection and allow non-empty buckets to be deleted, run just before destroy.
 */
export interface TenantFlags {
  suspended: boolean;
  teardown: boolean;
}

export const CONFIG_NAMESPACE = "tenant";
export const DATABASE_NAME = "app";
/** Kubernetes namespace and service account the application runs as (workload identity / IRSA subject). */
export const APP_NAMESPACE = "tenant";
export const APP_SERVICE_ACCOUNT = "app";
/** The node port the cluster's ingress listens on; the cloud load balancer forwards to it. */
export const INGRESS_NODE_PORT = 30080;
export const HEALTH_PATH = "/healthz";

export function readFlags(): TenantFlags {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  return {
    suspended: config.getBoolean("suspended") ?? false,
    teardown: config.getBoolean("teardown") ?? false,
  };
}

export function sizeOf(input: TenantProgramInput): SizePreset {
  return SIZES[input.size];
}

/** Recommended and larger presets are for production: highly available database. */
export function isProductionSize(input: TenantProgramInput): boolean {
  return input.size !== "small";
}

export function hostname(input: TenantProgramInput): string {
  return `${input.slug}.${input.baseDomain.replace(/\.$/, "")}`;
}

/** Tags for every taggable resource: the customer's own plus the ids that tie a resource to its instance. */
export function resourceTags(input: TenantProgramInput): Record<string, string> {
  return {
    ...input.tags,
    "cp-instance-id": input.instanceId,
    "cp-instance": input.slug,
    "cp-org": input.orgSlug,
    "managed-by": "control-plane",
  };
}

/**
 * GCP labels allow only lower-case letters, digits, `_` and `-`, at most 63 characters, keys starting with a letter;
 * tags are mapped onto that alphabet (a tag that cannot be mapped to a valid key is dropped).
 */
export function resourceLabels(input: TenantProgramInput): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(resourceTags(input))) {
    const k = labelText(key);
    if (!/^[a-z]/.test(k)) continue;
    labels[k] = labelText(value);
  }
  return labels;
}

function labelText(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "_")
    .slice(0, 63);
}

/**
 * A cloud resource name from the slug: `cp-<slug>[-suffix]`, at most `max` characters, starting with a letter. A name
 * that would be too long is cut and given a short hash of the full name, so two slugs never share a name.
 */
export function resourceName(input: Pick<TenantProgramInput, "slug">, suffix = "", max = 63): string {
  const full = ["cp", input.slug, suffix].filter(Boolean).join("-");
  if (full.length <= max) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
  return `${full.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/**
 * A short hash of the instance id, for names GCP never lets go of (key rings) or holds for days after deletion (Cloud
 * SQL, buckets): an instance that reuses a slug gets fresh names.
 */
export function instanceHash(instanceId: string): string {
  return createHash("sha256").update(instanceId).digest("hex").slice(0, 6);
}

/**
 * The name of the instance's database on its cloud: the RDS DB instance identifier (AWS) or the Cloud SQL instance
 * name (GCP). The programs name the database with it, and the driver's snapshot code finds the database by it.
 */
export function databaseInstanceName(
  input: Pick<TenantProgramInput, "cloud" | "slug" | "instanceId">,
): string {
  return input.cloud === "gcp"
    ? resourceName(input, `db-${instanceHash(input.instanceId)}`)
    : resourceName(input, "db");
}

/**
 * The AWS application load balancer's name (ALB names take at most 32 characters). CloudWatch's `LoadBalancer`
 * dimension of its metrics is `app/<name>/<id>`.
 */
export function loadBalancerName(input: Pick<TenantProgramInput, "slug">): string {
  return resourceName(input, "", 32);
}

/** The GCP HTTPS forwarding rule's name: Cloud Monitoring's `https_lb_rule` resources carry it as a label. */
export function httpsForwardingRuleName(input: Pick<TenantProgramInput, "slug">): string {
  return resourceName(input, "https");
}

/**
 * A tag the driver puts on an RDS instance it restored from a snapshot (its value: the restore's request id), so that
 * a retried restore knows the swap is done. The AWS provider ignores it (ignoreTags), so an apply leaves it alone.
 */
export const RESTORE_MARKER_TAG = "cp-restore-request";

/** Secrets the application reads at run time; kept as Pulumi secrets so state and logs never hold them in clear. */
export function appSecrets(input: TenantProgramInput): pulumi.Output<string> {
  const values: Record<string, string> = {};
  if (input.sso.mode === "oidc") values.oidcClientSecret = input.sso.clientSecret;
  if (input.storage.mode === "byob" && input.storage.access.kind === "keys") {
    values.storageAccessKeyId = input.storage.access.accessKeyId;
    values.storageSecretAccessKey = input.storage.access.secretAccessKey;
  }
  return pulumi.secret(JSON.stringify(values));
}
