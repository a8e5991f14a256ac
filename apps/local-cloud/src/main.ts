// The local cloud daemon (development, demo, tests): an HTTP API like a cloud's that creates tenant databases in
// MariaDB, buckets in s3rver, and supervised tenant service processes behind a local router (DESIGN.md).
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pino } from "pino";
import { localCloudEnv } from "@cp/config/local-cloud";
import { createApi } from "./api";
import { Buckets } from "./buckets";
import { LocalCloud } from "./cloud";
import { describe } from "./errors";
import { TenantDatabases } from "./mariadb";
import { LocalRouter } from "./router";
import { StateStore } from "./state";
import { TrafficGenerator } from "./traffic";

const config = localCloudEnv();
const log = pino({
  level: config.logLevel,
  base: { service: "local-cloud" },
  redact: {
    paths: ["password", "*.password", "token", "*.token", "secret", "*.secret"],
    censor: "[redacted]",
  },
});

const dataDir = path.resolve(config.dataDir);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const entry = path.resolve(
  config.tenantEntry ?? path.join(import.meta.dirname, "../../tenant-service/src/main.ts"),
);
const tenant = {
  entry,
  // Run from the tenant service's own folder so its dependencies (and tsx) resolve from there.
  cwd: path.dirname(path.dirname(entry)),
  nodeArgs: entry.endsWith(".ts") ? ["--import", "tsx"] : [],
};

const cloud = await LocalCloud.open({
  config: { ...config, dataDir },
  databases: new TenantDatabases(config.mysql),
  buckets: new Buckets(config.s3),
  router: new LocalRouter(config.host),
  store: new StateStore(path.join(dataDir, "state.json")),
  tenant,
  log,
}).catch((err: unknown) => {
  log.fatal({ err: describe(err) }, "cannot start the local cloud");
  process.exit(1);
});

const traffic = new TrafficGenerator({
  rps: config.trafficRps,
  targets: () => cloud.trafficTargets(),
  log: log.child({ component: "traffic" }),
});
traffic.start();

const api = createApi(cloud, { token: config.token, log });
api.on("error", (err) => {
  log.fatal({ err: describe(err) }, `cannot listen on ${config.host}:${config.port}`);
  void traffic
    .stop()
    .then(() => cloud.close())
    .finally(() => process.exit(1));
});
api.listen(config.port, config.host, () => {
  const { port } = api.address() as AddressInfo;
  log.info(
    {
      url: `http://${config.host}:${port}`,
      dataDir,
      publicPorts: config.publicPorts,
      auth: Boolean(config.token),
      trafficRps: config.trafficRps,
      faultsAllowed: config.allowFaults,
    },
    "local cloud listening",
  );
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping: tenant processes stop too; the state file is kept for the next start");
  api.closeAllConnections();
  api.close();
  await traffic.stop();
  await cloud.close().catch((err: unknown) => log.error({ err: describe(err) }, "stopping failed"));
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
