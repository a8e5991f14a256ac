// The backup routes of the API. Work runs as tasks keyed by the caller's id (202 when started, 200 when the id is
// already known), polled at GET /v1/tasks/:id:
//   POST   /v1/instances/:slug/backups         { backupId }                         → task "backup-<backupId>"
//   POST   /v1/instances/:slug/backups/verify  { requestId, artifact }              → task "verify-<requestId>"
//   POST   /v1/instances/:slug/restore         { requestId, artifact, sourceSlug }  → task "restore-<requestId>"
//   GET    /v1/tasks/:id                       the task (404 when unknown, e.g. after a daemon restart)
//   DELETE /v1/backups?location=s3://...       deletes the backup's objects; idempotent
import type { IncomingMessage, ServerResponse } from "node:http";
import { ZBackupRequest, ZRestoreRequest, ZVerifyRequest } from "./backup-schemas";
import type { BackupService } from "./backups";
import { NotFoundError } from "./errors";
import { ApiError, parseBody, readJson, send } from "./http";

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** Path segments after the host, e.g. ["v1", "instances", "acme", "backups"]. */
  parts: string[];
  slugParam(raw: string): string;
}

const only = (method: string, allowed: string) => {
  if (method !== allowed) throw new ApiError(405, "method_not_allowed", `method: use ${allowed}`);
};

/** Handles the request if it is a backup route; returns false otherwise. */
export async function routeBackups(backups: BackupService, r: RouteRequest): Promise<boolean> {
  const { parts, method, req, res } = r;

  if (parts[1] === "tasks" && parts.length === 3) {
    only(method, "GET");
    const task = backups.tasks.get(decodeURIComponent(parts[2]!));
    if (!task) {
      throw new NotFoundError(
        `task "${parts[2]}" is not known (finished long ago, or the daemon restarted): start it again with the same id`,
      );
    }
    send(res, 200, task);
    return true;
  }

  if (parts[1] === "backups" && parts.length === 2) {
    only(method, "DELETE");
    const location = r.url.searchParams.get("location");
    if (!location) {
      throw new ApiError(
        400,
        "bad_request",
        "location: the query parameter is required, e.g. ?location=s3://...",
      );
    }
    send(res, 200, await backups.deleteBackup(location));
    return true;
  }

  if (parts[1] !== "instances" || parts.length < 4) return false;
  const action = parts.slice(3).join("/");
  if (action !== "backups" && action !== "backups/verify" && action !== "restore") return false;
  only(method, "POST");
  const slug = r.slugParam(parts[2] ?? "");
  const json = await readJson(req);
  let answer: ReturnType<BackupService["startBackup"]>;
  if (action === "backups") {
    const body = parseBody(ZBackupRequest, json);
    answer = backups.startBackup(slug, body.backupId);
  } else if (action === "backups/verify") {
    const body = parseBody(ZVerifyRequest, json);
    answer = backups.startVerify(slug, body.requestId, body.artifact);
  } else {
    const body = parseBody(ZRestoreRequest, json);
    answer = backups.startRestore(slug, body.requestId, body.artifact, body.sourceSlug);
  }
  send(res, answer.started ? 202 : 200, answer.view);
  return true;
}
