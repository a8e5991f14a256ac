// The worker process (DESIGN.md, Processes): BullMQ workers and job schedulers, /healthz and /readyz, and a clean
// shutdown on SIGTERM/SIGINT (STYLE.md #10).
import { ConfigError, env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { closePgPool, db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import { checkReadiness, createMailTransport, sweepOutbox } from "@cp/services";
import { startHealthServer } from "./http";
import { hostname } from "node:os";
import { createCollectors, createEngines } from "./engines";
import {
  ensureAlertsScheduler,
  ensureBackupsScheduler,
  ensureBucketsRecheckScheduler,
  ensureHealthScheduler,
  ensureMetricsMaintainScheduler,
  ensureReconcileScheduler,
  ensureSupportSlaScheduler,
  ensureMaintenanceNoticesScheduler,
  ensureCampaignScheduler,
  ensureSweepScheduler,
  startWorkers,
  type RunningWorkers,
} from "./worker";

const SHUTDOWN_TIMEOUT_MS = 30_000;
/** At most how often the schedules are re-asserted, in case Redis lost them (also every 5 reconcile intervals). */
const SCHEDULE_REFRESH_MS = 60_000;

function loadEnvOrExit() {
  try {
    return env();
  } catch (err) {
    // No logger without a valid environment: say what is wrong on stderr and stop.
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const cfg = loadEnvOrExit();
  const log = logger().child({ proc: "worker" });

  let shuttingDown = false;
  // Filled in as startup proceeds; shutdown closes whatever exists by then.
  const running: {
    workers?: RunningWorkers;
    http?: Awaited<ReturnType<typeof startHealthServer>>;
    refreshTimer?: NodeJS.Timeout;
  } = {};

  async function step(name: string, fn: () => Promise<unknown>): Promise<void> {
    log.info(`shutdown: ${name}`);
    try {
      await fn();
    } catch (err) {
      log.warn({ err }, `shutdown: ${name} failed; continuing`);
    }
  }

  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) {
      log.warn({ signal }, "second signal during shutdown: forcing exit");
      process.exit(1);
    }
    shuttingDown = true;
    log.info({ signal, timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutting down");
    setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutdown timed out: forcing exit");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    clearInterval(running.refreshTimer);
    const { workers, http } = running;
    if (workers) await step("stopping workers (running jobs finish first)", () => workers.close());
    if (http) await step("closing HTTP server", () => http.close());
    await step("closing queues", () => closeQueues());
    await step("closing Redis connections", () => closeSharedRedis());
    await step("closing the bulk PostgreSQL pool", () => closePgPool());
    await step("disconnecting PostgreSQL", () => db().$disconnect());
    log.info("shutdown complete");
    process.exit(0);
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => void shutdown(signal));
  }

  const http = await startHealthServer({
    port: cfg.CP_WORKER_PORT,
    log,
    isShuttingDown: () => shuttingDown,
    readiness: () => checkReadiness(),
  });
  running.http = http;
  log.info({ port: http.port }, "health server listening (/healthz, /readyz)");
  if (shuttingDown) return;

  const mail = createMailTransport();
  const workerId = `${hostname()}:${process.pid}`;
  const workers = startWorkers({
    deps: { mail, engines: createEngines(), workerId, collectors: createCollectors() },
    log,
  });
  running.workers = workers;
  log.info({ queues: workers.workers.map((w) => w.name) }, "workers started");

  const schedule = () =>
    Promise.all([
      ensureSweepScheduler(cfg.CP_OUTBOX_POLL_MS),
      ensureReconcileScheduler(cfg.CP_RECONCILE_INTERVAL_MS),
      ensureBackupsScheduler(cfg.CP_BACKUP_TICK_MS),
      ensureHealthScheduler(cfg.CP_HEALTH_TICK_MS),
      ensureAlertsScheduler(cfg.CP_ALERT_EVAL_MS),
      ensureMetricsMaintainScheduler(cfg.CP_METRICS_MAINTAIN_MS),
      ensureBucketsRecheckScheduler(),
      ensureSupportSlaScheduler(cfg.CP_SUPPORT_SLA_TICK_MS),
      ensureMaintenanceNoticesScheduler(cfg.CP_MAINTENANCE_TICK_MS),
      ensureCampaignScheduler(cfg.CP_CAMPAIGN_TICK_MS),
    ]);
  await schedule();
  log.info(
    {
      sweepEveryMs: cfg.CP_OUTBOX_POLL_MS,
      reconcileEveryMs: cfg.CP_RECONCILE_INTERVAL_MS,
      backupsEveryMs: cfg.CP_BACKUP_TICK_MS,
      healthEveryMs: cfg.CP_HEALTH_TICK_MS,
      alertsEveryMs: cfg.CP_ALERT_EVAL_MS,
      metricsMaintainEveryMs: cfg.CP_METRICS_MAINTAIN_MS,
      supportSlaEveryMs: cfg.CP_SUPPORT_SLA_TICK_MS,
      maintenanceNoticesEveryMs: cfg.CP_MAINTENANCE_TICK_MS,
      campaignEveryMs: cfg.CP_CAMPAIGN_TICK_MS,
    },
    "schedules set",
  );
  const refreshTimer = setInterval(
    () => {
      schedule().catch((err: unknown) => log.warn({ err }, "could not refresh the schedules"));
    },
    Math.min(SCHEDULE_REFRESH_MS, cfg.CP_RECONCILE_INTERVAL_MS * 5),
  );
  refreshTimer.unref();
  running.refreshTimer = refreshTimer;

  // Messages whose jobs were lost while no worker ran go out now rather than at the first tick.
  sweepOutbox()
    .then((enqueued) => log.info({ enqueued }, "startup outbox sweep done"))
    .catch((err: unknown) => log.warn({ err }, "startup outbox sweep failed; the schedule will retry"));
}

main().catch((err: unknown) => {
  try {
    logger().fatal({ err }, "worker failed to start");
  } catch {
    process.stderr.write(`worker failed to start: ${String(err)}\n`);
  }
  process.exit(1);
});
