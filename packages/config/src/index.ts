// The one place that reads process.env (STYLE.md #2). Everything else imports `env()`.
import { z } from "zod";

export const MODES = ["production", "demo", "development", "test"] as const;
export type Mode = (typeof MODES)[number];

/** Built-in values that are only acceptable outside production. */
export const DEMO_DEFAULTS = {
  DATABASE_URL: "postgresql://cp:cp@127.0.0.1:55432/cp",
  REDIS_URL: "redis://127.0.0.1:56379",
  NEXTAUTH_URL: "http://localhost:3000",
  NEXTAUTH_SECRET: "demo-secret-do-not-use-in-production-0123456789",
  SMTP_URL: "log:",
  CP_LOCAL_CLOUD_URL: "http://127.0.0.1:4300",
  // Demo key ring: "key-id:base64(32 bytes)". Production must set its own (see README).
  CP_ENCRYPTION_KEYS: "demo1:ZGVtby1rZXktbm90LWZvci1wcm9kdWN0aW9uLXVzZSE=",
  // Demo license signing key: "key-id:base64(PKCS#8 DER of an Ed25519 private key)". Production sets its own.
  CP_LICENSE_SIGNING_KEYS: "demo1:MC4CAQAwBQYDK2VwBCIEIMqcNo+F/8+W93M3ItF2DySyWycNaSHr5MDiTkCEo2MT",
} as const;

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number) => z.coerce.number().int().min(min);

const schema = z.object({
  CP_MODE: z.enum(MODES),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  NEXTAUTH_URL: z.string().url(),
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters"),
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_DISPLAY_NAME: z.string().min(1).default("Single sign-on"),
  CP_LOCAL_ACCOUNTS: bool.optional(),
  SMTP_URL: z.string().min(1),
  SMTP_FROM: z.string().min(3).default("Control Plane <no-reply@control-plane.local>"),
  CP_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  CP_WORKER_PORT: int(0).default(3101),
  CP_TRUST_PROXY: bool.default(false),
  CP_SIGNIN_WINDOW_SECONDS: int(1).default(900),
  CP_SIGNIN_MAX_PER_ACCOUNT: int(1).default(5),
  CP_SIGNIN_MAX_PER_IP: int(1).default(50),
  CP_SESSION_MAX_AGE_SECONDS: int(60).default(12 * 3600),
  CP_INVITATION_TTL_HOURS: int(1).default(168),
  CP_OUTBOX_MAX_ATTEMPTS: int(1).default(8),
  CP_OUTBOX_POLL_MS: int(100).default(5000),
  /** The local cloud's API; unset in production means the `local` cloud is not offered. */
  CP_LOCAL_CLOUD_URL: z.string().url().optional(),
  /** Comma-separated "id:base64key" (32-byte AES keys). The first is used to encrypt; all can decrypt. */
  CP_ENCRYPTION_KEYS: z
    .string()
    .min(1)
    .refine(
      (v) => parseKeyRing(v) !== null,
      'must be "id:base64key" pairs separated by commas, each key 32 bytes',
    ),
  /** Pulumi: the CLI to run, the state backend and the secrets provider for tenant stacks. */
  CP_PULUMI_COMMAND: z.string().min(1).default("pulumi"),
  PULUMI_BACKEND_URL: z.string().min(1).optional(),
  CP_PULUMI_SECRETS_PROVIDER: z.string().min(1).optional(),
  /** Instances are reached at <subdomain>.<CP_TENANT_BASE_DOMAIN>; DNS zones that hold those records per cloud. */
  CP_TENANT_BASE_DOMAIN: z.string().min(3).optional(),
  CP_AWS_HOSTED_ZONE_ID: z.string().min(1).optional(),
  CP_GCP_DNS_ZONE: z.string().min(1).optional(),
  CP_GCP_PROJECT: z.string().min(1).optional(),
  /** Hosts (or CIDRs) on private/loopback ranges that users may still point us at (OIDC issuers, bucket endpoints). */
  CP_ALLOWED_PRIVATE_HOSTS: z.string().default(""),
  CP_DELETE_RETENTION_HOURS: z.coerce.number().min(0).default(168),
  CP_OPERATION_LEASE_MS: int(1000).default(30_000),
  CP_OPERATION_HEARTBEAT_MS: int(10).default(5_000),
  CP_OPERATION_CANCEL_GRACE_MS: int(100).default(30_000),
  CP_RECONCILE_INTERVAL_MS: int(100).default(15_000),
  CP_OPERATION_MAX_ATTEMPTS: int(1).default(3),
  /** Operations (and campaign ticks) each worker process runs at once, on different instances. */
  CP_OPERATION_CONCURRENCY: int(1).default(4),
  /** How often the worker queues due scheduled backups and prunes expired ones. */
  CP_BACKUP_TICK_MS: int(100).default(60_000),
  /** Health and metrics: every instance is polled once per interval, spread over it, a bounded number at a time. */
  CP_HEALTH_POLL_MS: int(200).default(30_000),
  /** How often the poll scheduler looks for instances that are due (a fraction of the poll interval). */
  CP_HEALTH_TICK_MS: int(50).default(5_000),
  CP_HEALTH_POLL_CONCURRENCY: int(1).default(16),
  CP_HEALTH_POLL_TIMEOUT_MS: int(100).default(5_000),
  /** How often threshold rules are evaluated over the fleet. */
  CP_ALERT_EVAL_MS: int(100).default(15_000),
  /** Downsampling and retention of samples. */
  CP_METRICS_MAINTAIN_MS: int(1000).default(300_000),
  CP_METRICS_RAW_RETENTION_HOURS: int(1).default(48),
  CP_METRICS_ROLLUP_5M_RETENTION_DAYS: int(1).default(35),
  CP_METRICS_ROLLUP_1H_RETENTION_DAYS: int(1).default(400),
  /** Customer-owned buckets are re-checked with the ordering flow's checks this often. */
  CP_BUCKET_RECHECK_HOURS: int(1).default(24),
  /**
   * Slack: each instance gets a support channel when SLACK_BOT_TOKEN is set (a bot token, xoxb-...); without it
   * the console's notifications serve as the channel. SLACK_API_URL points the Web API client elsewhere (tests).
   */
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_API_URL: z.string().url().default("https://slack.com/api/"),
  /** Invite the customer's contacts through Slack Connect (needs a paid workspace). */
  SLACK_CONNECT_INVITES: bool.default(true),
  /**
   * Support plans as JSON, replacing the built-in ones (@cp/core DEFAULT_SUPPORT_PLANS): per plan, the first-response
   * and resolution targets per severity and the business hours its clocks count (null: around the clock).
   */
  CP_SUPPORT_PLANS: z
    .string()
    .optional()
    .refine((v) => v === undefined || isJson(v), "must be a JSON object of support plans (see README)"),
  /** How often the worker records SLA breaches and warns of near ones. */
  CP_SUPPORT_SLA_TICK_MS: int(100).default(60_000),
  /** Hours before a maintenance window that will do work at which the customer is told, comma-separated. */
  CP_MAINTENANCE_NOTICE_HOURS: z
    .string()
    .default("168,24")
    .refine(
      (v) => v.split(",").every((h) => /^\s*\d+\s*$/.test(h) && Number(h) > 0),
      "must be positive whole hours, comma-separated, e.g. 168,24",
    ),
  /** How many windows in a row a customer may defer. */
  CP_MAINTENANCE_MAX_DEFERRALS: int(0).default(2),
  /** How often the worker looks for maintenance notices that are due. */
  CP_MAINTENANCE_TICK_MS: int(100).default(60_000),
  /** How often running upgrade campaigns are advanced (operations finishing also wake their campaign at once). */
  CP_CAMPAIGN_TICK_MS: int(50).default(10_000),
  /**
   * Ed25519 license signing keys, comma-separated "key-id:base64(PKCS#8 DER)". The first signs; the public keys of
   * all of them are published (JWKS) so licenses signed before a rotation still verify.
   */
  CP_LICENSE_SIGNING_KEYS: z
    .string({ error: "is required: Ed25519 signing keys as key-id:base64(PKCS#8 DER), see README" })
    .regex(
      /^\s*[\w.-]+:[A-Za-z0-9+/]+={0,2}\s*(,\s*[\w.-]+:[A-Za-z0-9+/]+={0,2}\s*)*$/,
      "must be key-id:base64(PKCS#8 DER of an Ed25519 key), comma-separated (see README)",
    ),
  /** Telemetry reports accepted per license per hour (a daily report and its resends need few). */
  CP_TELEMETRY_MAX_PER_HOUR: int(1).default(30),
  /** A deployment that has not reported for this many days is listed as "stopped reporting". */
  CP_TELEMETRY_STALE_DAYS: int(1).default(3),
  /** How long a migration export's download link is valid. */
  CP_EXPORT_LINK_TTL_HOURS: int(1).default(72),
  /** Instances on a release this many days before its end of support get notices and show as "ending". */
  CP_END_OF_SUPPORT_NOTICE_DAYS: int(1).default(30),
});

function isJson(v: string): boolean {
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

/** Parses CP_ENCRYPTION_KEYS; null when malformed. The first key encrypts; all of them decrypt. */
export function parseKeyRing(value: string): { id: string; key: Buffer }[] | null {
  const ring: { id: string; key: Buffer }[] = [];
  for (const part of value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const sep = part.indexOf(":");
    if (sep <= 0) return null;
    const id = part.slice(0, sep);
    const key = Buffer.from(part.slice(sep + 1), "base64");
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32 || ring.some((k) => k.id === id)) return null;
    ring.push({ id, key });
  }
  return ring.length ? ring : null;
}

export type Env = z.infer<typeof schema> & {
  CP_LOCAL_ACCOUNTS: boolean;
  oidcConfigured: boolean;
  /** The directories of PATH, for finding executables such as the Pulumi CLI. */
  PATH_DIRS: string[];
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates an environment; pure so it can be tested with any input. */
export function loadConfig(source: Record<string, string | undefined>): Env {
  const raw: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(source)) raw[k] = v === "" ? undefined : v;
  const mode = raw.CP_MODE ?? "production";
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`CP_MODE: must be one of ${MODES.join(", ")} (got "${mode}")`);
  }
  const production = mode === "production";
  const withDefaults: Record<string, string | undefined> = { ...raw, CP_MODE: mode };
  if (!production) {
    for (const [k, v] of Object.entries(DEMO_DEFAULTS)) withDefaults[k] ??= v;
  }
  const parsed = schema.safeParse(withDefaults);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    const hint = production
      ? "\n(CP_MODE=production: built-in demo defaults are not used; set each variable.)"
      : "";
    throw new ConfigError(`Invalid environment:\n${lines.join("\n")}${hint}`);
  }
  const env = parsed.data;
  if (production) {
    for (const [k, demo] of Object.entries(DEMO_DEFAULTS)) {
      if ((env as Record<string, unknown>)[k] === demo) {
        throw new ConfigError(
          `${k}: the built-in demo value cannot be used when CP_MODE=production; set your own.`,
        );
      }
    }
    if (env.SMTP_URL.startsWith("log:")) {
      throw new ConfigError(
        "SMTP_URL: set an smtp:// or smtps:// URL in production (log: only prints mail).",
      );
    }
  }
  const oidcParts = [env.OIDC_ISSUER, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_SECRET].filter(Boolean).length;
  if (oidcParts !== 0 && oidcParts !== 3) {
    throw new ConfigError(
      "OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three to enable OIDC sign-in, or none.",
    );
  }
  return {
    ...env,
    PATH_DIRS: (raw.PATH ?? "").split(":").filter(Boolean),
    CP_LOCAL_ACCOUNTS: env.CP_LOCAL_ACCOUNTS ?? !production,
    oidcConfigured: oidcParts === 3,
  };
}

let cached: Env | undefined;

/** The validated environment of this process (read once). */
export function env(): Env {
  cached ??= loadConfig(process.env);
  return cached;
}

/** For tests that change configuration between cases. */
export function resetEnvCache(): void {
  cached = undefined;
}
