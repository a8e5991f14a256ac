// The local cloud's HTTP JSON API, shaped like a cloud's: PUT the whole desired configuration of an instance, read
// it back, suspend, resume, delete; backups, verification and restores as tasks (api-backups.ts). Bodies are
// validated with zod; errors name the field.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { LocalCloud } from "./cloud";
import { routeBackups } from "./api-backups";
import { LocationError } from "./backup-layout";
import { ConflictError, describe, FaultsDisabledError, NotFoundError } from "./errors";
import { ApiError, parseBody, readJson, send } from "./http";
import { isValidSlug } from "./naming";
import { NoFreePortError } from "./ports";
import { ZFaults, ZInstanceRequest } from "./schemas";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function createApi(cloud: LocalCloud, options: { token?: string; log: Logger }): Server {
  const { log } = options;
  const expected = options.token ? digest(options.token) : null;

  function authorize(req: IncomingMessage): void {
    if (!expected) return;
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new ApiError(401, "unauthorized", "authorization: a valid bearer token is required");
    }
  }

  function slugParam(raw: string): string {
    const slug = decodeURIComponent(raw);
    if (!isValidSlug(slug)) {
      throw new ApiError(
        400,
        "bad_request",
        "slug: must be 3-40 lower-case letters, digits and inner hyphens (e.g. acme-prod)",
      );
    }
    return slug;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://local-cloud");
    const parts = url.pathname.split("/").filter(Boolean);

    if (url.pathname === "/healthz") {
      if (method !== "GET") throw new ApiError(405, "method_not_allowed", "method: use GET");
      const h = await cloud.health();
      send(res, h.ok ? 200 : 503, { status: h.ok ? "ok" : "unhealthy", checks: h.checks });
      return;
    }
    if (parts[0] !== "v1") throw new ApiError(404, "not_found", `path: ${url.pathname} not found`);
    authorize(req);
    if (await routeBackups(cloud.backups, { req, res, method, url, parts, slugParam })) return;
    if (parts[1] !== "instances") throw new ApiError(404, "not_found", `path: ${url.pathname} not found`);

    if (parts.length === 2) {
      if (method !== "GET") throw new ApiError(405, "method_not_allowed", "method: use GET");
      send(res, 200, { instances: cloud.list() });
      return;
    }
    const slug = slugParam(parts[2] ?? "");
    const action = parts[3];
    if (parts.length > 4) throw new ApiError(404, "not_found", `path: ${url.pathname} not found`);

    if (action === undefined) {
      if (method === "GET") {
        const view = cloud.get(slug);
        if (!view) throw new NotFoundError(`instance "${slug}" does not exist`);
        send(res, 200, view);
      } else if (method === "PUT") {
        const body = parseBody(ZInstanceRequest, await readJson(req));
        const { view, created, changed } = await cloud.put(slug, body);
        send(res, created ? 201 : changed ? 202 : 200, view);
      } else if (method === "DELETE") {
        await cloud.remove(slug);
        send(res, 204);
      } else {
        throw new ApiError(405, "method_not_allowed", "method: use GET, PUT or DELETE");
      }
      return;
    }
    if (action === "suspend" || action === "resume") {
      if (method !== "POST") throw new ApiError(405, "method_not_allowed", "method: use POST");
      send(res, 202, action === "suspend" ? await cloud.suspend(slug) : await cloud.resume(slug));
      return;
    }
    if (action === "admin-token") {
      if (method !== "GET") throw new ApiError(405, "method_not_allowed", "method: use GET");
      send(res, 200, { adminToken: cloud.adminToken(slug) });
      return;
    }
    if (action === "faults") {
      // Tests only: refused (403) unless the daemon was started with faults allowed.
      if (method === "GET") {
        send(res, 200, cloud.faultsOf(slug));
      } else if (method === "PUT") {
        const body = parseBody(ZFaults, await readJson(req));
        send(res, 200, cloud.setFaults(slug, body.errorRate));
      } else {
        throw new ApiError(405, "method_not_allowed", "method: use GET or PUT");
      }
      return;
    }
    throw new ApiError(404, "not_found", `path: ${url.pathname} not found`);
  }

  return createServer((req, res) => {
    const started = Date.now();
    route(req, res)
      .catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof ApiError) {
          send(res, err.status, {
            error: err.code,
            message: err.message,
            ...(err.issues ? { issues: err.issues } : {}),
          });
        } else if (err instanceof NotFoundError) {
          send(res, 404, { error: "not_found", message: err.message });
        } else if (err instanceof LocationError) {
          send(res, 400, { error: "bad_request", message: err.message });
        } else if (err instanceof FaultsDisabledError) {
          send(res, 403, { error: "forbidden", message: err.message });
        } else if (err instanceof ConflictError) {
          send(res, 409, { error: "conflict", message: err.message });
        } else if (err instanceof NoFreePortError) {
          send(res, 503, { error: "no_capacity", message: err.message });
        } else {
          log.error({ err: describe(err), method: req.method, url: req.url }, "request failed");
          send(res, 500, { error: "internal", message: describe(err) });
        }
      })
      .finally(() => {
        log.debug(
          { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started },
          "request",
        );
      });
  });
}
