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
  /**
   * The instance's backup policy. Clouds with automated database backups (RDS, Cloud SQL) keep them for the same
   * retention and start them at the same time of day; the control plane's own scheduled backups follow it too.
   */
  backup: { retentionDays: number; startTimeUtc: string };
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

/** One table of a dumped database, as it was at the dump's point in time. */
export interface TableDigest {
  name: string;
  rows: number;
  /** The server's table checksum (MySQL/MariaDB CHECKSUM TABLE), as a decimal string. */
  checksum: string;
}

/** What a driver made of a backup; stored by the control plane and handed back to verify, restore and delete. */
export interface BackupArtifact {
  /** Which driver made it; restore/verify/delete go to the same driver. */
  driver: string;
  /**
   * Where it lives, driver-specific: `s3://<bucket>/<prefix>` on the local cloud, an RDS snapshot ARN on AWS,
   * `projects/<p>/instances/<i>/backupRuns/<id>` on GCP.
   */
  location: string;
  /** Bytes stored (the dump object on the local cloud; the snapshot's allocated size where the cloud reports it). */
  sizeBytes: number;
  /** SHA-256 (hex) of the dump object, checked before every restore; null where the cloud keeps the snapshot. */
  sha256: string | null;
  durationMs: number;
  /** Row counts and checksums of every table at the dump's point in time; null where the driver cannot see rows. */
  tables: TableDigest[] | null;
  /** The manifest of the instance's bucket (keys, sizes, ETags) written beside the dump, when there is one. */
  bucketManifest: { location: string; objects: number; bytes: number } | null;
  /** Driver-specific identifiers a person may need (snapshot id, database engine version). Never secrets. */
  details: Record<string, string | number>;
}

export interface VerifyReport {
  ok: boolean;
  /** Tables and rows compared (0 where the driver can only check that the backup restores). */
  checked: { tables: number; rows: number };
  /** Each difference found, e.g. `table runs: 120 rows restored, 121 dumped`. Empty when ok. */
  problems: string[];
  durationMs: number;
}

export interface RestoreOptions {
  /** Idempotency key (the operation's id): a retried restore with the same key does not start twice. */
  requestId: string;
  /** The instance the backup was taken from; when it is not `target`, bucket objects in its manifest are copied. */
  source: InstanceRef;
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
  /**
   * A consistent backup of the instance's database (and a manifest of its bucket). Idempotent per `backupId`: a
   * retry after a crash continues or repeats the same backup, never makes two. Resolves only once it is stored whole.
   */
  backup(ref: InstanceRef, req: { backupId: string }, hooks: EngineHooks): Promise<BackupArtifact>;
  /** Restores the backup into a scratch database, compares it with what was dumped, and removes the scratch copy. */
  verifyBackup(
    ref: InstanceRef,
    artifact: BackupArtifact,
    req: { requestId: string },
    hooks: EngineHooks,
  ): Promise<VerifyReport>;
  /** Replaces `target`'s database with the backup's contents; the instance serves again when it resolves. */
  restore(
    target: InstanceRef,
    artifact: BackupArtifact,
    options: RestoreOptions,
    hooks: EngineHooks,
  ): Promise<void>;
  /** Removes the backup from storage. Idempotent: deleting what is gone succeeds. */
  deleteBackup(ref: InstanceRef, artifact: BackupArtifact): Promise<void>;
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
