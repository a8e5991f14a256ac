// The tenant service: a stand-in for the ML platform that the local cloud runs once per instance. It uses its own
// database and bucket for real, so health, metrics, upgrades and load behave like the product's.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { loadTenantConfig, TenantConfigError, type TenantConfig } from "./config";
import { TenantDatabase } from "./database";
import { createMetrics } from "./metrics";
import { OidcLogin } from "./oidc";
import { createTenantServer, describe } from "./server";
import { TenantStorage } from "./storage";
import { readRunFigures, TelemetrySender } from "./telemetry";

function log(msg: string, fields: Record<string, unknown> = {}, level = "info") {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

function configOrExit(): TenantConfig {
  try {
    return loadTenantConfig(process.env);
  } catch (err) {
    if (!(err instanceof TenantConfigError)) throw err;
    log(err.message, {}, "fatal");
    process.exit(78); // EX_CONFIG: restarting will not help until the configuration changes.
  }
}
const cfg = configOrExit();

const db = new TenantDatabase(cfg);
const storage = new TenantStorage(cfg);
const metrics = createMetrics(
  { slug: cfg.INSTANCE_SLUG, version: cfg.VERSION },
  { databaseCpuSeconds: () => db.cpuSeconds() },
);
const publicUrl = (cfg.PUBLIC_URL ?? `http://${cfg.HOST}:${cfg.PORT}`).replace(/\/$/, "");
const oidc =
  cfg.OIDC_ISSUER && cfg.OIDC_CLIENT_ID
    ? new OidcLogin(
        { ...cfg, OIDC_ISSUER: cfg.OIDC_ISSUER, OIDC_CLIENT_ID: cfg.OIDC_CLIENT_ID },
        `${publicUrl}/auth/callback`,
      )
    : null;
const telemetry =
  cfg.TELEMETRY_URL && cfg.LICENSE_TOKEN
    ? new TelemetrySender({
        target: { url: cfg.TELEMETRY_URL, licenseToken: cfg.LICENSE_TOKEN, version: cfg.VERSION },
        intervalMs: cfg.TELEMETRY_INTERVAL_MS,
        runFigures: (now) => readRunFigures(db.pool, now),
        storageBytes: async () => (await storage.totalBytes()).bytes,
        log,
      })
    : null;
const { server } = createTenantServer({
  config: cfg,
  db,
  storage,
  metrics,
  oidc,
  sessionSecret: cfg.SESSION_SECRET ?? randomBytes(32).toString("hex"),
  telemetry,
  log,
});

async function refreshStorage() {
  try {
    const { bytes, objects } = await storage.totalBytes();
    metrics.setStorage(bytes, objects);
  } catch (err) {
    log("storage metric refresh failed", { err: describe(err) }, "warn");
  }
}
const storageTimer = setInterval(() => void refreshStorage(), cfg.STORAGE_REFRESH_MS);
storageTimer.unref();

// The schema is created in the background so /healthz can say what is wrong while the database is unreachable.
void (async () => {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.ensureSchema();
      log("schema ready", { appliedSchemaVersion: db.appliedSchemaVersion });
      // The first report waits for the schema, so a fresh database does not report zeros it does not have.
      telemetry?.start();
      return;
    } catch (err) {
      log("schema not ready yet", { attempt, err: describe(err) }, "warn");
      await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
    }
  }
})();
void refreshStorage();

server.listen(cfg.PORT, cfg.HOST, () => {
  const { port } = server.address() as AddressInfo;
  log("listening", { port, slug: cfg.INSTANCE_SLUG, version: cfg.VERSION });
  // The local cloud spawns us with an IPC channel and learns the port from this message.
  process.send?.({ type: "listening", port });
});

let stopping = false;
async function shutdown(reason: string) {
  if (stopping) return;
  stopping = true;
  log("stopping", { reason });
  clearInterval(storageTimer);
  telemetry?.stop();
  const force = setTimeout(() => process.exit(0), 3_000);
  force.unref();
  server.closeIdleConnections();
  await new Promise((r) => server.close(() => r(null)));
  await db.close().catch(() => undefined);
  storage.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
// When the daemon that owns us goes away (even killed), the IPC channel closes: stop rather than linger unowned.
process.on("disconnect", () => void shutdown("the local cloud daemon went away"));
