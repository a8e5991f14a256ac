// Configuration of the local cloud (apps/local-cloud): the daemon, its S3-compatible server, and the shared API token
// the local engine sends. Separate from `env()` because the daemon is not the control plane: it needs none of the
// control plane's variables and runs only for development, demos and tests.
import { z } from "zod";
import { ConfigError, MODES } from "./index";

/** Built-in values for a developer's machine (scripts/services.sh uses the same ports and demo password). */
export const LOCAL_CLOUD_DEFAULTS = {
  host: "127.0.0.1",
  port: 4300,
  publicPorts: "4401-4599",
  mysqlHost: "127.0.0.1",
  mysqlPort: 53306,
  mysqlUser: "cloud",
  mysqlPassword: "cloud-demo-password",
  s3Port: 59000,
  s3AccessKeyId: "S3RVER",
  s3SecretAccessKey: "S3RVER",
  dataDir: ".data/local-cloud",
  s3DataDir: ".data/s3",
  backupBucket: "cp-backups",
} as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const port = int(0, 65535);

const ZPortRange = z
  .string()
  .regex(/^\d{1,5}-\d{1,5}$/, 'must be "first-last", e.g. 4401-4599')
  .transform((v) => {
    const [first, last] = v.split("-").map(Number) as [number, number];
    return { first, last };
  })
  .refine(
    (r) => r.first >= 1 && r.last <= 65535 && r.first <= r.last,
    "must be an ascending range within 1-65535",
  );

const schema = z.object({
  CP_MODE: z.enum(MODES).default("development"),
  CP_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  CP_LOCAL_CLOUD_HOST: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.host),
  CP_LOCAL_CLOUD_PORT: port.default(LOCAL_CLOUD_DEFAULTS.port),
  /** When set, every /v1 request must carry `Authorization: Bearer <token>`. */
  CP_LOCAL_CLOUD_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Stable public ports handed out to instances, one per slug (the local router). */
  CP_LOCAL_CLOUD_PUBLIC_PORTS: ZPortRange.prefault(LOCAL_CLOUD_DEFAULTS.publicPorts),
  /** State file, tenant logs. */
  CP_LOCAL_CLOUD_DATA_DIR: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.dataDir),
  CP_LOCAL_CLOUD_MYSQL_HOST: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.mysqlHost),
  CP_LOCAL_CLOUD_MYSQL_PORT: port.default(LOCAL_CLOUD_DEFAULTS.mysqlPort),
  CP_LOCAL_CLOUD_MYSQL_USER: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.mysqlUser),
  CP_LOCAL_CLOUD_MYSQL_PASSWORD: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.mysqlPassword),
  CP_LOCAL_S3_HOST: z.string().min(1).default("127.0.0.1"),
  CP_LOCAL_S3_PORT: port.default(LOCAL_CLOUD_DEFAULTS.s3Port),
  CP_LOCAL_S3_DATA_DIR: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.s3DataDir),
  /** Defaults to http://<CP_LOCAL_S3_HOST>:<CP_LOCAL_S3_PORT>. */
  CP_LOCAL_CLOUD_S3_ENDPOINT: z.string().url().optional(),
  CP_LOCAL_CLOUD_S3_ACCESS_KEY_ID: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.s3AccessKeyId),
  CP_LOCAL_CLOUD_S3_SECRET_ACCESS_KEY: z.string().min(1).default(LOCAL_CLOUD_DEFAULTS.s3SecretAccessKey),
  /** The bucket on the local S3 server that holds instance backups (created on start). */
  CP_LOCAL_CLOUD_BACKUP_BUCKET: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "must be a bucket name (3-63 lower-case letters, digits, . or -), e.g. cp-backups",
    )
    .refine((v) => !v.startsWith("t-"), 'must not start with "t-" (the prefix of instance buckets)')
    .default(LOCAL_CLOUD_DEFAULTS.backupBucket),
  /** Restart backoff of a dead tenant process: initial delay, doubling up to the maximum. */
  CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS: int(1).default(200),
  CP_LOCAL_CLOUD_BACKOFF_MAX_MS: int(1).default(10_000),
  /** How long a new tenant process may take to answer /healthz before the start counts as failed. */
  CP_LOCAL_CLOUD_START_TIMEOUT_MS: int(100).default(60_000),
  /** SIGTERM grace before SIGKILL when stopping a tenant process. */
  CP_LOCAL_CLOUD_STOP_TIMEOUT_MS: int(10).default(5_000),
  /** The tenant service's entry file; defaults to apps/tenant-service/src/main.ts next to the daemon. */
  CP_LOCAL_CLOUD_TENANT_ENTRY: z.string().min(1).optional(),
  /** How often tenant services refresh their storage-bytes metric. */
  CP_LOCAL_CLOUD_TENANT_STORAGE_REFRESH_MS: int(100).default(15_000),
  /**
   * Synthetic requests per second the daemon sends to each running instance's URL (GET /api/ping), so health gates
   * and error rates have traffic to judge; 0 turns it off.
   */
  LOCAL_CLOUD_TRAFFIC_RPS: z.coerce
    .number()
    .min(0, "must be between 0 and 100 (0 turns the traffic off)")
    .max(100, "must be between 0 and 100 (0 turns the traffic off)")
    .default(4),
  /**
   * Tests only: allows PUT /v1/instances/:slug/faults (the next started process of that instance answers a share of
   * requests with 500). Defaults to on when CP_MODE=test, off otherwise.
   */
  LOCAL_CLOUD_ALLOW_FAULTS: z
    .enum(["true", "false", "1", "0", "yes", "no"], 'must be "1" or "0"')
    .transform((v) => v === "true" || v === "1" || v === "yes")
    .optional(),
});

export interface LocalCloudConfig {
  mode: (typeof MODES)[number];
  logLevel: z.infer<typeof schema>["CP_LOG_LEVEL"];
  host: string;
  port: number;
  token: string | undefined;
  publicPorts: { first: number; last: number };
  dataDir: string;
  mysql: { host: string; port: number; user: string; password: string };
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  /** Bucket on the same S3 server for backups: `<slug>/<backupId>/{database.sql,bucket-manifest.json,manifest.json}`. */
  backupBucket: string;
  s3Server: { host: string; port: number; dataDir: string };
  backoff: { initialMs: number; maxMs: number };
  startTimeoutMs: number;
  stopTimeoutMs: number;
  tenantEntry: string | undefined;
  tenantStorageRefreshMs: number;
  /** Synthetic requests per second per running instance; 0 = off. */
  trafficRps: number;
  /** Whether the test-only faults API is enabled. */
  allowFaults: boolean;
}

/** Validates a local cloud environment; pure so it can be tested with any input. */
export function loadLocalCloudConfig(source: Record<string, string | undefined>): LocalCloudConfig {
  const raw: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(source)) raw[k] = v === "" ? undefined : v;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid local cloud environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.CP_MODE === "production" && e.CP_LOCAL_CLOUD_MYSQL_PASSWORD === LOCAL_CLOUD_DEFAULTS.mysqlPassword) {
    throw new ConfigError(
      "CP_LOCAL_CLOUD_MYSQL_PASSWORD: the built-in demo value cannot be used when CP_MODE=production; set your own.",
    );
  }
  if (e.CP_LOCAL_CLOUD_BACKOFF_MAX_MS < e.CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS) {
    throw new ConfigError(
      "CP_LOCAL_CLOUD_BACKOFF_MAX_MS: must be at least CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS.",
    );
  }
  return {
    mode: e.CP_MODE,
    logLevel: e.CP_LOG_LEVEL,
    host: e.CP_LOCAL_CLOUD_HOST,
    port: e.CP_LOCAL_CLOUD_PORT,
    token: e.CP_LOCAL_CLOUD_TOKEN,
    publicPorts: e.CP_LOCAL_CLOUD_PUBLIC_PORTS,
    dataDir: e.CP_LOCAL_CLOUD_DATA_DIR,
    mysql: {
      host: e.CP_LOCAL_CLOUD_MYSQL_HOST,
      port: e.CP_LOCAL_CLOUD_MYSQL_PORT,
      user: e.CP_LOCAL_CLOUD_MYSQL_USER,
      password: e.CP_LOCAL_CLOUD_MYSQL_PASSWORD,
    },
    s3: {
      endpoint: e.CP_LOCAL_CLOUD_S3_ENDPOINT ?? `http://${e.CP_LOCAL_S3_HOST}:${e.CP_LOCAL_S3_PORT}`,
      accessKeyId: e.CP_LOCAL_CLOUD_S3_ACCESS_KEY_ID,
      secretAccessKey: e.CP_LOCAL_CLOUD_S3_SECRET_ACCESS_KEY,
    },
    backupBucket: e.CP_LOCAL_CLOUD_BACKUP_BUCKET,
    s3Server: { host: e.CP_LOCAL_S3_HOST, port: e.CP_LOCAL_S3_PORT, dataDir: e.CP_LOCAL_S3_DATA_DIR },
    backoff: { initialMs: e.CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS, maxMs: e.CP_LOCAL_CLOUD_BACKOFF_MAX_MS },
    startTimeoutMs: e.CP_LOCAL_CLOUD_START_TIMEOUT_MS,
    stopTimeoutMs: e.CP_LOCAL_CLOUD_STOP_TIMEOUT_MS,
    tenantEntry: e.CP_LOCAL_CLOUD_TENANT_ENTRY,
    tenantStorageRefreshMs: e.CP_LOCAL_CLOUD_TENANT_STORAGE_REFRESH_MS,
    trafficRps: e.LOCAL_CLOUD_TRAFFIC_RPS,
    allowFaults: e.LOCAL_CLOUD_ALLOW_FAULTS ?? e.CP_MODE === "test",
  };
}

let cached: LocalCloudConfig | undefined;

/** The validated local cloud configuration of this process (read once). */
export function localCloudEnv(): LocalCloudConfig {
  cached ??= loadLocalCloudConfig(process.env);
  return cached;
}

/**
 * The bearer token a client of the local cloud's API sends (the same variable the daemon checks). Read on its own
 * so that a client does not need the daemon's settings to be valid.
 */
export function localCloudToken(): string | undefined {
  return process.env.CP_LOCAL_CLOUD_TOKEN || undefined;
}
