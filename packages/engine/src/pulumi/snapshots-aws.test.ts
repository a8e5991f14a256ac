// RDS snapshots, backups and restores: the real @aws-sdk/client-rds client against a local stand-in of the RDS Query
// API (testing/fake-rds.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError, type BackupArtifact, type EngineHooks, type InstanceRef } from "../types";
import { RdsSnapshots, snapshotName } from "./snapshots-aws";
import { startFakeRds, type FakeRds } from "./testing/fake-rds";

const ref: InstanceRef = { instanceId: "inst_1", slug: "acme", cloud: "aws", region: "us-east-1" };
const DB = "cp-acme-db";

let fake: FakeRds;
beforeEach(async () => {
  fake = await startFakeRds({ region: "us-east-1", accessKeyId: "AKIAFAKE" });
  fake.addInstance(DB, {
    TagList: [
      { Key: "cp-instance", Value: "acme" },
      { Key: "team", Value: "ml" },
    ],
    VpcSecurityGroupIds: ["sg-0acmedb"],
    DBSubnetGroupName: "db-subnets-acme",
    DBParameterGroupName: "db-params-acme",
  });
});
afterEach(async () => {
  await fake.close();
});

function snapshots(accessKeyId = "AKIAFAKE"): RdsSnapshots {
  return new RdsSnapshots({
    driver: "pulumi-aws",
    endpoint: fake.endpoint,
    credentials: { accessKeyId, secretAccessKey: "fake-secret" },
    poll: { intervalMs: 1, timeoutMs: 10_000 },
  });
}

interface Recorder {
  hooks: EngineHooks;
  logs: string[];
  progress: { step: string; percent: number }[];
}

function recorder(signal: AbortSignal = new AbortController().signal): Recorder {
  const logs: string[] = [];
  const progress: Recorder["progress"] = [];
  return {
    hooks: {
      log: (m) => logs.push(m),
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

/** The mutating calls, as `Action target` lines, in order. */
function mutations(): string[] {
  return fake.calls
    .filter((c) => !c.action.startsWith("Describe"))
    .map((c) => {
      const p = c.params;
      const target = p.DBInstanceIdentifier ?? p.DBSnapshotIdentifier ?? p.TargetDBSnapshotIdentifier ?? "";
      const extra = [
        p.NewDBInstanceIdentifier ? `-> ${p.NewDBInstanceIdentifier}` : "",
        p.DeletionProtection ? `DeletionProtection=${p.DeletionProtection}` : "",
        p.DBSnapshotIdentifier && p.DBInstanceIdentifier && c.action === "RestoreDBInstanceFromDBSnapshot"
          ? `from ${p.DBSnapshotIdentifier}`
          : "",
      ].filter(Boolean);
      return [c.action, target, ...extra].join(" ");
    });
}

describe("RDS snapshots", () => {
  it("takes a snapshot named after the backup id, reports its progress, and describes it as an artifact", async () => {
    const r = recorder();
    const artifact = await snapshots().backup(ref, "bk_01", r.hooks);

    const id = snapshotName(DB, "bk_01");
    expect(id).toMatch(/^cp-acme-db-bk-01-[0-9a-f]{8}$/);
    expect(artifact).toMatchObject({
      driver: "pulumi-aws",
      location: `arn:aws:rds:us-east-1:123456789012:snapshot:${id}`,
      sizeBytes: 100 * 1024 ** 3,
      sha256: null,
      tables: null,
      bucketManifest: null,
      details: { snapshotId: id, dbInstanceIdentifier: DB, region: "us-east-1", engine: "mysql 8.0.39" },
    });
    expect(fake.snapshots.get(id)).toMatchObject({ Status: "available", DBInstanceIdentifier: DB });
    // The instance's own tags, plus which backup it is.
    expect(fake.snapshots.get(id)!.TagList).toEqual([
      { Key: "cp-instance", Value: "acme" },
      { Key: "team", Value: "ml" },
      { Key: "cp-backup-id", Value: "bk_01" },
    ]);

    // Progress follows RDS's PercentProgress, never goes back, and ends at 100.
    const percents = r.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.filter((p) => p > 2 && p < 100).length).toBeGreaterThan(0);
    expect(r.progress.at(-1)).toEqual({ step: `Snapshot ${id}`, percent: 100 });
  });

  it("uses a backup id RDS accepts as is", () => {
    expect(snapshotName(DB, "backup-2026-01-02")).toBe("cp-acme-db-backup-2026-01-02");
    expect(snapshotName(DB, "Backup_X")).not.toBe(snapshotName(DB, "backup-x"));
  });

  it("is idempotent per backup id: the same id twice makes one snapshot", async () => {
    const first = await snapshots().backup(ref, "bk_01", recorder().hooks);
    const r = recorder();
    const second = await snapshots().backup(ref, "bk_01", r.hooks);
    expect(second.location).toBe(first.location);
    expect(fake.actions().filter((a) => a === "CreateDBSnapshot")).toHaveLength(1);
    expect(fake.snapshots.size).toBe(1);
    expect(r.logs.some((l) => l.includes("exists already"))).toBe(true);
  });

  it("continues a snapshot a crashed attempt left creating instead of starting another", async () => {
    const id = snapshotName(DB, "bk_01");
    fake.stuck.add(id);
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = {
      ...r.hooks,
      progress: (step, percent) => percent > 1 && controller.abort(),
    };
    expect((await rejection(snapshots().backup(ref, "bk_01", hooks))).code).toBe("CANCELLED");
    expect(fake.snapshots.get(id)?.Status).toBe("creating");

    fake.stuck.delete(id);
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    expect(artifact.details.snapshotId).toBe(id);
    expect(fake.actions().filter((a) => a === "CreateDBSnapshot")).toHaveLength(1);
  });

  it("fails with FAILED (retryable) when RDS fails the snapshot, deletes it, and a retry takes a new one", async () => {
    fake.failNextSnapshot();
    const error = await rejection(snapshots().backup(ref, "bk_01", recorder().hooks));
    expect(error.code).toBe("FAILED");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/could not take snapshot .* \(status failed\)/);
    expect(mutations()).toContain(`DeleteDBSnapshot ${snapshotName(DB, "bk_01")}`);

    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    expect(fake.snapshots.get(String(artifact.details.snapshotId))?.Status).toBe("available");
    expect(fake.actions().filter((a) => a === "CreateDBSnapshot")).toHaveLength(2);
  });

  it("reports NOT_FOUND for an instance whose database does not exist", async () => {
    const error = await rejection(snapshots().backup({ ...ref, slug: "ghost" }, "bk_01", recorder().hooks));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("cp-ghost-db");
  });

  it("reports NOT_CONFIGURED when RDS refuses the worker's credentials", async () => {
    const error = await rejection(snapshots("AKIAWRONG").backup(ref, "bk_01", recorder().hooks));
    expect(error.code).toBe("NOT_CONFIGURED");
    expect(error.message).toMatch(/credentials/);
  });

  it("stops polling when the operation is aborted", async () => {
    fake.stuck.add(snapshotName(DB, "bk_01"));
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = {
      ...r.hooks,
      progress: (_step, percent) => percent > 1 && controller.abort(),
    };
    const started = Date.now();
    const error = await rejection(snapshots().backup(ref, "bk_01", hooks));
    expect(error.code).toBe("CANCELLED");
    expect(Date.now() - started).toBeLessThan(5_000);
    const calls = fake.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.calls.length).toBe(calls);
  });

  it("deletes a snapshot; deleting one that is gone succeeds", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    const signal = new AbortController().signal;
    await snapshots().remove(artifact, signal);
    expect(fake.snapshots.get(String(artifact.details.snapshotId))?.Status).toBe("deleting");
    await snapshots().remove(artifact, signal);
    await snapshots().remove({ ...artifact, location: fake.snapshotArn("cp-acme-db-never-taken") }, signal);
    expect(fake.actions().filter((a) => a === "DeleteDBSnapshot")).toHaveLength(1);
  });
});

describe("RDS restore", () => {
  async function backup(): Promise<BackupArtifact> {
    return snapshots().backup(ref, "bk_01", recorder().hooks);
  }
  const source = ref;

  it("restores into a new instance, swaps it in by renames, and deletes the old one only after the swap", async () => {
    const artifact = await backup();
    const before = fake.instances.get(DB)!;
    fake.calls.length = 0;
    const r = recorder();
    await snapshots().restore(ref, artifact, { requestId: "op_restore_1", source }, r.hooks);

    const snapshotId = String(artifact.details.snapshotId);
    const steps = mutations();
    const restored = steps[0]!.split(" ")[1]!;
    const old = steps.find((s) => s.startsWith(`ModifyDBInstance ${DB} ->`))!.split("-> ")[1]!;
    expect(restored).toMatch(/^cp-acme-db-r[0-9a-f]{8}$/);
    expect(old).toMatch(/^cp-acme-db-o[0-9a-f]{8}$/);
    expect(steps).toEqual([
      `RestoreDBInstanceFromDBSnapshot ${restored} DeletionProtection=false from ${snapshotId}`,
      `ModifyDBInstance ${restored} DeletionProtection=true`,
      `ModifyDBInstance ${DB} -> ${old}`,
      `ModifyDBInstance ${restored} -> ${DB}`,
      `ModifyDBInstance ${old} DeletionProtection=false`,
      `DeleteDBInstance ${old}`,
    ]);
    const restoreCall = fake.calls.find((c) => c.action === "RestoreDBInstanceFromDBSnapshot")!.params;
    // The new instance sits where the old one did, with its settings.
    expect(restoreCall).toMatchObject({
      DBSubnetGroupName: "db-subnets-acme",
      "VpcSecurityGroupIds.VpcSecurityGroupId.1": "sg-0acmedb",
      DBParameterGroupName: "db-params-acme",
      DBInstanceClass: before.DBInstanceClass,
      ManageMasterUserPassword: "true",
      BackupRetentionPeriod: "14",
      PreferredBackupWindow: "03:00-03:30",
    });
    for (const rename of fake.calls.filter((c) => c.params.NewDBInstanceIdentifier)) {
      expect(rename.params.ApplyImmediately).toBe("true");
    }
    const deletion = fake.calls.find((c) => c.action === "DeleteDBInstance")!.params;
    expect(deletion).toMatchObject({ SkipFinalSnapshot: "true", DeleteAutomatedBackups: "false" });

    const now = fake.instances.get(DB)!;
    expect(now.restoredFrom).toBe(snapshotId);
    expect(now.DbiResourceId).not.toBe(before.DbiResourceId);
    expect(now.DeletionProtection).toBe(true);
    expect(now.TagList).toContainEqual({ Key: "cp-restore-request", Value: "op_restore_1" });
    expect(now.TagList).toContainEqual({ Key: "team", Value: "ml" });
    expect([...fake.instances.keys()]).toEqual([DB]);
    expect(r.progress.at(-1)).toEqual({ step: "Database restored", percent: 100 });
    expect(r.logs.some((l) => l.includes("loses its database until the swap is done"))).toBe(true);
  });

  it("resumes an interrupted swap with the same request id and never restores twice", async () => {
    const artifact = await backup();
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = {
      ...r.hooks,
      log: (message) => {
        r.logs.push(message);
        // The worker dies right after asking RDS to rename the original away.
        if (message.startsWith(`Renaming ${DB} to`)) setImmediate(() => controller.abort());
      },
    };
    expect(
      (await rejection(snapshots().restore(ref, artifact, { requestId: "op_restore_1", source }, hooks)))
        .code,
    ).toBe("CANCELLED");
    expect(fake.instances.has(DB) && fake.instances.get(DB)!.restoredFrom === null).toBe(true);

    await snapshots().restore(ref, artifact, { requestId: "op_restore_1", source }, recorder().hooks);
    expect(fake.actions().filter((a) => a === "RestoreDBInstanceFromDBSnapshot")).toHaveLength(1);
    expect(fake.instances.get(DB)!.restoredFrom).toBe(artifact.details.snapshotId);
    expect([...fake.instances.keys()]).toEqual([DB]);

    // Once more after it finished: nothing to do.
    const calls = mutations().length;
    const again = recorder();
    await snapshots().restore(ref, artifact, { requestId: "op_restore_1", source }, again.hooks);
    expect(mutations().length).toBe(calls);
    expect(again.logs[0]).toMatch(/already the database restored by this request/);
  });

  it("fails without touching the original when RDS cannot restore the snapshot", async () => {
    const artifact = await backup();
    fake.failNextRestore("incompatible-restore");
    const error = await rejection(
      snapshots().restore(ref, artifact, { requestId: "op_restore_2", source }, recorder().hooks),
    );
    expect(error.code).toBe("FAILED");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/incompatible-restore.*cp-acme-db was not touched/);
    expect(fake.instances.get(DB)).toMatchObject({ DBInstanceStatus: "available", restoredFrom: null });
    expect(mutations().some((m) => m.startsWith(`ModifyDBInstance ${DB}`))).toBe(false);
    expect([...fake.instances.values()].filter((i) => i.DBInstanceIdentifier !== DB)).toEqual([
      expect.objectContaining({ DBInstanceStatus: "deleting" }),
    ]);
  });

  it("copies another instance's snapshot under the target's key before restoring it, and deletes the copy", async () => {
    fake.addInstance("cp-other-db");
    const other: InstanceRef = { instanceId: "inst_2", slug: "other", cloud: "aws", region: "us-east-1" };
    const artifact = await snapshots().backup(other, "bk_other", recorder().hooks);
    await snapshots().restore(ref, artifact, { requestId: "op_restore_3", source: other }, recorder().hooks);

    const copy = fake.calls.find((c) => c.action === "CopyDBSnapshot")!.params;
    expect(copy.SourceDBSnapshotIdentifier).toBe(artifact.details.snapshotId);
    expect(copy.KmsKeyId).toBe(`arn:aws:kms:us-east-1:123456789012:key/${DB}-key`);
    expect(fake.instances.get(DB)).toMatchObject({
      restoredFrom: copy.TargetDBSnapshotIdentifier,
      KmsKeyId: `arn:aws:kms:us-east-1:123456789012:key/${DB}-key`,
    });
    expect(fake.snapshots.get(copy.TargetDBSnapshotIdentifier!)?.Status).toBe("deleting");
    expect(fake.snapshots.get(String(artifact.details.snapshotId))?.Status).toBe("available");
  });

  it("refuses a snapshot from another region", async () => {
    const artifact = await backup();
    const error = await rejection(
      snapshots().restore(
        { ...ref, region: "eu-west-1" },
        artifact,
        { requestId: "op_restore_4", source },
        recorder().hooks,
      ),
    );
    expect(error.code).toBe("FAILED");
    expect(error.message).toMatch(/across regions/);
  });
});

describe("RDS verify", () => {
  it("restores the snapshot into a scratch instance, waits until it is available, and deletes it", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    fake.calls.length = 0;
    const r = recorder();
    const report = await snapshots().verify(ref, artifact, "op_verify_1", r.hooks);

    expect(report).toMatchObject({ ok: true, checked: { tables: 0, rows: 0 }, problems: [] });
    const restore = fake.calls.find((c) => c.action === "RestoreDBInstanceFromDBSnapshot")!.params;
    const scratch = restore.DBInstanceIdentifier!;
    expect(scratch).toMatch(/^cp-acme-db-v[0-9a-f]{8}$/);
    expect(restore).toMatchObject({
      DBSnapshotIdentifier: artifact.details.snapshotId,
      DBSubnetGroupName: "db-subnets-acme",
      "VpcSecurityGroupIds.VpcSecurityGroupId.1": "sg-0acmedb",
      PubliclyAccessible: "false",
      DeletionProtection: "false",
      BackupRetentionPeriod: "0",
    });
    expect(fake.calls.find((c) => c.action === "DeleteDBInstance")?.params).toMatchObject({
      DBInstanceIdentifier: scratch,
      SkipFinalSnapshot: "true",
    });
    expect(fake.instances.get(scratch)?.DBInstanceStatus).toBe("deleting");
    expect(fake.instances.get(DB)?.DBInstanceStatus).toBe("available");
    expect(r.logs.some((l) => /Rows were not compared/.test(l))).toBe(true);
  });

  it("reports a snapshot RDS cannot restore, and still deletes the scratch instance", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    fake.failNextRestore("incompatible-restore");
    const report = await snapshots().verify(ref, artifact, "op_verify_2", recorder().hooks);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/went to "incompatible-restore"/)]);
    expect(fake.actions()).toContain("DeleteDBInstance");
  });

  it("reports a snapshot that no longer exists", async () => {
    const artifact = await snapshots().backup(ref, "bk_01", recorder().hooks);
    // Deleted outside the control plane.
    fake.snapshots.delete(String(artifact.details.snapshotId));
    const report = await snapshots().verify(ref, artifact, "op_verify_3", recorder().hooks);
    expect(report).toMatchObject({ ok: false, problems: [expect.stringMatching(/does not exist any more/)] });
  });
});
