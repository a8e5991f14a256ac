// The engine seam (DESIGN.md): one interface that turns an instance's desired configuration into real resources.
// Drivers: `local` (the local cloud's HTTP API), `pulumi` (AWS and GCP through the Automation API).
import type { MysqlVersion, OrderableCloud, SizeId } from "@cp/core";

/** Everything a driver needs to create or update one instance. Secrets are plain here: never log a spec. */
export interface InstanceSpec {
  instanceId: string;
  /** The instance's subdomain; unique across the fleet; names its resources. */
  slug: string;
  orgSlug: string;
  cloud: OrderableCloud;
  region: string;
  size: SizeId;
  mysqlVersion: MysqlVersion;
  /** Application release to run, e.g. "0.64.0". */
  version: string;
  storage:
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
  sso:
    | { mode: "provider" }
    | { mode: "oidc"; issuer: string; clientId: string; clientSecret: string; flow: "pkce" | "implicit" };
  reliability: { externalRedis: boolean; rateLimits: { filestream: number; graphql: number } };
  /** CIDR blocks allowed to reach the instance; empty means open. */
  ipAllowlist: string[];
  tags: Record<string, string>;
}

export interface EngineOutputs {
  /** Where users reach the instance. */
  url: string;
  /** host:port of the database (never a password). */
  databaseEndpoint: string;
  databaseName: string;
  bucket: string;
  version: string;
}

export interface EngineHooks {
  /** A log line for the operation's live log. Must not contain secrets. */
  log: (message: string, level?: "info" | "warn" | "error") => void;
  /** The step now running and overall progress, 0..100. */
  progress: (step: string, percent: number) => void;
  /** Aborted when the operation is cancelled: stop at the next safe point. */
  signal: AbortSignal;
}

export interface InstanceRef {
  instanceId: string;
  slug: string;
  cloud: OrderableCloud;
  region: string;
}

export interface DriftReport {
  drifted: boolean;
  details: string[];
}

export interface Engine {
  readonly name: string;
  /** Whether the driver can run here (CLI present, credentials configured, local cloud reachable). */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Create or update to match `spec`. Idempotent: running it twice creates nothing twice. */
  apply(spec: InstanceSpec, hooks: EngineHooks): Promise<EngineOutputs>;
  /** Stop serving without removing data (deprovision before retention ends). Idempotent. */
  suspend(ref: InstanceRef, hooks: EngineHooks): Promise<void>;
  /** Serve again after a suspend (undelete). Idempotent. */
  resume(ref: InstanceRef, hooks: EngineHooks): Promise<void>;
  /** Remove every resource. Idempotent: destroying what is gone succeeds. */
  destroy(ref: InstanceRef, hooks: EngineHooks): Promise<void>;
  /** Compare real resources with `spec`. */
  refresh(spec: InstanceSpec, hooks: EngineHooks): Promise<DriftReport>;
  /** Current outputs, or null when nothing exists. */
  outputs(ref: InstanceRef): Promise<EngineOutputs | null>;
  /** Ask a running apply/destroy to stop (in addition to the AbortSignal). */
  cancel(ref: InstanceRef): Promise<void>;
}

export type EngineErrorCode =
  /** The driver cannot run here (no CLI, no credentials, local cloud down). Not retryable until configured. */
  | "NOT_CONFIGURED"
  /** Another update holds the stack: wait and retry. */
  | "CONCURRENT_UPDATE"
  | "CANCELLED"
  | "NOT_FOUND"
  /** The cloud refused or failed; `retryable` says whether trying again may help. */
  | "FAILED";

export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
