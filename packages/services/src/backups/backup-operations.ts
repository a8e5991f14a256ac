// The backup operations as the runner executes them: take a backup, verify it, restore one (after taking a backup
// of what is there), and restore into a freshly provisioned clone. The Backup row follows its operation: it is
// marked completed in the same transaction as the operation's success, so a worker that dies mid-backup never
// leaves a backup that looks whole.
import { db, type Prisma } from "@cp/db";
import {
  EngineError,
  type BackupArtifact,
  type Engine,
  type EngineHooks,
  type VerifyReport,
} from "@cp/engine";
import { queueConsoleNotification, queueEmail } from "../outbox/outbox";
import { instanceRef } from "../operations/instance-spec";
import { createOperationTx } from "../operations/operations";

type Tx = Prisma.TransactionClient;

interface OpRef {
  id: string;
  instanceId: string;
  kind: string;
  requestedById: string | null;
}

function paramString(params: unknown, key: string): string | null {
  const v = (params as Record<string, unknown> | null)?.[key];
  return typeof v === "string" && v ? v : null;
}

export const backupIdOf = (params: unknown) => paramString(params, "backupId");

async function loadBackup(backupId: string, instanceId?: string) {
  const b = await db().backup.findUnique({ where: { id: backupId }, include: { instance: true } });
  if (!b || (instanceId && b.instanceId !== instanceId)) {
    throw new EngineError("FAILED", `Backup ${backupId} does not exist (it may have expired).`, false);
  }
  return b;
}

function artifactOf(b: { id: string; artifact: Prisma.JsonValue }): BackupArtifact {
  if (!b.artifact) throw new EngineError("FAILED", `Backup ${b.id} has no stored data to use.`, false);
  return b.artifact as unknown as BackupArtifact;
}

const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

/** Takes the backup through the driver. Marks it running; the caller marks it completed (see completeBackupTx). */
export async function takeBackupStep(
  op: OpRef,
  engine: Engine,
  hooks: EngineHooks,
  backupId: string,
): Promise<BackupArtifact> {
  const b = await loadBackup(backupId, op.instanceId);
  if (b.status === "completed") {
    hooks.log(`Backup ${b.id} is already complete.`);
    return artifactOf(b);
  }
  await db().backup.update({
    where: { id: b.id },
    data: { status: "running", startedAt: b.startedAt ?? new Date(), operationId: op.id, error: null },
  });
  hooks.log(`Backing up ${b.instance.name} (backup ${b.id}).`);
  const artifact = await engine.backup(instanceRef(b.instance), { backupId: b.id }, hooks);
  hooks.log(
    `Backup stored: ${mb(artifact.sizeBytes)} in ${(artifact.durationMs / 1000).toFixed(1)} s` +
      (artifact.tables ? `, ${artifact.tables.length} tables` : "") +
      (artifact.bucketManifest ? `, manifest of ${artifact.bucketManifest.objects} bucket objects` : "") +
      ".",
  );
  return artifact;
}

/** Records a stored backup as completed and queues its verification. Returns the verification's operation id. */
export async function completeBackupTx(tx: Tx, backupId: string, artifact: BackupArtifact): Promise<string> {
  const b = await tx.backup.findUniqueOrThrow({ where: { id: backupId }, include: { instance: true } });
  const completedAt = new Date();
  await tx.backup.update({
    where: { id: backupId },
    data: {
      status: "completed",
      artifact: artifact as unknown as Prisma.InputJsonValue,
      sizeBytes: BigInt(Math.round(artifact.sizeBytes)),
      sha256: artifact.sha256,
      durationMs: Math.round(artifact.durationMs),
      tableCount: artifact.tables?.length ?? null,
      rowCount: artifact.tables ? BigInt(artifact.tables.reduce((n, t) => n + t.rows, 0)) : null,
      completedAt,
      expiresAt: new Date(completedAt.getTime() + b.instance.backupRetentionDays * 86_400_000),
      error: null,
      verification: "pending",
    },
  });
  const verify = await createOperationTx(tx, {
    instanceId: b.instanceId,
    kind: "verify_backup",
    params: { backupId },
    idempotencyKey: `verify-after-backup:${backupId}`,
  });
  return verify.id;
}

/** Completes a backup outside the operation's final transaction (the backup a restore takes first). */
export async function completeBackup(backupId: string, artifact: BackupArtifact): Promise<string> {
  return db().$transaction((tx) => completeBackupTx(tx, backupId, artifact));
}

export async function verifyBackupStep(
  op: OpRef,
  engine: Engine,
  hooks: EngineHooks,
  backupId: string,
): Promise<VerifyReport> {
  const b = await loadBackup(backupId, op.instanceId);
  if (b.status !== "completed") {
    throw new EngineError("FAILED", `Backup ${b.id} is ${b.status}; there is nothing to verify.`, false);
  }
  await db().backup.update({ where: { id: b.id }, data: { verification: "running" } });
  hooks.progress("verify", 10);
  hooks.log(`Restoring backup ${b.id} into a scratch database and comparing it with what was dumped.`);
  const report = await engine.verifyBackup(
    instanceRef(b.instance),
    artifactOf(b),
    { requestId: op.id },
    hooks,
  );
  await db().$transaction(async (tx) => {
    await tx.backup.update({
      where: { id: b.id },
      data: {
        verification: report.ok ? "verified" : "failed",
        verifyReport: report as unknown as Prisma.InputJsonValue,
        verifiedAt: new Date(),
      },
    });
    if (!report.ok) await alertVerificationFailed(tx, b, report);
  });
  if (!report.ok) {
    throw new EngineError(
      "FAILED",
      `Backup ${b.id} failed verification: ${report.problems.slice(0, 5).join("; ")}${report.problems.length > 5 ? ` (and ${report.problems.length - 5} more)` : ""}.`,
      false,
    );
  }
  hooks.log(
    `Verified: ${report.checked.tables} tables and ${report.checked.rows} rows match` +
      ` (${(report.durationMs / 1000).toFixed(1)} s).`,
  );
  return report;
}

/** A failed verification is an alert: the org's admins and the provider's SREs hear of it once per backup. */
async function alertVerificationFailed(
  tx: Tx,
  b: { id: string; orgId: string; createdAt: Date; instance: { name: string } },
  report: VerifyReport,
) {
  const subject = `Backup of ${b.instance.name} failed verification`;
  const text =
    `The backup taken ${b.createdAt.toISOString()} (${b.id}) did not match what was dumped when restored into a ` +
    `scratch database:\n- ${report.problems.join("\n- ")}\n\nIt is marked as failed and cannot be restored. ` +
    `Take a new backup; provider SREs have been alerted.`;
  const recipients = await tx.user.findMany({
    where: {
      disabledAt: null,
      OR: [
        { memberships: { some: { orgId: b.orgId, role: "admin" } } },
        { staffRole: { in: ["sre", "admin"] } },
      ],
    },
    select: { id: true, email: true },
  });
  for (const u of recipients) {
    const key = `backup-verify-failed:${b.id}:${u.id}`;
    const seen = await tx.outboxMessage.findUnique({ where: { dedupeKey: key }, select: { id: true } });
    if (seen) continue;
    await queueConsoleNotification(tx, { userId: u.id, orgId: b.orgId, subject, text });
    await queueEmail(tx, { to: u.email, subject, text, orgId: b.orgId, dedupeKey: key });
  }
}

/** Restores `backupId` into the operation's instance, after backing up what is there now (when asked to). */
export async function restoreStep(
  op: OpRef,
  engine: Engine,
  hooks: EngineHooks,
  params: unknown,
): Promise<void> {
  const backupId = backupIdOf(params);
  if (!backupId) throw new EngineError("FAILED", "The restore names no backup.", false);
  const b = await loadBackup(backupId);
  if (b.status !== "completed") {
    throw new EngineError(
      "FAILED",
      `Backup ${b.id} is ${b.status}; only a completed backup can be restored.`,
      false,
    );
  }
  const target = await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } });
  const preBackupId = paramString(params, "preBackupId");
  if (preBackupId) {
    hooks.progress("backup-first", 5);
    const pre = await takeBackupStep(op, engine, hooks, preBackupId);
    const current = await db().backup.findUniqueOrThrow({
      where: { id: preBackupId },
      select: { status: true },
    });
    if (current.status !== "completed") await completeBackup(preBackupId, pre);
    hooks.log("The database as it was before the restore is backed up; restore that backup to undo this.");
  }
  hooks.progress("restore", 50);
  hooks.log(
    `Restoring the backup of ${b.instance.name} taken ${b.completedAt?.toISOString() ?? b.createdAt.toISOString()} into ${target.name}.`,
  );
  await engine.restore(
    instanceRef(target),
    artifactOf(b),
    { requestId: op.id, source: instanceRef(b.instance) },
    hooks,
  );
  hooks.log("Restore complete.");
}

/** The operation gave up: the backup it was taking is failed (never completed), a verification could not run. */
export async function settleBackupsAfterFailure(
  tx: Tx,
  op: { id?: string; kind: string; params?: unknown },
  message: string,
) {
  if (op.kind === "upgrade" && op.id) {
    // The backup an upgrade to a no-rollback release was taking when it failed for good.
    await tx.backup.updateMany({
      where: { operationId: op.id, kind: "pre_upgrade", status: { in: ["queued", "running"] } },
      data: {
        status: "failed",
        error: message,
        completedAt: new Date(),
        expiresAt: new Date(Date.now() + 7 * 86_400_000),
      },
    });
  }
  const ids = [backupIdOf(op.params), paramString(op.params, "preBackupId")].filter(Boolean) as string[];
  if (op.kind === "backup" || op.kind === "restore") {
    const own = op.kind === "backup" ? ids : ids.slice(1);
    await tx.backup.updateMany({
      where: { id: { in: own }, status: { in: ["queued", "running"] } },
      // Whatever a failed backup left in storage is removed by pruning a week later.
      data: {
        status: "failed",
        error: message,
        completedAt: new Date(),
        expiresAt: new Date(Date.now() + 7 * 86_400_000),
      },
    });
  }
  if (op.kind === "verify_backup" && ids[0]) {
    await tx.backup.updateMany({
      where: { id: ids[0], verification: { in: ["pending", "running"] } },
      data: { verification: "error", verifyReport: { problems: [message], checked: { tables: 0, rows: 0 } } },
    });
  }
}
