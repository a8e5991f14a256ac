import { describe, expect, it } from "vitest";
import { ConflictError } from "./errors";
import { TaskRegistry } from "./tasks";

const tick = () => new Promise((r) => setTimeout(r, 0));
const req = (over: Partial<Parameters<TaskRegistry["start"]>[0]> = {}) => ({
  kind: "backup" as const,
  key: "b1",
  slug: "acme",
  fingerprint: "acme",
  what: 'a backup of instance "acme"',
  field: "backupId",
  ...over,
});

describe("TaskRegistry", () => {
  it("runs a task and reports its steps, bytes, log and result", async () => {
    const tasks = new TaskRegistry();
    let finish!: () => void;
    const { view, started } = tasks.start(req(), async (ctx) => {
      ctx.step("dump", 100);
      ctx.bytes(40);
      ctx.log("half way");
      await new Promise<void>((r) => (finish = r));
      return { ok: true };
    });
    expect(started).toBe(true);
    expect(view).toMatchObject({ id: "backup-b1", kind: "backup", status: "running" });
    await tick();
    expect(tasks.get("backup-b1")).toMatchObject({ step: "dump", bytes: 40, totalBytes: 100 });
    expect(tasks.get("backup-b1")?.log.map((l) => l.message)).toEqual(["half way"]);
    finish();
    await tick();
    await tick();
    expect(tasks.get("backup-b1")).toMatchObject({ status: "succeeded", result: { ok: true } });
    expect(tasks.get("backup-b1")?.finishedAt).not.toBeNull();
  });

  it("answers the same task for the same id while it runs and after it succeeded", async () => {
    const tasks = new TaskRegistry();
    let runs = 0;
    tasks.start(req(), async () => void runs++);
    expect(tasks.start(req(), async () => void runs++).started).toBe(false);
    await tick();
    await tick();
    expect(tasks.get("backup-b1")?.status).toBe("succeeded");
    expect(tasks.start(req(), async () => void runs++).started).toBe(false);
    await tick();
    expect(runs).toBe(1);
  });

  it("starts a failed task anew", async () => {
    const tasks = new TaskRegistry();
    tasks.start(req(), async () => {
      throw new Error("the dump failed");
    });
    await tick();
    await tick();
    expect(tasks.get("backup-b1")).toMatchObject({ status: "failed", error: "the dump failed" });
    const again = tasks.start(req(), async () => "second");
    expect(again.started).toBe(true);
    expect(again.view.error).toBeNull();
    await tick();
    await tick();
    expect(tasks.get("backup-b1")).toMatchObject({ status: "succeeded", result: "second" });
  });

  it("refuses an id already used for something else, naming the field", () => {
    const tasks = new TaskRegistry();
    tasks.start(req(), () => new Promise(() => undefined));
    expect(() => tasks.start(req({ slug: "other", fingerprint: "other" }), async () => 1)).toThrow(
      ConflictError,
    );
    expect(() => tasks.start(req({ slug: "other", fingerprint: "other" }), async () => 1)).toThrow(
      /^backupId: "b1" was already used for a backup of instance "acme"/,
    );
  });

  it("keeps kinds apart: a verify may reuse a backup's id", () => {
    const tasks = new TaskRegistry();
    tasks.start(req(), () => new Promise(() => undefined));
    const v = tasks.start(req({ kind: "verify", fingerprint: "x", field: "requestId" }), async () => 1);
    expect(v.view.id).toBe("verify-b1");
  });

  it("forgets the oldest finished tasks beyond its limit, never running ones", async () => {
    const tasks = new TaskRegistry({ keepFinished: 2 });
    tasks.start(req({ key: "running" }), () => new Promise(() => undefined));
    for (const key of ["a", "b", "c"]) tasks.start(req({ key, fingerprint: "acme" }), async () => key);
    await tick();
    await tick();
    await tick();
    expect(tasks.get("backup-a")).toBeNull();
    expect(tasks.get("backup-b")?.status).toBe("succeeded");
    expect(tasks.get("backup-c")?.status).toBe("succeeded");
    expect(tasks.get("backup-running")?.status).toBe("running");
  });
});

describe("task failures", () => {
  it("carry a code saying whether a retry can help, and keep their message", async () => {
    const { TaskError } = await import("./tasks");
    const { NotFoundError } = await import("./errors");
    const tasks = new TaskRegistry();
    tasks.start(req({ key: "d" }), async () => {
      throw new TaskError("damaged_backup", "checksum: the stored dump is not the one recorded");
    });
    tasks.start(req({ key: "n" }), async () => {
      throw new NotFoundError('instance "acme" does not exist');
    });
    tasks.start(req({ key: "f" }), async () => {
      throw new Error("s3rver did not answer");
    });
    await tick();
    await tick();
    expect(tasks.get("backup-d")).toMatchObject({
      errorCode: "damaged_backup",
      error: "checksum: the stored dump is not the one recorded",
    });
    expect(tasks.get("backup-n")?.errorCode).toBe("not_found");
    expect(tasks.get("backup-f")?.errorCode).toBe("failed");
  });

  it("count the log lines they drop, so a poller never prints one twice", async () => {
    const tasks = new TaskRegistry();
    tasks.start(req(), async (ctx) => {
      for (let i = 0; i < 250; i++) ctx.log(`line ${i}`);
      ctx.step("dump");
      ctx.step("upload");
      ctx.step("upload");
    });
    await tick();
    const view = tasks.get("backup-b1")!;
    expect(view.log).toHaveLength(200);
    expect(view.logStart).toBe(50);
    expect(view.log[0]!.message).toBe("line 50");
    expect(view.steps).toEqual(["dump", "upload"]);
  });
});
