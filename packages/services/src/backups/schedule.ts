// The backup scheduler and pruning, run by the worker on a repeating job. Scheduling is idempotent per slot (one
// backup per instance and slot, however many workers tick); pruning removes storage first and the row after, so a
// failed removal is retried on the next tick and nothing is left in storage without a row that points at it.
import { logger } from "@cp/config/logger";
import { defaultBackupStartTime, nextBackupAt } from "@cp/core";
import { db, isUniqueViolation } from "@cp/db";
import type { BackupArtifact } from "@cp/engine";
import { recordAudit } from "../audit/record-audit";
import type { Engines } from "../operations/engines";
import { instanceRef } from "../operations/instance-spec";
import { createOperationTx, wakeOperation } from "../operations/operations";
import { policyOf } from "./backups";

/** Instances that can be backed up on schedule: running or changing, with a URL, not deprovisioned. */
const SCHEDULABLE = ["running", "updating", "upgrading", "restoring"] as const;

/**
 * Queues the scheduled backups that are due, and gives instances that have none their first slot. Returns the
 * number of backups queued.
 */
export async function scheduleDueBackups(now = new Date(), batch = 200): Promise<number> {
  // New instances: the first slot, with a start time spread over the night by the instance's id.
  const fresh = await db().instance.findMany({
    where: { backupNextAt: null, status: { in: [...SCHEDULABLE] }, deletedAt: null, url: { not: null } },
    select: {
      id: true,
      backupStartTime: true,
      backupIntervalHours: true,
      backupRetentionDays: true,
      createdAt: true,
    },
    take: batch,
  });
  for (const i of fresh) {
    // An instance keeps the schema default only until first seen; then its own spread start time applies.
    const startTime = i.backupStartTime === "03:00" ? defaultBackupStartTime(i.id) : i.backupStartTime;
    await db().instance.updateMany({
      where: { id: i.id, backupNextAt: null },
      data: { backupStartTime: startTime, backupNextAt: nextBackupAt({ ...policyOf(i), startTime }, now) },
    });
  }

  const due = await db().instance.findMany({
    where: {
      backupNextAt: { lte: now },
      status: { in: [...SCHEDULABLE] },
      deletedAt: null,
      url: { not: null },
    },
    orderBy: { backupNextAt: "asc" },
    take: batch,
  });
  let queued = 0;
  for (const i of due) {
    const slot = i.backupNextAt!;
    const following = nextBackupAt(policyOf(i), now);
    try {
      const opId = await db().$transaction(async (tx) => {
        const moved = await tx.instance.updateMany({
          where: { id: i.id, backupNextAt: slot },
          data: { backupNextAt: following },
        });
        if (moved.count === 0) return null; // another worker took this slot
        const backup = await tx.backup.create({
          data: { instanceId: i.id, orgId: i.orgId, kind: "scheduled", scheduledFor: slot },
        });
        const op = await createOperationTx(tx, {
          instanceId: i.id,
          kind: "backup",
          params: { backupId: backup.id },
          idempotencyKey: `scheduled-backup:${i.id}:${slot.toISOString()}`,
        });
        await tx.backup.update({ where: { id: backup.id }, data: { operationId: op.id } });
        return op.id;
      });
      if (opId) {
        queued += 1;
        await wakeOperation(opId);
      }
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return queued;
}

/**
 * Removes expired backups: from storage through the driver that made them, then the row (with an audit event).
 * Returns how many were removed and how many could not be (they stay, with the reason, for the next tick).
 */
export async function pruneExpiredBackups(
  engines: Engines,
  now = new Date(),
  batch = 100,
): Promise<{ removed: number; failed: number }> {
  const expired = await db().backup.findMany({
    where: { expiresAt: { lte: now }, status: { in: ["completed", "failed"] } },
    include: { instance: true },
    orderBy: { expiresAt: "asc" },
    take: batch,
  });
  let removed = 0;
  let failed = 0;
  for (const b of expired) {
    try {
      if (b.artifact) {
        const engine = engines[b.instance.cloud as keyof Engines];
        if (!engine) throw new Error(`no engine for cloud "${b.instance.cloud}" runs on this worker`);
        await engine.deleteBackup(instanceRef(b.instance), b.artifact as unknown as BackupArtifact);
      }
      await db().$transaction(async (tx) => {
        await tx.backup.delete({ where: { id: b.id } });
        await recordAudit(
          tx,
          { actor: null, actorEmail: "system:backup-retention" },
          {
            action: "backup.prune",
            targetType: "backup",
            targetId: b.id,
            orgId: b.orgId,
            before: {
              instanceId: b.instanceId,
              kind: b.kind,
              status: b.status,
              completedAt: b.completedAt,
              expiresAt: b.expiresAt,
            },
          },
        );
      });
      removed += 1;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const still = await db().backup.updateMany({
        where: { id: b.id },
        data: { pruneError: message.slice(0, 1000) },
      });
      // Another worker's pruner removed it meanwhile: nothing failed, and nothing is left to retry.
      if (still.count === 0) continue;
      failed += 1;
      logger().warn({ err, backupId: b.id }, "could not remove an expired backup; retrying on the next tick");
    }
  }
  return { removed, failed };
}
