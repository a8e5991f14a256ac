// What the driver keeps in stack configuration, and how a spec is rebuilt from it.
// Operations that get only an InstanceRef (suspend, resume, destroy) must re-run the program, so every apply stores
// the spec in the stack: the non-secret part as plain `tenant:spec`, the secrets as Pulumi secret config (encrypted
// by the stack's secrets provider). `pulumi config refresh` restores them from the last deployment on any worker.
import type { ConfigMap } from "@pulumi/pulumi/automation/index.js";
import type { InstanceSpec } from "../types";

export const SPEC_KEY = "tenant:spec";
export const SUSPENDED_KEY = "tenant:suspended";
export const TEARDOWN_KEY = "tenant:teardown";
const SECRET_KEYS = {
  ssoClientSecret: "tenant:ssoClientSecret",
  storageAccessKeyId: "tenant:storageAccessKeyId",
  storageSecretAccessKey: "tenant:storageSecretAccessKey",
} as const;

/**
 * The backup policy of stacks applied before the spec had one: what the programs had fixed (14 days; Cloud SQL
 * backups at 03:00 UTC). Suspend, resume and destroy of such a stack re-run the program with it.
 */
export const LEGACY_BACKUP_POLICY: InstanceSpec["backup"] = { retentionDays: 14, startTimeUtc: "03:00" };

export interface CloudSettings {
  cloud: "aws" | "gcp";
  gcpProject?: string;
}

export interface OperationFlags {
  suspended: boolean;
  teardown: boolean;
}

/** The secret values of a spec: stored only as secret config, and blanked out of every log line. */
export function secretValues(spec: InstanceSpec): string[] {
  const values: string[] = [];
  if (spec.sso.mode === "oidc") values.push(spec.sso.clientSecret);
  if (spec.storage.mode === "byob" && spec.storage.access.kind === "keys") {
    values.push(spec.storage.access.accessKeyId, spec.storage.access.secretAccessKey);
  }
  return values.filter((v) => v.length > 0);
}

/** The spec without its secrets (their places left empty). */
function publicSpec(spec: InstanceSpec): InstanceSpec {
  const copy: InstanceSpec = structuredClone(spec);
  if (copy.sso.mode === "oidc") copy.sso.clientSecret = "";
  if (copy.storage.mode === "byob" && copy.storage.access.kind === "keys") {
    copy.storage.access.accessKeyId = "";
    copy.storage.access.secretAccessKey = "";
  }
  return copy;
}

export function stackConfig(spec: InstanceSpec, flags: OperationFlags, cloud: CloudSettings): ConfigMap {
  const config: ConfigMap = {
    [SPEC_KEY]: { value: JSON.stringify(publicSpec(spec)) },
    [SUSPENDED_KEY]: { value: String(flags.suspended) },
    [TEARDOWN_KEY]: { value: String(flags.teardown) },
  };
  if (cloud.cloud === "aws") {
    config["aws:region"] = { value: spec.region };
  } else {
    config["gcp:region"] = { value: spec.region };
    if (cloud.gcpProject) config["gcp:project"] = { value: cloud.gcpProject };
  }
  if (spec.sso.mode === "oidc") {
    config[SECRET_KEYS.ssoClientSecret] = { value: spec.sso.clientSecret, secret: true };
  }
  if (spec.storage.mode === "byob" && spec.storage.access.kind === "keys") {
    config[SECRET_KEYS.storageAccessKeyId] = { value: spec.storage.access.accessKeyId, secret: true };
    config[SECRET_KEYS.storageSecretAccessKey] = { value: spec.storage.access.secretAccessKey, secret: true };
  }
  return config;
}

/** The spec stored by the last apply, with its secrets; null when the stack holds none. */
export function specFromConfig(config: ConfigMap): InstanceSpec | null {
  const raw = config[SPEC_KEY]?.value;
  if (!raw) return null;
  const spec = JSON.parse(raw) as InstanceSpec;
  spec.backup ??= { ...LEGACY_BACKUP_POLICY };
  const secret = (key: string) => config[key]?.value ?? "";
  if (spec.sso.mode === "oidc") spec.sso.clientSecret = secret(SECRET_KEYS.ssoClientSecret);
  if (spec.storage.mode === "byob" && spec.storage.access.kind === "keys") {
    spec.storage.access.accessKeyId = secret(SECRET_KEYS.storageAccessKeyId);
    spec.storage.access.secretAccessKey = secret(SECRET_KEYS.storageSecretAccessKey);
  }
  return spec;
}
