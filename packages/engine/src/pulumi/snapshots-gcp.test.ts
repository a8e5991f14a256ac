// Cloud SQL backups and restores: the real @googleapis/sqladmin client against a local stand-in of the Cloud SQL
// Admin API v1 (testing/fake-cloud-sql.ts).
import { auth } from "@googleapis/sqladmin";
import { databaseInstanceName } from "@cp/infra-tenant";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError, type EngineHooks, type InstanceRef } from "../types";
import { backupDescription, CloudSqlSnapshots } from "./snapshots-gcp";
import { startFakeCloudSql, type FakeCloudSql } from "./testing/fake-cloud-sql";

const ref: InstanceRef = { instanceId: "inst_9", slug: "globex", cloud: "gcp", region: "europe-west4" };
const INSTANCE = databaseInstanceName(ref);

let fake: FakeCloudSql;
beforeEach(async () => {
  fake = await startFakeCloudSql({ project: "cp-tenants-test" });
  fake.addInstance(INSTANCE);
});
afterEach(async () => {
  await fake.close();
});

function snapshots(token = fake.token): CloudSqlSnapshots {
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return new CloudSqlSnapshots({
    driver: "pulumi-gcp",
    project: fake.project,
    rootUrl: fake.rootUrl,
    auth: client,
    poll: { intervalMs: 1, timeoutMs: 10_000 },
  });
}

interface Recorder {
  hooks: EngineHooks;
  logs: { message: string; level: string }[];
  progress: { step: string; percent: number }[];
}

function recorder(signal: AbortSignal = new AbortController().signal): Recorder {
  const logs: Recorder["logs"] = [];
  const progress: Recorder["progress"] = [];
  return {
    hooks: {
      log: (message, level = "info") => logs.push({ message, level }),
      progress: (step, percent) => progress.push({ step, percent }),
      signal,
    },
    logs,
    progress,
  };
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error("expected the promise to reject");
}

const posts = (suffix: string) => fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(suffix));

describe("Cloud SQL backups", () => {
  it("takes an on-demand backup run carrying the backup id, waits for its operation, and describes it", async () => {
    const r = recorder();
    const artifact = await snapshots().backup(ref, "bk_01", r.hooks);

    expect(INSTANCE).toMatch(/^cp-globex-db-[0-9a-f]{6}$/);
    expect(posts("/backupRuns")).toEqual([
      {
        method: "POST",
        path: `/v1/projects/cp-tenants-test/instances/${INSTANCE}/backupRuns`,
        body: { description: backupDescription("bk_01") },
      },
    ]);
    const [run] = [...fake.runs.values()];
    expect(run).toMatchObject({ status: "SUCCESSFUL", type: "ON_DEMAND", description: "cp-backup bk_01" });
    expect(artifact).toMatchObject({
      driver: "pulumi-gcp",
      location: `projects/cp-tenants-test/instances/${INSTANCE}/backupRuns/${run!.id}`,
      sizeBytes: 1024 ** 3,
      sha256: null,
      tables: null,
      details: { backupRunId: run!.id, instance: INSTANCE, project: "cp-tenants-test" },
    });
    // The operation was polled until DONE.
    expect(fake.requests.filter((q) => q.path.includes("/operations/")).length).toBeGreaterThan(1);
    expect(r.progress.at(-1)).toEqual({ step: `Backup of ${INSTANCE}`, percent: 100 });
  });

  it("is idempotent per backup id: the same id twice makes one backup run", async () => {
    fake.addRun(INSTANCE, { description: "an automated one" });
    const first = await snapshots().backup(ref, "bk_01", recorder().hooks);
    const second = await snapshots().backup(ref, "bk_01", recorder().hooks);
    expect(second.location).toBe(first.location);
    expect(posts("/backupRuns")).toHaveLength(1);
  });

  it("continues a backup run a cancelled attempt left running instead of starting another", async () => {
    fake.stuckTypes.add("BACKUP_VOLUME");
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = { ...r.hooks, progress: (_s, percent) => percent >= 10 && controller.abort() };
    expect((await rejection(snapshots().backup(ref, "bk_01", hooks))).code).toBe("CANCELLED");

    fake.stuckTypes.clear();
    const again = recorder();
    const artifact = await snapshots().backup(ref, "bk_01", again.hooks);
    expect(posts("/backupRuns")).toHaveLength(1);
    expect(artifact.location).toMatch(/backupRuns\/\d+$/);
    expect(again.logs.some((l) => l.message.includes("exists already"))).toBe(true);
  });

  it("fails with FAILED (retryable) when Cloud SQL fails the backup, deletes the run, and a retry takes a new one", async () => {
    fake.failNextBackup();
    const error = await rejection(snapshots().backup(ref, "bk_01", recorder().hooks));
    expect(error.code).toBe("FAILED");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/INTERNAL_ERROR: Backup failed/);
    expect(fake.requests.filter((q) => q.method === "DELETE")).toHaveLength(1);

    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    expect(posts("/backupRuns")).toHaveLength(2);
    expect(fake.runs.get(String(artifact.details.backupRunId))?.status).toBe("SUCCESSFUL");
  });

  it("waits while another operation holds the instance (409) and then starts the backup", async () => {
    fake.busyFor(INSTANCE, 2);
    await snapshots().backup(ref, "bk_01", recorder().hooks);
    expect(posts("/backupRuns")).toHaveLength(3);
    expect(fake.runs.size).toBe(1);
  });

  it("reports NOT_FOUND for a missing instance and NOT_CONFIGURED without valid credentials", async () => {
    const missing = await rejection(snapshots().backup({ ...ref, slug: "ghost" }, "bk_01", recorder().hooks));
    expect(missing.code).toBe("NOT_FOUND");
    const refused = await rejection(snapshots("wrong-token").backup(ref, "bk_01", recorder().hooks));
    expect(refused.code).toBe("NOT_CONFIGURED");
  });

  it("stops polling when the operation is aborted", async () => {
    fake.stuckTypes.add("BACKUP_VOLUME");
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = { ...r.hooks, progress: (_s, percent) => percent >= 10 && controller.abort() };
    expect((await rejection(snapshots().backup(ref, "bk_01", hooks))).code).toBe("CANCELLED");
    const count = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requests.length).toBe(count);
  });

  it("deletes a backup run; deleting one that is gone succeeds", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    const signal = new AbortController().signal;
    await snapshots().remove(artifact, signal);
    expect(fake.runs.size).toBe(0);
    await snapshots().remove(artifact, signal);
    expect(fake.requests.filter((q) => q.method === "DELETE")).toHaveLength(2);
  });
});

describe("Cloud SQL restore and verify", () => {
  it("restores the backup run into the instance itself and waits for the operation", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    const r = recorder();
    await snapshots().restore(ref, artifact, { requestId: "op_1", source: ref }, r.hooks);
    const runId = String(artifact.details.backupRunId);
    expect(posts("/restoreBackup")).toEqual([
      {
        method: "POST",
        path: `/v1/projects/cp-tenants-test/instances/${INSTANCE}/restoreBackup`,
        body: {
          restoreBackupContext: { backupRunId: runId, instanceId: INSTANCE, project: "cp-tenants-test" },
        },
      },
    ]);
    expect(fake.restores).toEqual([
      { instance: INSTANCE, backupRunId: runId, sourceInstance: INSTANCE, sourceProject: "cp-tenants-test" },
    ]);
    expect(r.progress.at(-1)?.percent).toBe(100);
  });

  it("restores another instance's backup into the target", async () => {
    const other: InstanceRef = {
      instanceId: "inst_8",
      slug: "initech",
      cloud: "gcp",
      region: "europe-west4",
    };
    fake.addInstance(databaseInstanceName(other));
    const artifact = await snapshots().backup(other, "bk_02", recorder().hooks);
    await snapshots().restore(ref, artifact, { requestId: "op_2", source: other }, recorder().hooks);
    expect(fake.restores).toEqual([
      expect.objectContaining({ instance: INSTANCE, sourceInstance: databaseInstanceName(other) }),
    ]);
  });

  it("waits for a restore that is still running instead of starting a second one", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    fake.stuckTypes.add("RESTORE_VOLUME");
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = { ...r.hooks, progress: (_s, percent) => percent >= 10 && controller.abort() };
    expect(
      (await rejection(snapshots().restore(ref, artifact, { requestId: "op_1", source: ref }, hooks))).code,
    ).toBe("CANCELLED");

    fake.stuckTypes.clear();
    const again = recorder();
    await snapshots().restore(ref, artifact, { requestId: "op_1", source: ref }, again.hooks);
    expect(posts("/restoreBackup")).toHaveLength(1);
    expect(fake.restores).toHaveLength(1);
    expect(again.logs[0]?.message).toMatch(/is running already/);
  });

  it("fails with NOT_FOUND when the backup run is gone", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    fake.runs.clear();
    const error = await rejection(
      snapshots().restore(ref, artifact, { requestId: "op_1", source: ref }, recorder().hooks),
    );
    expect(error.code).toBe("NOT_FOUND");
    expect(posts("/restoreBackup")).toHaveLength(0);
  });

  it("verifies by the backup run's state only, and says that no scratch restore is done", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    const r = recorder();
    const report = await snapshots().verify(ref, artifact, "op_v", r.hooks);
    expect(report).toMatchObject({ ok: true, checked: { tables: 0, rows: 0 }, problems: [] });
    expect(r.logs).toContainEqual({
      message: expect.stringMatching(/no scratch restore is done/),
      level: "warn",
    });
    expect(posts("/restoreBackup")).toHaveLength(0);

    fake.runs.clear();
    const gone = await snapshots().verify(ref, artifact, "op_v2", recorder().hooks);
    expect(gone).toMatchObject({ ok: false, problems: [expect.stringMatching(/does not exist any more/)] });
  });
});
