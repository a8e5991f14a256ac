// Test support: a local stand-in for the Cloud SQL Admin API v1 (REST, JSON), enough of it for the driver's snapshot
// code, so that tests drive the real @googleapis/sqladmin client against it (its rootUrl pointed here).
//
// As the API reference describes: backupRuns at /v1/projects/{project}/instances/{instance}/backupRuns[/{id}]
// (list, get, insert, delete), instances.restoreBackup at /v1/projects/{project}/instances/{instance}/restoreBackup,
// operations at /v1/projects/{project}/operations[/{operation}] (get, list by ?instance=). Mutations answer an
// Operation (`sql#operation`, status PENDING → RUNNING → DONE, with `error.errors[]` when it failed); backup runs go
// ENQUEUED → RUNNING → SUCCESSFUL (or FAILED). Errors are Google's JSON error shape
// `{ "error": { "code", "message", "errors": [{ "domain", "reason", "message" }], "status" } }`: 404 for an unknown
// instance, backup run or operation, 409 `operationInProgress` while another operation holds the instance, 401
// without a bearer token.
//
// Time is counted in requests: every request moves each unfinished operation one step on.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeOperation {
  kind: "sql#operation";
  name: string;
  status: "PENDING" | "RUNNING" | "DONE";
  operationType: string;
  targetId: string;
  targetProject: string;
  targetLink: string;
  selfLink: string;
  user: string;
  insertTime: string;
  startTime?: string;
  endTime?: string;
  backupContext?: { kind: "sql#backupContext"; backupId: string };
  error?: {
    kind: "sql#operationErrors";
    errors: { kind: "sql#operationError"; code: string; message: string }[];
  };
}

export interface FakeBackupRun {
  kind: "sql#backupRun";
  id: string;
  instance: string;
  description?: string;
  status: string;
  type: "ON_DEMAND" | "AUTOMATED";
  backupKind: "SNAPSHOT";
  enqueuedTime: string;
  startTime?: string;
  endTime?: string;
  databaseVersion: string;
  maxChargeableBytes: string;
  selfLink: string;
  error?: { kind: "sql#operationError"; code: string; message: string };
}

export interface FakeCloudSqlRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeCloudSql {
  rootUrl: string;
  project: string;
  token: string;
  /** Instance names that exist. */
  instances: Set<string>;
  runs: Map<string, FakeBackupRun>;
  operations: Map<string, FakeOperation>;
  requests: FakeCloudSqlRequest[];
  /** Restores that reached DONE: which backup run went into which instance. */
  restores: { instance: string; backupRunId: string; sourceInstance: string; sourceProject: string }[];
  addInstance: (name: string) => void;
  /** An existing backup run (e.g. an automated one). */
  addRun: (instance: string, run: Partial<FakeBackupRun>) => FakeBackupRun;
  /** The next backup's operation ends DONE with an error and its run FAILED. */
  failNextBackup: () => void;
  /** Operations of these types stay RUNNING (never finish). */
  stuckTypes: Set<string>;
  /** The instance answers 409 operationInProgress to this many mutations before it takes one. */
  busyFor: (instance: string, requests: number) => void;
  close: () => Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status: string,
  ) {
    super(message);
  }
}

export async function startFakeCloudSql(
  options: { project?: string; token?: string; ticks?: number } = {},
): Promise<FakeCloudSql> {
  const project = options.project ?? "cp-tenants-test";
  const token = options.token ?? "fake-access-token";
  const ticks = options.ticks ?? 3;
  const instances = new Set<string>();
  const runs = new Map<string, FakeBackupRun>();
  const operations = new Map<string, FakeOperation>();
  const requests: FakeCloudSqlRequest[] = [];
  const restores: FakeCloudSql["restores"] = [];
  const stuckTypes = new Set<string>();
  const busy = new Map<string, number>();
  /** Steps left of each unfinished operation, and what happens when it finishes. */
  const pending = new Map<string, { left: number; finish: () => void }>();
  let failBackup = false;
  let nextRunId = 1_700_000_000_000;
  let root = "";

  const now = () => new Date().toISOString();
  const link = (path: string) => `${root}v1/projects/${project}/${path}`;

  function tick(): void {
    for (const [name, state] of [...pending]) {
      const operation = operations.get(name)!;
      if (stuckTypes.has(operation.operationType)) {
        operation.status = "RUNNING";
        continue;
      }
      state.left -= 1;
      if (operation.status === "PENDING") {
        operation.status = "RUNNING";
        operation.startTime = now();
      }
      if (state.left > 0) continue;
      pending.delete(name);
      state.finish();
      operation.status = "DONE";
      operation.endTime = now();
    }
  }

  function requireInstance(instance: string): void {
    if (!instances.has(instance)) {
      throw new ApiError(404, "instanceDoesNotExist", "The Cloud SQL instance does not exist.", "NOT_FOUND");
    }
  }

  function startOperation(instance: string, operationType: string, finish: () => void): FakeOperation {
    requireInstance(instance);
    const left = busy.get(instance) ?? 0;
    const running = [...operations.values()].some((op) => op.targetId === instance && op.status !== "DONE");
    if (left > 0 || running) {
      if (left > 0) busy.set(instance, left - 1);
      throw new ApiError(
        409,
        "operationInProgress",
        "Operation failed because another operation was already in progress. Try your request after the current operation is complete.",
        "ABORTED",
      );
    }
    const name = randomUUID();
    const operation: FakeOperation = {
      kind: "sql#operation",
      name,
      status: "PENDING",
      operationType,
      targetId: instance,
      targetProject: project,
      targetLink: link(`instances/${instance}`),
      selfLink: link(`operations/${name}`),
      user: "cp-worker@cp-tenants-test.iam.gserviceaccount.com",
      insertTime: now(),
    };
    operations.set(name, operation);
    pending.set(name, { left: ticks, finish });
    return operation;
  }

  function runOf(instance: string, id: string): FakeBackupRun {
    requireInstance(instance);
    const run = runs.get(id);
    if (!run || run.instance !== instance) {
      throw new ApiError(404, "backupRunDoesNotExist", "The backup run does not exist.", "NOT_FOUND");
    }
    return run;
  }

  function addRun(instance: string, partial: Partial<FakeBackupRun>): FakeBackupRun {
    const id = partial.id ?? String(nextRunId++);
    const run: FakeBackupRun = {
      kind: "sql#backupRun",
      id,
      instance,
      status: "SUCCESSFUL",
      type: "AUTOMATED",
      backupKind: "SNAPSHOT",
      enqueuedTime: now(),
      databaseVersion: "MYSQL_8_0",
      maxChargeableBytes: "1073741824",
      selfLink: link(`instances/${instance}/backupRuns/${id}`),
      ...partial,
    };
    runs.set(id, run);
    return run;
  }

  function route(method: string, path: string, query: URLSearchParams, body: unknown): unknown {
    const prefix = `/v1/projects/${project}/`;
    if (!path.startsWith(prefix)) {
      throw new ApiError(404, "notFound", `The project in ${path} does not exist.`, "NOT_FOUND");
    }
    const parts = path.slice(prefix.length).split("/");
    // operations
    if (parts[0] === "operations" && parts.length === 1 && method === "GET") {
      const instance = query.get("instance");
      if (!instance) throw new ApiError(400, "invalid", "instance is required.", "INVALID_ARGUMENT");
      requireInstance(instance);
      const items = [...operations.values()].filter((op) => op.targetId === instance).reverse();
      return { kind: "sql#operationsList", items: items.slice(0, Number(query.get("maxResults") ?? 500)) };
    }
    if (parts[0] === "operations" && parts.length === 2 && method === "GET") {
      const operation = operations.get(parts[1]!);
      if (!operation)
        throw new ApiError(404, "operationDoesNotExist", "The operation does not exist.", "NOT_FOUND");
      return operation;
    }
    if (parts[0] !== "instances" || !parts[1]) {
      throw new ApiError(404, "notFound", `No such resource: ${path}`, "NOT_FOUND");
    }
    const instance = parts[1];
    if (parts[2] === "restoreBackup" && parts.length === 3 && method === "POST") {
      const context = (body as { restoreBackupContext?: Record<string, string> } | null)
        ?.restoreBackupContext;
      if (!context?.backupRunId) {
        throw new ApiError(
          400,
          "invalid",
          "restoreBackupContext.backupRunId is required.",
          "INVALID_ARGUMENT",
        );
      }
      const sourceInstance = context.instanceId ?? instance;
      const run = runOf(sourceInstance, context.backupRunId);
      if (run.status !== "SUCCESSFUL") {
        throw new ApiError(
          400,
          "invalidBackupRun",
          "The backup run is not in a restorable state.",
          "FAILED_PRECONDITION",
        );
      }
      return startOperation(instance, "RESTORE_VOLUME", () =>
        restores.push({
          instance,
          backupRunId: run.id,
          sourceInstance,
          sourceProject: context.project ?? project,
        }),
      );
    }
    if (parts[2] !== "backupRuns")
      throw new ApiError(404, "notFound", `No such resource: ${path}`, "NOT_FOUND");
    if (parts.length === 3 && method === "GET") {
      requireInstance(instance);
      const all = [...runs.values()].filter((r) => r.instance === instance).reverse();
      const pageSize = Number(query.get("maxResults") ?? 100);
      const start = Number(query.get("pageToken") ?? 0);
      const items = all.slice(start, start + pageSize);
      return {
        kind: "sql#backupRunsList",
        items,
        ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}),
      };
    }
    if (parts.length === 3 && method === "POST") {
      const description = (body as { description?: string } | null)?.description;
      const failing = failBackup;
      // The run is registered once the instance took the operation (a 409 leaves no run behind).
      const created: { run?: FakeBackupRun } = {};
      const operation = startOperation(instance, "BACKUP_VOLUME", () => {
        const run = created.run!;
        run.status = failing ? "FAILED" : "SUCCESSFUL";
        run.endTime = now();
        if (failing) {
          const error = {
            kind: "sql#operationError" as const,
            code: "INTERNAL_ERROR",
            message: "Backup failed.",
          };
          run.error = error;
          operation.error = { kind: "sql#operationErrors", errors: [error] };
        }
      });
      failBackup = false;
      const run = addRun(instance, { description, type: "ON_DEMAND", status: "ENQUEUED" });
      created.run = run;
      operation.backupContext = { kind: "sql#backupContext", backupId: run.id };
      return operation;
    }
    if (parts.length === 4 && method === "GET") {
      const run = runOf(instance, parts[3]!);
      // A run follows its operation: RUNNING while the operation runs.
      const operation = [...operations.values()].find((op) => op.backupContext?.backupId === run.id);
      if (run.status === "ENQUEUED" && operation?.status === "RUNNING") {
        run.status = "RUNNING";
        run.startTime = now();
      }
      return run;
    }
    if (parts.length === 4 && method === "DELETE") {
      const run = runOf(instance, parts[3]!);
      return startOperation(instance, "DELETE_BACKUP", () => runs.delete(run.id));
    }
    throw new ApiError(404, "notFound", `No such resource: ${method} ${path}`, "NOT_FOUND");
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await new Promise<string>((resolve, reject) => {
      let data = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (data += chunk));
      req.on("end", () => resolve(data));
      req.on("error", reject);
    });
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify(value));
    };
    try {
      if (req.headers.authorization !== `Bearer ${token}`) {
        throw new ApiError(
          401,
          "required",
          "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
          "UNAUTHENTICATED",
        );
      }
      const body = text ? (JSON.parse(text) as unknown) : null;
      requests.push({ method, path: url.pathname, body });
      tick();
      reply(200, route(method, url.pathname, url.searchParams, body));
    } catch (error) {
      const e =
        error instanceof ApiError ? error : new ApiError(500, "backendError", String(error), "INTERNAL");
      reply(e.code, {
        error: {
          code: e.code,
          message: e.message,
          errors: [{ message: e.message, domain: "global", reason: e.reason }],
          status: e.status,
        },
      });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  root = `http://127.0.0.1:${port}/`;
  return {
    rootUrl: root,
    project,
    token,
    instances,
    runs,
    operations,
    requests,
    restores,
    addInstance: (name) => void instances.add(name),
    addRun,
    failNextBackup: () => (failBackup = true),
    stuckTypes,
    busyFor: (instance, count) => void busy.set(instance, count),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
