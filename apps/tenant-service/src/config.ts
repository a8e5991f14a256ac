// The tenant service's configuration: environment variables set by the local cloud daemon. This app stands in for
// a separate product (the ML platform), so it reads its own environment (its lint config allows it).
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const schema = z
  .object({
    HOST: z.string().min(1).default("127.0.0.1"),
    /** 0 picks a free port; the daemon learns it over the IPC channel. */
    PORT: int(0, 65535).default(0),
    /** Where users reach the service (the local router), for OIDC redirects. Defaults to http://HOST:PORT. */
    PUBLIC_URL: z.string().url().optional(),
    INSTANCE_SLUG: z.string().min(1),
    VERSION: z.string().min(1),
    DB_HOST: z.string().min(1).default("127.0.0.1"),
    DB_PORT: int(1, 65535).default(3306),
    DB_USER: z.string().min(1),
    DB_PASSWORD: z.string().min(1),
    DB_NAME: z.string().min(1),
    DB_MAX_CONNECTIONS: int(1).default(10),
    /** Unset for AWS S3 itself; set for S3-compatible servers (path-style addressing). */
    S3_ENDPOINT: z.string().url().optional(),
    S3_REGION: z.string().min(1).default("us-east-1"),
    S3_BUCKET: z.string().min(3),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Requests per second per API key. */
    RATE_LIMIT_FILESTREAM: int(1),
    RATE_LIMIT_GRAPHQL: int(1),
    EXTERNAL_REDIS: bool.default(false),
    OIDC_ISSUER: z.string().url().optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_FLOW: z.enum(["pkce", "implicit"]).default("pkce"),
    ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters"),
    /** Signs the session cookie; a fresh random value means sessions end when the process restarts. */
    SESSION_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    STORAGE_REFRESH_MS: int(100).default(15_000),
    /** The control plane's telemetry ingest (customer-managed deployments); unset: no telemetry is sent. */
    TELEMETRY_URL: z.string().url().optional(),
    /** The deployment's license, the ingest's bearer token. */
    LICENSE_TOKEN: z.string().min(1).optional(),
    TELEMETRY_INTERVAL_MS: int(1_000).default(86_400_000),
    /** Tests only: the share (0..1) of requests, other than the probes and /admin, answered with an injected 500. */
    FAULT_ERROR_RATE: z.coerce
      .number()
      .min(0, "must be between 0 and 1")
      .max(1, "must be between 0 and 1")
      .default(0),
  })
  .refine((e) => !e.OIDC_ISSUER || e.OIDC_CLIENT_ID, {
    path: ["OIDC_CLIENT_ID"],
    message: "is required when OIDC_ISSUER is set",
  })
  .refine((e) => !e.TELEMETRY_URL || e.LICENSE_TOKEN, {
    path: ["LICENSE_TOKEN"],
    message: "is required when TELEMETRY_URL is set (the license is the ingest's bearer token)",
  })
  .refine((e) => Boolean(e.S3_ACCESS_KEY_ID) === Boolean(e.S3_SECRET_ACCESS_KEY), {
    path: ["S3_SECRET_ACCESS_KEY"],
    message: "set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither",
  });

export type TenantConfig = z.infer<typeof schema>;

export class TenantConfigError extends Error {
  override name = "TenantConfigError";
}

export function loadTenantConfig(source: Record<string, string | undefined>): TenantConfig {
  const raw: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(source)) raw[k] = v === "" ? undefined : v;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new TenantConfigError(`Invalid tenant service environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** What /config shows: the effective configuration without any secret. */
export function publicConfig(c: TenantConfig) {
  return {
    slug: c.INSTANCE_SLUG,
    version: c.VERSION,
    faultErrorRate: c.FAULT_ERROR_RATE,
    rateLimits: { filestream: c.RATE_LIMIT_FILESTREAM, graphql: c.RATE_LIMIT_GRAPHQL },
    externalRedis: c.EXTERNAL_REDIS,
    sso: c.OIDC_ISSUER
      ? { mode: "oidc" as const, issuer: c.OIDC_ISSUER, clientId: c.OIDC_CLIENT_ID, flow: c.OIDC_FLOW }
      : { mode: "provider" as const },
    database: { host: c.DB_HOST, port: c.DB_PORT, name: c.DB_NAME, maxConnections: c.DB_MAX_CONNECTIONS },
    storage: { bucket: c.S3_BUCKET, endpoint: c.S3_ENDPOINT ?? null },
    telemetry: c.TELEMETRY_URL ? { url: c.TELEMETRY_URL, intervalMs: c.TELEMETRY_INTERVAL_MS } : null,
  };
}
