// The tenant service's HTTP API: health, version, config, metrics, the rate-limited APIs, OIDC sign-in and the
// admin endpoints used by demos and tests (load, error injection).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import { publicConfig, type TenantConfig } from "./config";
import { parseCookies, serializeCookie, signValue, verifyValue } from "./cookies";
import type { TenantDatabase } from "./database";
import type { TenantMetrics } from "./metrics";
import type { OidcLogin, PendingLogin, SignedInUser } from "./oidc";
import { injectFault } from "./releases";
import type { TenantStorage } from "./storage";
import type { TelemetrySender } from "./telemetry";
import { TokenBuckets } from "./token-bucket";

export interface TenantDeps {
  config: TenantConfig;
  db: TenantDatabase;
  storage: TenantStorage;
  metrics: TenantMetrics;
  oidc: OidcLogin | null;
  sessionSecret: string;
  /** Set when TELEMETRY_URL and LICENSE_TOKEN are (a customer-managed deployment). */
  telemetry?: Pick<TelemetrySender, "sendNow"> | null;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
  /** Uniform draws in [0, 1) for fault injection (tests pass their own). */
  random?: () => number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const MAX_JSON_BYTES = 1 << 20;
const MAX_FILE_BYTES = 50 << 20;
const SESSION_SECONDS = 8 * 3600;
const LOGIN_SECONDS = 600;

const ZConcurrency = z.number().int().min(1, "must be at least 1").max(200, "must be at most 200").default(4);
/** A fixed number of queries (answered when done), or a sustained load for a duration (answered at once). */
const ZLoad = z.union([
  z.object({
    queries: z.number().int().min(1, "must be at least 1").max(100_000, "must be at most 100000"),
    concurrency: ZConcurrency,
  }),
  z.object({
    durationSeconds: z.number().int().min(1, "must be at least 1").max(3600, "must be at most 3600"),
    concurrency: ZConcurrency,
  }),
]);
const ZErrors = z.object({
  rate: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
});
const ZGraphql = z.object({
  query: z.string().min(1, "must be a non-empty string").max(100_000),
  variables: z.record(z.string(), z.unknown()).optional(),
  operationName: z.string().max(200).optional(),
});

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body: larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const raw = await readBody(req, MAX_JSON_BYTES);
  let value: unknown;
  try {
    value = raw.length ? JSON.parse(raw.toString("utf8")) : {};
  } catch {
    throw new HttpError(400, "body: must be valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HttpError(400, `${first?.path.join(".") || "body"}: ${first?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}

function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string | string[]> = {},
) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
  res.end(`<!doctype html><meta charset="utf-8"><title>ML platform</title>${html}`);
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

async function withTimeout<T>(
  ms: number,
  what: string,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`${what} did not answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([run(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createTenantServer(deps: TenantDeps): { server: Server; setErrorRate: (r: number) => void } {
  const { config, db, storage, metrics, log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const limits = {
    graphql: new TokenBuckets(config.RATE_LIMIT_GRAPHQL),
    filestream: new TokenBuckets(config.RATE_LIMIT_FILESTREAM),
  };
  const sweeper = setInterval(() => {
    limits.graphql.sweep(now());
    limits.filestream.sweep(now());
  }, 30_000);
  sweeper.unref();
  let errorRate = 0;
  const cookiePrefix = `tenant_${config.INSTANCE_SLUG.replace(/[^a-z0-9]/g, "_")}`;
  const sessionCookie = `${cookiePrefix}_session`;
  const loginCookie = `${cookiePrefix}_login`;
  const publicUrl = config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
  const secure = publicUrl.startsWith("https:");

  function apiGate(req: IncomingMessage, api: "graphql" | "filestream"): string {
    const key = req.headers["x-api-key"];
    if (typeof key !== "string" || key.length < 1 || key.length > 200) {
      throw new HttpError(401, "x-api-key: header required");
    }
    const taken = limits[api].take(key, now());
    if (!taken.allowed) {
      metrics.rateLimited(api);
      const retry = String(Math.max(1, Math.ceil(taken.retryAfterSeconds)));
      const rate = api === "graphql" ? config.RATE_LIMIT_GRAPHQL : config.RATE_LIMIT_FILESTREAM;
      throw new HttpError(429, `rate limit: ${rate} ${api} requests per second per API key exceeded`, {
        "retry-after": retry,
      });
    }
    if (errorRate > 0 && Math.random() < errorRate) throw new HttpError(500, "injected error");
    return createHash("sha256").update(key).digest("hex").slice(0, 16);
  }

  function requireAdmin(req: IncomingMessage) {
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!token || !sameSecret(token, config.ADMIN_TOKEN)) {
      throw new HttpError(401, "authorization: a valid admin bearer token is required", {
        "www-authenticate": "Bearer",
      });
    }
  }

  function currentUser(req: IncomingMessage): SignedInUser | null {
    return verifyValue<SignedInUser>(
      parseCookies(req.headers.cookie)[sessionCookie],
      deps.sessionSecret,
      now(),
    );
  }

  async function health(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    const [dbResult, s3Result] = await Promise.allSettled([
      withTimeout(2_000, "the database", () => db.check()),
      withTimeout(2_000, "the bucket", (signal) => storage.check(signal)),
    ]);
    checks.database = dbResult.status === "fulfilled" ? "ok" : describe(dbResult.reason);
    checks.storage = s3Result.status === "fulfilled" ? "ok" : describe(s3Result.reason);
    return { ok: checks.database === "ok" && checks.storage === "ok", checks };
  }

  type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;
  const routes: { method: string; route: string; pattern: RegExp; handler: Handler }[] = [];
  const on = (method: string, route: string, handler: Handler) => {
    const pattern = new RegExp(`^${route.replace(/:([a-z]+)/g, "(?<$1>[^/]+)")}$`);
    routes.push({ method, route, pattern, handler });
  };

  on("GET", "/healthz", async (_req, res) => {
    const h = await health();
    if (h.ok) sendJson(res, 200, { status: "ok", version: config.VERSION, checks: h.checks });
    else {
      const reasons = Object.entries(h.checks)
        .filter(([, v]) => v !== "ok")
        .map(([k, v]) => `${k}: ${v}`);
      sendJson(res, 503, { status: "unhealthy", version: config.VERSION, checks: h.checks, reasons });
    }
  });

  on("GET", "/version", async (_req, res) => {
    sendJson(res, 200, {
      version: config.VERSION,
      slug: config.INSTANCE_SLUG,
      schemaVersion: await db.schemaVersion(),
    });
  });

  // A cheap request that goes through to the database: the local cloud's synthetic traffic calls it.
  on("GET", "/api/ping", async (_req, res) => {
    await withTimeout(2_000, "the database", () => db.check());
    sendJson(res, 200, { ok: true, version: config.VERSION });
  });

  on("GET", "/config", async (_req, res) => {
    sendJson(res, 200, { ...publicConfig(config), errorRate, load: db.loadStatus() });
  });

  on("GET", "/metrics", async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { "content-type": metrics.registry.contentType });
    res.end(text);
  });

  on("POST", "/api/graphql", async (req, res) => {
    const keyHash = apiGate(req, "graphql");
    const body = await readJson(req, ZGraphql);
    const name = body.operationName ?? body.query.trim().slice(0, 200);
    const id = await db.insertRun(keyHash, name, body.variables ? JSON.stringify(body.variables) : null);
    sendJson(res, 200, { data: { createRun: { id } } });
  });

  on("PUT", "/api/files/:name", async (req, res, params) => {
    apiGate(req, "filestream");
    const name = params.name ?? "";
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(name) || name.startsWith(".")) {
      throw new HttpError(400, "name: may contain letters, digits, '.', '_' and '-' (1-200 characters)");
    }
    const body = await readBody(req, MAX_FILE_BYTES);
    await storage.putFile(name, body, req.headers["content-type"] ?? "application/octet-stream");
    sendJson(res, 201, { name, bytes: body.length });
  });

  on("GET", "/", async (req, res) => {
    const user = currentUser(req);
    const who = user
      ? `<p>Signed in as <b>${escapeHtml(user.email ?? user.sub)}</b>.</p><form method="post" action="/logout"><button>Sign out</button></form>`
      : deps.oidc
        ? `<p><a href="/login">Sign in</a></p>`
        : `<p>Sign-in is run by the provider for this instance.</p>`;
    sendHtml(
      res,
      200,
      `<h1>${escapeHtml(config.INSTANCE_SLUG)}</h1><p>Release ${escapeHtml(config.VERSION)}</p>${who}`,
    );
  });

  on("GET", "/login", async (_req, res) => {
    if (!deps.oidc) throw new HttpError(404, "sso: this instance has no OIDC provider configured");
    const { url, pending } = await deps.oidc.start();
    res.writeHead(302, {
      location: url.href,
      "set-cookie": serializeCookie(
        loginCookie,
        signValue(pending, deps.sessionSecret, now() + LOGIN_SECONDS * 1000),
        {
          maxAgeSeconds: LOGIN_SECONDS,
          secure,
        },
      ),
    });
    res.end();
  });

  async function completeLogin(req: IncomingMessage, res: ServerResponse, callbackUrl: URL) {
    if (!deps.oidc) throw new HttpError(404, "sso: this instance has no OIDC provider configured");
    const pending = verifyValue<PendingLogin>(
      parseCookies(req.headers.cookie)[loginCookie],
      deps.sessionSecret,
      now(),
    );
    if (!pending)
      throw new HttpError(400, "login: no sign-in in progress (or it expired); start again at /login");
    let user: SignedInUser;
    try {
      user = await deps.oidc.finish(callbackUrl, pending);
    } catch (err) {
      log("sign-in failed", { err: describe(err) });
      throw new HttpError(401, `login: the provider's answer was not accepted (${describe(err)})`);
    }
    log("signed in", { sub: user.sub });
    res.writeHead(303, {
      location: "/",
      "set-cookie": [
        serializeCookie(sessionCookie, signValue(user, deps.sessionSecret, now() + SESSION_SECONDS * 1000), {
          maxAgeSeconds: SESSION_SECONDS,
          secure,
        }),
        serializeCookie(loginCookie, "", { maxAgeSeconds: 0, secure }),
      ],
    });
    res.end();
  }

  on("GET", "/auth/callback", async (req, res) => {
    if (deps.oidc?.flow === "implicit") {
      // The ID token is in the fragment, which never reaches a server: post it back from the page.
      sendHtml(
        res,
        200,
        `<p>Signing in…</p><script>fetch("/auth/callback",{method:"POST",headers:{"content-type":"application/x-www-form-urlencoded"},body:location.hash.slice(1),redirect:"follow"}).then(r=>{location.replace(r.ok?"/":"/login")})</script>`,
      );
      return;
    }
    await completeLogin(req, res, new URL(req.url ?? "/", `${publicUrl}/`));
  });

  on("POST", "/auth/callback", async (req, res) => {
    if (deps.oidc?.flow !== "implicit")
      throw new HttpError(405, "method: POST is only used by the implicit flow");
    const url = new URL("/auth/callback", `${publicUrl}/`);
    url.hash = (await readBody(req, 64 * 1024)).toString("utf8");
    await completeLogin(req, res, url);
  });

  on("POST", "/logout", async (_req, res) => {
    res.writeHead(303, {
      location: "/",
      "set-cookie": serializeCookie(sessionCookie, "", { maxAgeSeconds: 0, secure }),
    });
    res.end();
  });

  on("POST", "/admin/load", async (req, res) => {
    requireAdmin(req);
    const body = await readJson(req, ZLoad);
    const concurrency = Math.min(body.concurrency, config.DB_MAX_CONNECTIONS);
    if ("durationSeconds" in body) {
      const status = await db.startLoad(body.durationSeconds, concurrency);
      log("sustained load started", { durationSeconds: body.durationSeconds, concurrency });
      sendJson(res, 202, status);
      return;
    }
    const result = await db.runLoad(body.queries, concurrency);
    sendJson(res, 200, { ...result, concurrency });
  });

  on("GET", "/admin/load", async (req, res) => {
    requireAdmin(req);
    sendJson(res, 200, db.loadStatus());
  });

  on("POST", "/admin/load/stop", async (req, res) => {
    requireAdmin(req);
    const stopped = await db.stopLoad();
    if (stopped) log("sustained load stopped");
    sendJson(res, 200, { stopped, ...db.loadStatus() });
  });

  on("POST", "/admin/errors", async (req, res) => {
    requireAdmin(req);
    const body = await readJson(req, ZErrors);
    errorRate = body.rate;
    log("error injection set", { rate: errorRate });
    sendJson(res, 200, { rate: errorRate });
  });

  // Sends the day's telemetry now and answers with the ingest's answer (200 when accepted, 502 when refused or
  // unreachable: the ingest's own status is in the body, so it is not confused with this endpoint's 401).
  on("POST", "/admin/telemetry/send", async (req, res) => {
    requireAdmin(req);
    if (!deps.telemetry)
      throw new HttpError(409, "telemetry: not configured; set TELEMETRY_URL and LICENSE_TOKEN and restart");
    const r = await deps.telemetry.sendNow();
    sendJson(res, r.ok ? 200 : 502, {
      ok: r.ok,
      status: r.status,
      answer: r.answer,
      message: r.message,
      day: r.report.day,
      counters: r.report.counters,
    });
  });

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const match = routes.find((r) => r.pattern.test(path) && r.method === method);
    const route = match?.route ?? (routes.some((r) => r.pattern.test(path)) ? path : "unmatched");
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(route, method, res.statusCode, seconds);
    });
    if (!match) {
      const allowed = routes.filter((r) => r.pattern.test(path)).map((r) => r.method);
      if (allowed.length)
        sendJson(res, 405, { error: `method: use ${allowed.join(" or ")}` }, { allow: allowed.join(", ") });
      else sendJson(res, 404, { error: `path: ${path} not found` });
      return;
    }
    if (injectFault(path, config.FAULT_ERROR_RATE, random())) {
      sendJson(res, 500, { error: "injected fault (FAULT_ERROR_RATE)" });
      return;
    }
    const params = (match.pattern.exec(path)?.groups ?? {}) as Record<string, string>;
    match.handler(req, res, params).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.headers);
        return;
      }
      const ref = randomBytes(4).toString("hex");
      log("request failed", { route, ref, err: describe(err) });
      sendJson(res, 500, { error: `internal error (ref ${ref})` });
    });
  });
  server.on("close", () => clearInterval(sweeper));

  return {
    server,
    setErrorRate: (r: number) => {
      errorRate = r;
    },
  };
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code)
      ? `${code}: ${err.message}`
      : err.message || err.name;
  }
  return String(err);
}
