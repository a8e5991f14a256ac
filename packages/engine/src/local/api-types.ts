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
  "provisioning" | "updating" | "running" | "restarting" | "suspended" | "failed" | "deleting";

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
