// Liveness and readiness for the worker process (node:http: the worker has no web framework).
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@cp/config/logger";
import type { ReadinessReport } from "@cp/services";

export interface HealthServerOptions {
  port: number;
  host?: string;
  log: Logger;
  isShuttingDown: () => boolean;
  readiness: () => Promise<ReadinessReport>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export async function startHealthServer(
  options: HealthServerOptions,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "method not allowed" });
    if (path === "/healthz") {
      // Liveness: the process answers. While it drains it says so, so nothing new is routed to it.
      return options.isShuttingDown()
        ? send(res, 503, { status: "shutting down" })
        : send(res, 200, { status: "ok" });
    }
    if (path === "/readyz") {
      options
        .readiness()
        .then((report) => {
          const ok = report.ok && !options.isShuttingDown();
          send(
            res,
            ok ? 200 : 503,
            ok ? report : { ...report, ok: false, shuttingDown: options.isShuttingDown() },
          );
        })
        .catch((err: unknown) => {
          options.log.error({ err }, "readiness check threw");
          send(res, 503, { ok: false, error: "readiness check failed" });
        });
      return;
    }
    send(res, 404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Probes use keep-alive; without this, close() waits for their idle sockets to time out.
        server.closeIdleConnections();
      }),
  };
}
