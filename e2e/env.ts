// The environment of the e2e run: one place so the harness, the servers and the tests agree.
/* eslint-disable no-restricted-properties -- test harness configuration */
export const E2E = {
  consolePort: Number(process.env.CP_E2E_CONSOLE_PORT ?? 3100),
  oidcPort: Number(process.env.CP_E2E_OIDC_PORT ?? 4011),
  workerPort: Number(process.env.CP_E2E_WORKER_PORT ?? 3102),
  databaseName: process.env.CP_E2E_DB ?? "cp_e2e",
  pgAdminUrl: process.env.CP_TEST_PG_ADMIN_URL ?? "postgresql://cp:cp@127.0.0.1:55432/postgres",
  redisUrl: `${process.env.CP_TEST_REDIS_URL ?? "redis://127.0.0.1:56379"}/2`,
  oidcClientId: "cp-console-e2e",
  oidcClientSecret: "e2e-oidc-client-secret-0123456789",
};

export const consoleUrl = `http://localhost:${E2E.consolePort}`;
export const oidcIssuer = `http://127.0.0.1:${E2E.oidcPort}`;
export const localCloudUrl = process.env.CP_E2E_LOCAL_CLOUD_URL ?? "http://127.0.0.1:4300";

export function databaseUrl(): string {
  const u = new URL(E2E.pgAdminUrl);
  u.pathname = `/${E2E.databaseName}`;
  return u.toString();
}

/** What the console and worker see during e2e. */
export function appEnv(): Record<string, string> {
  return {
    CP_MODE: "test",
    DATABASE_URL: databaseUrl(),
    REDIS_URL: E2E.redisUrl,
    NEXTAUTH_URL: consoleUrl,
    NEXTAUTH_SECRET: "e2e-secret-0123456789-0123456789-0123456789",
    OIDC_ISSUER: oidcIssuer,
    OIDC_CLIENT_ID: E2E.oidcClientId,
    OIDC_CLIENT_SECRET: E2E.oidcClientSecret,
    OIDC_DISPLAY_NAME: "Test IdP",
    SMTP_URL: "log:",
    CP_LOG_LEVEL: "warn",
    CP_WORKER_PORT: String(E2E.workerPort),
    CP_LOCAL_CLOUD_URL: localCloudUrl,
    // Webhook receivers started by the tests listen on loopback.
    CP_ALLOWED_PRIVATE_HOSTS: "127.0.0.1",
    // Deprovisioned instances are kept ~5 s, so the e2e run sees the destroy happen.
    CP_DELETE_RETENTION_HOURS: "0.0015",
    CP_RECONCILE_INTERVAL_MS: "1000",
    CP_OPERATION_HEARTBEAT_MS: "1000",
    // Health polls and alert evaluation every few seconds, so a real alert fires within a test's patience.
    CP_HEALTH_POLL_MS: "2000",
    CP_HEALTH_TICK_MS: "500",
    CP_ALERT_EVAL_MS: "1000",
  };
}
