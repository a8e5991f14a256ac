// The daemon in-process for integration tests: its own data directory, public ports and API listener, against the
// MariaDB and s3rver of scripts/services.sh. Stopping it removes every instance it made.
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadLocalCloudConfig, localCloudEnv } from "@cp/config/local-cloud";
import { pino } from "pino";
import { createApi } from "../api";
import { Buckets } from "../buckets";
import { LocalCloud } from "../cloud";
import { TenantDatabases } from "../mariadb";
import { LocalRouter } from "../router";
import { StateStore } from "../state";

export interface InProcessCloud {
  cloud: LocalCloud;
  api: Server;
  base: string;
  databases: TenantDatabases;
  buckets: Buckets;
  dataDir: string;
  /** One API call with the bearer token (or `token`); a string `json` is sent as it is. */
  call(
    method: string,
    p: string,
    json?: unknown,
    token?: string | null,
  ): Promise<{ status: number; json: Record<string, unknown> | null; text: string }>;
  /** Removes every instance, closes the API and the daemon, deletes the data directory. */
  stop(): Promise<void>;
}

export const TENANT_ENTRY = path.resolve(import.meta.dirname, "../../../tenant-service/src/main.ts");

export async function startInProcessCloud(opts: {
  token: string;
  /** Names the data directory. */
  name: string;
  /** How many public ports to reserve (a random range, so parallel runs do not collide). */
  ports: number;
  /** Further daemon settings (CP_LOCAL_CLOUD_*). */
  env?: Record<string, string>;
}): Promise<InProcessCloud> {
  const shared = localCloudEnv();
  const dataDir = await mkdtemp(path.join(tmpdir(), `local-cloud-${opts.name}-`));
  const first = 20_000 + Math.floor(Math.random() * 19_000);
  const config = {
    ...loadLocalCloudConfig({
      CP_MODE: "test",
      CP_LOCAL_CLOUD_PUBLIC_PORTS: `${first}-${first + opts.ports}`,
      CP_LOCAL_CLOUD_TOKEN: opts.token,
      ...opts.env,
    }),
    dataDir,
    mysql: shared.mysql,
    s3: shared.s3,
  };
  const databases = new TenantDatabases(config.mysql);
  const buckets = new Buckets(config.s3);
  const log = pino({ level: "silent" });
  const cloud = await LocalCloud.open({
    config,
    databases,
    buckets,
    router: new LocalRouter("127.0.0.1"),
    store: new StateStore(path.join(dataDir, "state.json")),
    tenant: {
      entry: TENANT_ENTRY,
      cwd: path.dirname(path.dirname(TENANT_ENTRY)),
      nodeArgs: ["--import", "tsx"],
    },
    log,
  });
  const api = createApi(cloud, { token: opts.token, log });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  const call: InProcessCloud["call"] = async (method, p, json, token = opts.token) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(json === undefined ? {} : { "content-type": "application/json" }),
      },
      body: json === undefined ? undefined : typeof json === "string" ? json : JSON.stringify(json),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null, text };
  };

  const stop = async () => {
    for (const v of cloud.list()) await cloud.remove(v.slug).catch(() => undefined);
    api.closeAllConnections();
    api.close();
    await cloud.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  return { cloud, api, base, databases, buckets, dataDir, call, stop };
}

/** Polls `fn` every 50 ms until it is true; throws after `timeoutMs`. */
export async function waitUntil(fn: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out");
}
