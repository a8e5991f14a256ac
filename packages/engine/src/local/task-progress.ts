// Following a local cloud task (backup, verify, restore) to its end: its steps become the operation's progress, its
// log lines the operation's log. Kept apart from the driver so the mapping is tested without a daemon.
import { EngineError, type EngineHooks } from "../types";
import type { LocalTaskView } from "./api-types";

/** Per task kind: each step the daemon reports, and the share of the whole (from, to) it stands for. */
export const TASK_STEPS: Record<LocalTaskView["kind"], Record<string, readonly [number, number]>> = {
  backup: { lock: [2, 5], dump: [5, 85], upload: [85, 98] },
  verify: { verify: [5, 80], compare: [80, 92], cleanup: [92, 98] },
  restore: { download: [2, 30], restore: [30, 80], copy: [80, 88], start: [88, 95] },
};

/** The progress a view stands for: its step's range, advanced by the bytes done when the total is known. Pure. */
export function taskPercent(view: Pick<LocalTaskView, "kind" | "step" | "bytes" | "totalBytes">): number {
  const range = view.step ? TASK_STEPS[view.kind][view.step] : undefined;
  if (!range) return 0;
  const [from, to] = range;
  if (!view.totalBytes || view.totalBytes <= 0) return from;
  const share = Math.min(1, Math.max(0, view.bytes / view.totalBytes));
  return Math.round(from + (to - from) * share);
}

/** Reports what is new in `view` since the last call: log lines, and the step when it or its percent moved. */
export class TaskReporter {
  private logged = 0;
  private stepsReported = 0;
  private lastPercent = -1;

  constructor(private readonly hooks: Pick<EngineHooks, "log" | "progress">) {}

  report(view: LocalTaskView): void {
    const from = Math.max(this.logged, view.logStart);
    for (let i = from - view.logStart; i < view.log.length; i++) {
      const line = view.log[i]!;
      // The task's final error is reported by the caller's failure; not twice.
      if (view.status === "failed" && line.level === "error" && line.message === view.error) continue;
      this.hooks.log(line.message, line.level);
    }
    this.logged = view.logStart + view.log.length;
    // Steps passed between two polls are reported too, at their start.
    const steps = view.steps ?? [];
    for (; this.stepsReported < steps.length - 1; this.stepsReported++) {
      const step = steps[this.stepsReported]!;
      const start = TASK_STEPS[view.kind][step]?.[0] ?? 0;
      this.hooks.progress(step, Math.max(start, this.lastPercent));
      this.lastPercent = Math.max(start, this.lastPercent);
    }
    if (!view.step) return;
    const percent = Math.max(taskPercent(view), this.lastPercent);
    if (this.stepsReported < steps.length || percent > this.lastPercent) {
      this.hooks.progress(view.step, percent);
      this.stepsReported = steps.length;
      this.lastPercent = percent;
    }
  }
}

/** The EngineError for a failed task: a damaged backup or a missing instance is not retryable; anything else is. */
export function taskFailure(view: LocalTaskView): EngineError {
  const what = { backup: "back up", verify: "verify the backup of", restore: "restore" }[view.kind];
  const message = `The local cloud could not ${what} ${view.slug}: ${view.error ?? "unknown error"}`;
  if (view.errorCode === "not_found") return new EngineError("NOT_FOUND", message, false);
  return new EngineError("FAILED", message, view.errorCode !== "damaged_backup");
}
