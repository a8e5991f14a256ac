// The local router: one listening port per instance (stable across upgrades and daemon restarts), proxying HTTP to
// the instance's current tenant process. While an instance is suspended or its process is being restarted, the
// router answers 503 itself.
import {
  createServer,
  request,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";

export type RouteTarget =
  | { kind: "process"; port: number }
  | {
      kind: "unavailable";
      reason: "suspended" | "starting" | "restarting" | "restoring" | "failed";
      message: string;
    };

interface Route {
  server: Server;
  port: number;
  target: RouteTarget;
  agent: Agent;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function forwardHeaders(headers: IncomingMessage["headers"]): IncomingMessage["headers"] {
  const out: IncomingMessage["headers"] = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

export class LocalRouter {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly host: string) {}

  /** Whether a port can be bound right now (used when allocating a new instance's port). */
  async canBind(port: number): Promise<boolean> {
    const server = createServer();
    return new Promise((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, this.host, () => server.close(() => resolve(true)));
    });
  }

  portOf(slug: string): number | undefined {
    return this.routes.get(slug)?.port;
  }

  /** Opens the instance's port (idempotent). Rejects when another process holds it. */
  async open(slug: string, port: number, initial: RouteTarget): Promise<void> {
    const existing = this.routes.get(slug);
    if (existing?.port === port) return;
    if (existing) await this.close(slug);
    const route: Route = {
      server: createServer((req, res) => this.handle(route, req, res)),
      port,
      target: initial,
      agent: new Agent({ keepAlive: true, maxSockets: 256 }),
    };
    route.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      route.server.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          err.code === "EADDRINUSE"
            ? new Error(`public port ${port} is in use by another process`)
            : new Error(`cannot listen on public port ${port}: ${err.message}`),
        ),
      );
      route.server.listen(port, this.host, () => resolve());
    });
    this.routes.set(slug, route);
  }

  point(slug: string, target: RouteTarget): void {
    const route = this.routes.get(slug);
    if (route) route.target = target;
  }

  async close(slug: string): Promise<void> {
    const route = this.routes.get(slug);
    if (!route) return;
    this.routes.delete(slug);
    route.agent.destroy();
    route.server.closeAllConnections();
    await new Promise((r) => route.server.close(() => r(null)));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.routes.keys()].map((slug) => this.close(slug)));
  }

  private handle(route: Route, req: IncomingMessage, res: ServerResponse): void {
    const target = route.target;
    if (target.kind === "unavailable") {
      res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "5" });
      res.end(JSON.stringify({ error: target.reason, message: target.message }));
      return;
    }
    const upstream = request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: req.url,
        agent: route.agent,
        headers: {
          ...forwardHeaders(req.headers),
          "x-forwarded-for": req.socket.remoteAddress ?? "",
          "x-forwarded-host": req.headers.host ?? "",
          "x-forwarded-proto": "http",
        },
      },
      (up) => {
        const headers = forwardHeaders(up.headers);
        res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      res.writeHead(502, { "content-type": "application/json; charset=utf-8", "retry-after": "1" });
      res.end(JSON.stringify({ error: "bad_gateway", message: "the instance did not answer" }));
    });
    req.on("aborted", () => upstream.destroy());
    req.pipe(upstream);
  }
}
