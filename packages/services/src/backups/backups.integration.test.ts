// The backup flows through the operation runner with the scripted driver: the rows a backup, a verification, a
// restore and pruning leave behind, the scheduler's idempotency, and the failure paths. Real dumps and restores on
// the local cloud are covered by apps/worker/src/backups.integration.test.ts.
import { randomUUID } from "node:crypto";
import { resetEnvCache } from "@cp/config";
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { EngineError } from "@cp/engine";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ServiceContext } from "../context";
import { createOperationTx } from "../operations/operations";
import { processInstanceQueue } from "../operations/run-operation";
import { ScriptedEngine } from "../operations/testing/scripted-engine";
import { cancelOperation } from "../instances/instance-actions";
import {
  cloneFromBackup,
  getBackupPolicy,
  listBackups,
  restoreBackup,
  setBackupLimits,
  takeBackup,
  updateBackupPolicy,
  verifyBackupAgain,
} from "./backups";
import { pruneExpiredBackups, scheduleDueBackups } from "./schedule";

/* eslint-disable no-restricted-properties -- the test sets the timing configuration the runner reads */
beforeAll(() => {
  Object.assign(process.env, { CP_OPERATION_HEARTBEAT_MS: "50", CP_OPERATION_MAX_ATTEMPTS: "2" });
  resetEnvCache();
});

let engine: ScriptedEngine;
beforeEach(() => {
  engine = new ScriptedEngine();
});
const deps = () => ({ engines: { local: engine }, workerId: "w1" });

async function setup() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Bk ${suffix}`, slug: `bk-${suffix}`, plan: "dedicated", instanceQuota: 10 },
  });
  const user = await db().user.create({ data: { email: `admin-${suffix}@example.com` } });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  const instance = await db().instance.create({
    data: {
      orgId: org.id,
      name: `inst-${suffix}`,
      slug: `inst-${suffix}`,
      cloud: "local",
      region: "local",
      size: "small",
      mysqlVersion: "8.0",
      storageMode: "provider",
      status: "running",
      url: `https://inst-${suffix}.example.test`,
      config: {
        cloud: "local",
        region: "local",
        size: "small",
        mysqlVersion: "8.0",
        storage: { mode: "provider" },
        sso: { mode: "provider" },
        reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
        ipAllowlist: [],
      },
    },
  });
  const ctx: ServiceContext = {
    actor: {
      userId: user.id,
      email: user.email,
      staffRole: "none",
      memberships: [{ orgId: org.id, role: "admin" }],
    },
    ip: "203.0.113.9",
    userAgent: "test",
    requestId: randomUUID(),
    log: logger(),
  };
  return { org, user, instance, ctx, suffix };
}

const run = (instanceId: string) => processInstanceQueue(instanceId, deps());

describe("backups through the operation runner", () => {
  it("takes a manual backup, records what was stored and verifies it in a follow-up operation", async () => {
    const { org, instance, ctx } = await setup();
    const { backupId } = await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    expect(await db().backup.findUniqueOrThrow({ where: { id: backupId } })).toMatchObject({
      status: "queued",
      kind: "manual",
    });
    await run(instance.id);
    const b = await db().backup.findUniqueOrThrow({ where: { id: backupId } });
    expect(b).toMatchObject({ status: "completed", verification: "verified", tableCount: 1 });
    expect(Number(b.sizeBytes)).toBe(1024);
    expect(Number(b.rowCount)).toBe(3);
    expect(b.expiresAt!.getTime() - b.completedAt!.getTime()).toBe(14 * 86_400_000);
    const kinds = await db().operation.findMany({
      where: { instanceId: instance.id },
      orderBy: { createdAt: "asc" },
      select: { kind: true, status: true },
    });
    expect(kinds).toEqual([
      { kind: "backup", status: "succeeded" },
      { kind: "verify_backup", status: "succeeded" },
    ]);
    const page = await listBackups({ orgId: org.id, instanceId: instance.id, limit: 10 });
    expect(page.items.map((x) => x.id)).toEqual([backupId]);
    expect(JSON.stringify(page)).not.toContain("scripted://");
    // The instance's state is not touched by a backup.
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).status).toBe("running");
  });

  it("never overlaps other work on the instance: a backup waits for a queued update to finish", async () => {
    const { org, instance, ctx } = await setup();
    engine.applyMs = 300;
    await createOperationTx(db(), {
      instanceId: instance.id,
      kind: "update",
      params: { size: "recommended" },
    });
    await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await Promise.all([run(instance.id), run(instance.id), run(instance.id)]);
    const calls = engine.calls.filter((c) => c.slug === instance.slug);
    expect(calls.map((c) => c.method)).toEqual(["apply", "backup", "verify"]);
    expect(calls[1]!.at).toBeGreaterThanOrEqual(calls[0]!.endedAt!);
  });

  it("refuses a second manual backup while one waits, and a backup of an instance that is not up yet", async () => {
    const { org, instance, ctx } = await setup();
    await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await expect(takeBackup(ctx, { orgId: org.id, instanceId: instance.id })).rejects.toThrow(
      /already waiting to run/,
    );
    await db().instance.update({ where: { id: instance.id }, data: { url: null, status: "provisioning" } });
    await expect(takeBackup(ctx, { orgId: org.id, instanceId: instance.id })).rejects.toThrow(
      /has not finished provisioning/,
    );
  });

  it("marks a backup failed (never completed) when the driver gives up, and cancelling a queued one fails it", async () => {
    const { org, instance, ctx } = await setup();
    engine.backupFailures.push(new EngineError("FAILED", "dump failed: disk full", false));
    const { backupId } = await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await run(instance.id);
    expect(await db().backup.findUniqueOrThrow({ where: { id: backupId } })).toMatchObject({
      status: "failed",
      error: "dump failed: disk full",
      artifact: null,
    });
    const second = await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await cancelOperation(ctx, { orgId: org.id, instanceId: instance.id, operationId: second.operationId });
    expect((await db().backup.findUniqueOrThrow({ where: { id: second.backupId } })).status).toBe("failed");
    // Failed backups are pruned later, not kept for ever.
    expect(
      (await db().backup.findUniqueOrThrow({ where: { id: second.backupId } })).expiresAt,
    ).not.toBeNull();
  });

  it("alerts the org's admins and the SREs once when a backup fails verification, and refuses to restore it", async () => {
    const { org, user, instance, ctx } = await setup();
    const sre = await db().user.create({
      data: { email: `sre-${randomUUID()}@provider.example`, staffRole: "sre" },
    });
    engine.verifyProblems = ["table runs: 2 rows restored, 3 dumped"];
    const { backupId } = await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await run(instance.id);
    const b = await db().backup.findUniqueOrThrow({ where: { id: backupId } });
    expect(b).toMatchObject({ status: "completed", verification: "failed" });
    const verifyOp = await db().operation.findFirstOrThrow({
      where: { instanceId: instance.id, kind: "verify_backup" },
    });
    expect(verifyOp.status).toBe("failed");
    expect(verifyOp.error).toContain("table runs: 2 rows restored, 3 dumped");
    for (const who of [user, sre]) {
      const msgs = await db().outboxMessage.findMany({
        where: {
          OR: [{ userId: who.id }, { toAddress: who.email }],
          subject: { contains: "failed verification" },
        },
      });
      expect(msgs.map((m) => m.channel).sort()).toEqual(["console", "email"]);
    }
    // The instance itself is as it was.
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).status).toBe("running");
    await expect(restoreBackup(ctx, { orgId: org.id, backupId, confirmName: instance.name })).rejects.toThrow(
      /failed verification/,
    );
    // Verifying again (after, say, the storage was repaired) can clear it.
    await verifyBackupAgain(ctx, { orgId: org.id, backupId });
    await run(instance.id);
    expect((await db().backup.findUniqueOrThrow({ where: { id: backupId } })).verification).toBe("verified");
  });

  it("restores only after the instance's name is typed, taking a backup of the current state first", async () => {
    const { org, instance, ctx } = await setup();
    const { backupId } = await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await run(instance.id);
    await expect(restoreBackup(ctx, { orgId: org.id, backupId, confirmName: "wrong" })).rejects.toMatchObject(
      { field: "confirmName", message: expect.stringContaining(instance.name) },
    );
    const r = await restoreBackup(ctx, { orgId: org.id, backupId, confirmName: instance.name });
    await run(instance.id);
    const op = await db().operation.findUniqueOrThrow({ where: { id: r.operationId } });
    expect(op.status).toBe("succeeded");
    const pre = await db().backup.findUniqueOrThrow({ where: { id: r.preRestoreBackupId } });
    expect(pre).toMatchObject({ kind: "pre_restore", status: "completed", verification: "verified" });
    const order = engine.calls.filter((c) => c.slug === instance.slug).map((c) => c.method);
    // The first backup and its verification, then the restore: a backup of the current state, the restore, and
    // the verification of that pre-restore backup queued behind it.
    expect(order).toEqual(["backup", "verify", "backup", "restore", "verify"]);
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).status).toBe("running");
  });

  it("clones a backup into a new instance that provisions and then restores", async () => {
    const { org, instance, ctx, suffix } = await setup();
    const { backupId } = await takeBackup(ctx, { orgId: org.id, instanceId: instance.id });
    await run(instance.id);
    const clone = await cloneFromBackup(ctx, {
      orgId: org.id,
      backupId,
      name: `clone ${suffix}`,
      subdomain: `clone-${suffix}`,
    });
    await run(clone.instanceId);
    const c = await db().instance.findUniqueOrThrow({ where: { id: clone.instanceId } });
    expect(c).toMatchObject({ status: "running", storageMode: "provider", cloud: "local" });
    const methods = engine.calls.filter((x) => x.slug === `clone-${suffix}`).map((x) => x.method);
    expect(methods).toEqual(["apply", "restore"]);
    await expect(
      cloneFromBackup(ctx, {
        orgId: org.id,
        backupId,
        name: `clone2 ${suffix}`,
        subdomain: `clone-${suffix}`,
      }),
    ).rejects.toMatchObject({ field: "subdomain" });
  });
});

describe("backup policy and schedule", () => {
  it("keeps policies within the limits staff set, naming the field", async () => {
    const { org, instance, ctx } = await setup();
    await expect(
      updateBackupPolicy(ctx, {
        orgId: org.id,
        instanceId: instance.id,
        policy: { startTime: "01:00", intervalHours: 12, retentionDays: 14 },
      }),
    ).rejects.toMatchObject({ field: "policy.intervalHours" });
    await setBackupLimits(ctx, {
      orgId: org.id,
      limits: { retentionMinDays: 3, retentionMaxDays: 60, minIntervalHours: 12 },
    });
    const r = await updateBackupPolicy(ctx, {
      orgId: org.id,
      instanceId: instance.id,
      policy: { startTime: "01:00", intervalHours: 12, retentionDays: 60 },
    });
    expect([1, 13]).toContain(r.nextBackupAt.getUTCHours());
    const got = await getBackupPolicy(org.id, instance.id);
    expect(got.policy).toEqual({ startTime: "01:00", intervalHours: 12, retentionDays: 60 });
    const audit = await db().auditEvent.findMany({
      where: { orgId: org.id, action: { in: ["instance.backup_policy.update", "org.backup_limits.update"] } },
    });
    expect(audit).toHaveLength(2);
  });

  it("queues one backup per due slot however many ticks race, and moves the slot forward", async () => {
    const { instance } = await setup();
    const now = new Date();
    // First sight: a slot in the future, with a start time spread by the instance's id.
    await scheduleDueBackups(now);
    const first = await db().instance.findUniqueOrThrow({ where: { id: instance.id } });
    expect(first.backupNextAt!.getTime()).toBeGreaterThan(now.getTime());
    const due = new Date(now.getTime() - 60_000);
    await db().instance.update({ where: { id: instance.id }, data: { backupNextAt: due } });
    const counts = await Promise.all([
      scheduleDueBackups(now),
      scheduleDueBackups(now),
      scheduleDueBackups(now),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    const backups = await db().backup.findMany({ where: { instanceId: instance.id } });
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ kind: "scheduled", scheduledFor: due });
    const after = await db().instance.findUniqueOrThrow({ where: { id: instance.id } });
    expect(after.backupNextAt!.getTime()).toBeGreaterThan(now.getTime());
    await run(instance.id);
    expect((await db().backup.findUniqueOrThrow({ where: { id: backups[0]!.id } })).status).toBe("completed");
  });

  it("prunes exactly the expired backups from storage and the table, retrying a failed removal", async () => {
    const { org, instance, ctx } = await setup();
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      ids.push((await takeBackup(ctx, { orgId: org.id, instanceId: instance.id })).backupId);
      await run(instance.id);
    }
    expect(engine.stored.size).toBe(3);
    const past = new Date(Date.now() - 1000);
    await db().backup.updateMany({ where: { id: { in: ids.slice(0, 2) } }, data: { expiresAt: past } });
    engine.deleteFailures = 1;
    const first = await pruneExpiredBackups({ local: engine });
    expect(first).toEqual({ removed: 1, failed: 1 });
    const left = await db().backup.findMany({
      where: { instanceId: instance.id },
      orderBy: { createdAt: "asc" },
    });
    expect(left.map((b) => b.id)).toContain(ids[2]);
    expect(left.find((b) => b.id !== ids[2])?.pruneError).toBe("storage is unreachable");
    const second = await pruneExpiredBackups({ local: engine });
    expect(second).toEqual({ removed: 1, failed: 0 });
    expect((await db().backup.findMany({ where: { instanceId: instance.id } })).map((b) => b.id)).toEqual([
      ids[2],
    ]);
    expect(engine.stored.size).toBe(1);
    expect(await db().auditEvent.count({ where: { action: "backup.prune", orgId: org.id } })).toBe(2);
  });

  it("two workers pruning at once remove each expired backup once, and neither reports a failure", async () => {
    const { org, instance, ctx } = await setup();
    const ids: string[] = [];
    for (let n = 0; n < 2; n++) {
      ids.push((await takeBackup(ctx, { orgId: org.id, instanceId: instance.id })).backupId);
      await run(instance.id);
    }
    await db().backup.updateMany({
      where: { id: { in: ids } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const [a, b] = await Promise.all([
      pruneExpiredBackups({ local: engine }),
      pruneExpiredBackups({ local: engine }),
    ]);
    expect(a.failed + b.failed).toBe(0);
    expect(await db().backup.count({ where: { id: { in: ids } } })).toBe(0);
    expect(engine.stored.size).toBe(0);
    expect(await db().auditEvent.count({ where: { action: "backup.prune", orgId: org.id } })).toBe(2);
  });
});
