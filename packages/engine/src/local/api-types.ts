// The local cloud's API as this driver sees it (apps/local-cloud owns the real schemas; the API is the contract).

export type LocalSso =
  | { mode: "provider" }
  | { mode: "oidc"; issuer: string; clientId: string; clientSecret: string; flow: "pkce" | "implicit" };

export type LocalStorage =
  | { mode: "provider" }
  | {
      mode: "byob";
      bucket: string;
      endpoint?: string;
      region?: string;
      accessKeyId?: string;
      secretAccessKey?: string;
    };

/** Body of PUT /v1/instances/:slug. */
export interface LocalInstanceRequest {
  instanceId: string;
  version: string;
  mysqlVersion: "5.7" | "8.0";
  size: "small" | "recommended" | "large" | "xlarge";
  maxConnections: number;
  rateLimits: { filestream: number; graphql: number };
  externalRedis: boolean;
  sso: LocalSso;
  storage: LocalStorage;
}

export type LocalInstanceStatus =
  "provisioning" | "updating" | "running" | "restarting" | "suspended" | "restoring" | "failed" | "deleting";

/** GET /v1/instances/:slug (never holds a secret). */
export interface LocalInstanceView {
  slug: string;
  instanceId: string;
  status: LocalInstanceStatus;
  step: string | null;
  error: string | null;
  generation: number;
  observedGeneration: number;
  url: string;
  databaseEndpoint: string;
  databaseName: string;
  databaseUser: string;
  bucket: string;
  version: string;
  runningVersion: string | null;
  pid: number | null;
  restarts: number;
  size: LocalInstanceRequest["size"];
  mysqlVersion: LocalInstanceRequest["mysqlVersion"];
  maxConnections: number;
  rateLimits: { filestream: number; graphql: number };
  externalRedis: boolean;
  sso: { mode: "provider" } | { mode: "oidc"; issuer: string; clientId: string; flow: "pkce" | "implicit" };
  storage: { mode: "provider" | "byob"; bucket: string; endpoint: string | null };
  suspended: boolean;
}

/** A backup, verification or restore running on the local cloud (GET /v1/tasks/:id). */
export interface LocalTaskView {
  /** `<kind>-<caller's id>` */
  id: string;
  kind: "backup" | "verify" | "restore";
  key: string;
  slug: string;
  status: "running" | "succeeded" | "failed";
  step: string | null;
  /** Every step entered so far, in order. */
  steps: string[];
  bytes: number;
  totalBytes: number | null;
  error: string | null;
  /** `damaged_backup` and `not_found` fail again on a retry; `failed` may not. */
  errorCode: "damaged_backup" | "not_found" | "failed" | null;
  /** BackupArtifact (backup), VerifyReport (verify), or a summary (restore). */
  result: unknown;
  log: { at: string; level: "info" | "warn" | "error"; message: string }[];
  /** Index of `log[0]` in the task's whole log (older lines are dropped). */
  logStart: number;
  startedAt: string;
  finishedAt: string | null;
}

/** The result of a restore task. */
export interface LocalRestoreResult {
  slug: string;
  sourceSlug: string;
  bytes: number;
  /** The instance's status once its service was started again (running, or suspended if it was). */
  status: LocalInstanceStatus;
  bucketObjects: { listed: number; copied: number; missing: number; changed: number } | null;
}
