// Long-running work (backup, verify, restore) as tasks keyed by the caller's id, like a cloud's async operations: the
// caller starts one, then polls GET /v1/tasks/:id. Idempotent: the same id while the task runs or after it succeeded
// answers that task; after it failed, it starts anew. In memory only: a daemon restart forgets running tasks, their
// poll answers 404, and the caller (the local engine) retries with the same id.
import { ConflictError, describe, NotFoundError } from "./errors";

export type TaskKind = "backup" | "verify" | "restore";
export type TaskStatus = "running" | "succeeded" | "failed";

/**
 * A failure a retry cannot fix, with a code the caller can act on: `damaged_backup` (the stored dump is not what was
 * recorded), `not_found` (the instance is gone). Any other error is `failed` (retrying may help).
 */
export class TaskError extends Error {
  override name = "TaskError";
  constructor(
    // Not `code`: describe() would prefix the message with it.
    readonly errorCode: "damaged_backup" | "not_found",
    message: string,
  ) {
    super(message);
  }
}

export interface TaskLogLine {
  at: string;
  level: "info" | "warn" | "error";
  message: string;
}

export interface TaskView {
  /** `<kind>-<key>`, e.g. `backup-b_123`. */
  id: string;
  kind: TaskKind;
  /** The caller's id (backupId or requestId). */
  key: string;
  slug: string;
  status: TaskStatus;
  /** The step now running (or the last one): lock, dump, upload, download, restore, copy, start, compare, ... */
  step: string | null;
  /** Every step the task has entered, in order (a poller that missed one still reports it). */
  steps: string[];
  /** Bytes processed so far in the current step, and the total when known. */
  bytes: number;
  totalBytes: number | null;
  error: string | null;
  /** Why it failed: `damaged_backup` and `not_found` will fail again; `failed` may succeed on a retry. */
  errorCode: "damaged_backup" | "not_found" | "failed" | null;
  result: unknown;
  /** The task's log, oldest first (at most the last MAX_LOG lines). */
  log: TaskLogLine[];
  /** How many older lines were dropped: `log[i]` is line `logStart + i` of the whole log. */
  logStart: number;
  startedAt: string;
  finishedAt: string | null;
}

export interface TaskContext {
  step(name: string, totalBytes?: number | null): void;
  bytes(done: number): void;
  log(message: string, level?: TaskLogLine["level"]): void;
}

interface Task {
  view: TaskView;
  /** What the task was started for (slug, artifact): the same id for something else is a conflict. */
  fingerprint: string;
  /** Describes the fingerprint in a conflict message. */
  what: string;
}

const MAX_LOG = 200;

export class TaskRegistry {
  private readonly tasks = new Map<string, Task>();

  constructor(
    private readonly options: {
      now?: () => Date;
      /** Finished tasks kept for polling; the oldest are forgotten first. */
      keepFinished?: number;
      onFinish?: (view: TaskView) => void;
    } = {},
  ) {}

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  static idOf(kind: TaskKind, key: string): string {
    return `${kind}-${key}`;
  }

  /**
   * Starts `run` as task `<kind>-<key>`, or answers the task already known under that id (running or succeeded).
   * `field` names the id in a conflict (e.g. `backupId`).
   */
  start(
    req: { kind: TaskKind; key: string; slug: string; fingerprint: string; what: string; field: string },
    run: (ctx: TaskContext) => Promise<unknown>,
  ): { view: TaskView; started: boolean } {
    const id = TaskRegistry.idOf(req.kind, req.key);
    const existing = this.tasks.get(id);
    if (existing) {
      if (existing.fingerprint !== req.fingerprint) {
        throw new ConflictError(
          `${req.field}: "${req.key}" was already used for ${existing.what}; choose a new ${req.field}`,
        );
      }
      if (existing.view.status !== "failed") return { view: snapshot(existing.view), started: false };
    }
    const view: TaskView = {
      id,
      kind: req.kind,
      key: req.key,
      slug: req.slug,
      status: "running",
      step: null,
      steps: [],
      bytes: 0,
      totalBytes: null,
      error: null,
      errorCode: null,
      result: null,
      log: [],
      logStart: 0,
      startedAt: this.now(),
      finishedAt: null,
    };
    const task: Task = { view, fingerprint: req.fingerprint, what: req.what };
    this.tasks.delete(id);
    this.tasks.set(id, task);
    const ctx: TaskContext = {
      step: (name, totalBytes = null) => {
        view.step = name;
        if (view.steps.at(-1) !== name) view.steps.push(name);
        view.bytes = 0;
        view.totalBytes = totalBytes;
      },
      bytes: (done) => {
        view.bytes = done;
      },
      log: (message, level = "info") => {
        view.log.push({ at: this.now(), level, message });
        if (view.log.length > MAX_LOG) {
          const drop = view.log.length - MAX_LOG;
          view.log.splice(0, drop);
          view.logStart += drop;
        }
      },
    };
    // Started on the next tick so that a synchronous throw inside `run` still ends as a failed task.
    void Promise.resolve()
      .then(() => run(ctx))
      .then(
        (result) => {
          view.status = "succeeded";
          view.result = result ?? null;
        },
        (err: unknown) => {
          view.status = "failed";
          view.error = describe(err);
          view.errorCode =
            err instanceof TaskError ? err.errorCode : err instanceof NotFoundError ? "not_found" : "failed";
          ctx.log(view.error, "error");
        },
      )
      .finally(() => {
        view.finishedAt = this.now();
        this.prune();
        this.options.onFinish?.(snapshot(view));
      });
    return { view: snapshot(view), started: true };
  }

  get(id: string): TaskView | null {
    const task = this.tasks.get(id);
    return task ? snapshot(task.view) : null;
  }

  /** Running tasks of an instance (e.g. to say why an operation waits). */
  running(slug: string): TaskView[] {
    return [...this.tasks.values()]
      .filter((t) => t.view.slug === slug && t.view.status === "running")
      .map((t) => snapshot(t.view));
  }

  private prune(): void {
    const keep = this.options.keepFinished ?? 500;
    const finished = [...this.tasks.entries()].filter(([, t]) => t.view.status !== "running");
    for (const [id] of finished.slice(0, Math.max(0, finished.length - keep))) this.tasks.delete(id);
  }
}

/** A copy, so callers never hold (or change) the live view. */
function snapshot(view: TaskView): TaskView {
  return { ...view, steps: [...view.steps], log: [...view.log] };
}
