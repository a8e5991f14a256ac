import { describe, expect, it } from "vitest";
import type { LocalTaskView } from "./api-types";
import { taskFailure, taskPercent, TaskReporter } from "./task-progress";

const view = (over: Partial<LocalTaskView> = {}): LocalTaskView => ({
  id: "restore-r1",
  kind: "restore",
  key: "r1",
  slug: "acme",
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
  startedAt: "2025-01-01T00:00:00.000Z",
  finishedAt: null,
  ...over,
});

function recorder() {
  const progress: [string, number][] = [];
  const logs: [string, string | undefined][] = [];
  return {
    progress,
    logs,
    hooks: {
      log: (m: string, l?: "info" | "warn" | "error") => void logs.push([m, l]),
      progress: (s: string, p: number) => void progress.push([s, p]),
    },
  };
}

describe("taskPercent", () => {
  it("places a step in its range and advances it by bytes when the total is known", () => {
    expect(taskPercent({ kind: "restore", step: "download", bytes: 0, totalBytes: 100 })).toBe(2);
    expect(taskPercent({ kind: "restore", step: "download", bytes: 50, totalBytes: 100 })).toBe(16);
    expect(taskPercent({ kind: "restore", step: "restore", bytes: 100, totalBytes: 100 })).toBe(80);
    expect(taskPercent({ kind: "backup", step: "dump", bytes: 10, totalBytes: null })).toBe(5);
    expect(taskPercent({ kind: "backup", step: "unknown", bytes: 0, totalBytes: null })).toBe(0);
  });
});

describe("TaskReporter", () => {
  it("reports steps passed between polls, new log lines once, and progress that only moves forward", () => {
    const r = recorder();
    const reporter = new TaskReporter(r.hooks);
    const line = (message: string) => ({ at: "t", level: "info" as const, message });
    reporter.report(
      view({ step: "download", steps: ["download"], bytes: 10, totalBytes: 100, log: [line("a")] }),
    );
    reporter.report(
      view({
        step: "copy",
        steps: ["download", "restore", "copy"],
        log: [line("a"), line("b")],
        totalBytes: null,
      }),
    );
    reporter.report(
      view({
        step: "copy",
        steps: ["download", "restore", "copy"],
        log: [line("b"), line("c")],
        logStart: 1,
      }),
    );
    expect(r.progress).toEqual([
      ["download", 5],
      ["restore", 30],
      ["copy", 80],
    ]);
    expect(r.logs.map(([m]) => m)).toEqual(["a", "b", "c"]);
  });

  it("does not log a failed task's error twice (the failure carries it)", () => {
    const r = recorder();
    new TaskReporter(r.hooks).report(
      view({ status: "failed", error: "boom", log: [{ at: "t", level: "error", message: "boom" }] }),
    );
    expect(r.logs).toEqual([]);
  });
});

describe("taskFailure", () => {
  it("makes a damaged backup or a missing instance final, anything else retryable", () => {
    expect(
      taskFailure(view({ status: "failed", error: "checksum: ...", errorCode: "damaged_backup" })),
    ).toMatchObject({
      code: "FAILED",
      retryable: false,
      message: "The local cloud could not restore acme: checksum: ...",
    });
    expect(taskFailure(view({ status: "failed", errorCode: "not_found", error: "gone" }))).toMatchObject({
      code: "NOT_FOUND",
      retryable: false,
    });
    expect(
      taskFailure(view({ kind: "backup", status: "failed", errorCode: "failed", error: "s3" })),
    ).toMatchObject({
      code: "FAILED",
      retryable: true,
      message: "The local cloud could not back up acme: s3",
    });
  });
});
