// Backups as customers and staff see them: the policy within the org's limits, the list, and the requests that
// queue work (a manual backup, a verification, a restore into the instance, a clone into a new instance). Each
// request is one transaction with its audit event; the work itself is an Operation on the instance's queue.
import {
  AppError,
  badRequest,
  conflict,
  DEFAULT_APP_VERSION,
  nextBackupAt,
  notFound,
  policyViolations,
  type BackupLimits,
  type BackupPolicy,
  type InstanceConfig,
} from "@cp/core";
import { decryptSecret, encryptSecret } from "@cp/connectors";
import { db, isUniqueViolation, type Prisma } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";
import { assertNotBeingDeprovisioned } from "../instances/instance-actions";
import { assertWithinInstanceQuota } from "../instances/order-instance";
import { createOperationTx, wakeOperation } from "../operations/operations";
import { keysetAfter, keysetResult } from "../pagination";

const ACTIVE = ["queued", "running"] as const;

async function findInstance(orgId: string, instanceId: string) {
  const i = await db().instance.findFirst({ where: { id: instanceId, orgId } });
  if (!i) throw notFound("Instance");
  return i;
}

async function findBackup(orgId: string, backupId: string) {
  const b = await db().backup.findFirst({ where: { id: backupId, orgId }, include: { instance: true } });
  if (!b) throw notFound("Backup");
  return b;
}

function limitsOf(org: {
  backupRetentionMinDays: number;
  backupRetentionMaxDays: number;
  backupMinIntervalHours: number;
}): BackupLimits {
  return {
    retentionMinDays: org.backupRetentionMinDays,
    retentionMaxDays: org.backupRetentionMaxDays,
    minIntervalHours: org.backupMinIntervalHours as BackupLimits["minIntervalHours"],
  };
}

export function policyOf(i: {
  backupStartTime: string;
  backupIntervalHours: number;
  backupRetentionDays: number;
}): BackupPolicy {
  return {
    startTime: i.backupStartTime,
    intervalHours: i.backupIntervalHours as BackupPolicy["intervalHours"],
    retentionDays: i.backupRetentionDays,
  };
}

type BackupRow = Prisma.BackupGetPayload<object>;

/** A backup as the console shows it (no storage locations or checksums beyond a short prefix). */
export function backupView(b: BackupRow) {
  const report = (b.verifyReport ?? null) as {
    problems?: string[];
    checked?: { tables: number; rows: number };
  } | null;
  return {
    id: b.id,
    instanceId: b.instanceId,
    kind: b.kind,
    status: b.status,
    verification: b.verification,
    verifyProblems: report?.problems ?? [],
    verifiedTables: report?.checked?.tables ?? null,
    verifiedRows: report?.checked?.rows ?? null,
    sizeBytes: b.sizeBytes === null ? null : Number(b.sizeBytes),
    durationMs: b.durationMs,
    tableCount: b.tableCount,
    rowCount: b.rowCount === null ? null : Number(b.rowCount),
    sha256Prefix: b.sha256 ? b.sha256.slice(0, 12) : null,
    error: b.error,
    scheduledFor: b.scheduledFor,
    startedAt: b.startedAt,
    completedAt: b.completedAt,
    verifiedAt: b.verifiedAt,
    expiresAt: b.expiresAt,
    operationId: b.operationId,
    createdAt: b.createdAt,
  };
}

export async function listBackups(input: {
  orgId: string;
  instanceId: string;
  limit: number;
  cursor?: string | null;
}) {
  const i = await findInstance(input.orgId, input.instanceId);
  const rows = await db().backup.findMany({
    where: { instanceId: i.id, ...keysetAfter(input.cursor) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
  });
  const page = keysetResult(rows, input.limit);
  return { items: page.items.map(backupView), nextCursor: page.nextCursor };
}

/** The policy, the org's limits and the next scheduled backup. */
export async function getBackupPolicy(orgId: string, instanceId: string) {
  const i = await findInstance(orgId, instanceId);
  const org = await db().organization.findUniqueOrThrow({ where: { id: orgId } });
  return {
    policy: policyOf(i),
    limits: limitsOf(org),
    nextBackupAt: i.status === "deleted" ? null : (i.backupNextAt ?? nextBackupAt(policyOf(i), new Date())),
  };
}

export async function updateBackupPolicy(
  ctx: ServiceContext,
  input: { orgId: string; instanceId: string; policy: BackupPolicy },
) {
  const i = await findInstance(input.orgId, input.instanceId);
  const org = await db().organization.findUniqueOrThrow({ where: { id: input.orgId } });
  const problems = policyViolations(input.policy, limitsOf(org));
  if (problems.length) {
    const field = problems[0]!.split(":")[0]!;
    throw badRequest(problems.join("; "), `policy.${field}`);
  }
  const before = policyOf(i);
  const next = nextBackupAt(input.policy, new Date());
  await db().$transaction(async (tx) => {
    await tx.instance.update({
      where: { id: i.id },
      data: {
        backupStartTime: input.policy.startTime,
        backupIntervalHours: input.policy.intervalHours,
        backupRetentionDays: input.policy.retentionDays,
        backupNextAt: i.status === "deleted" ? null : next,
      },
    });
    await recordAudit(tx, ctx, {
      action: "instance.backup_policy.update",
      targetType: "instance",
      targetId: i.id,
      orgId: i.orgId,
      before,
      after: input.policy,
    });
  });
  return { policy: input.policy, nextBackupAt: next };
}

function assertCanBackUp(i: { name: string; status: string; url: string | null; deletedAt: Date | null }) {
  if (i.deletedAt || i.status === "deleted" || i.status === "deleting") {
    throw new AppError("PRECONDITION_FAILED", `${i.name} is deprovisioned; it cannot be backed up.`);
  }
  if (!i.url) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `${i.name} has not finished provisioning; back it up once it is running.`,
    );
  }
}

/** A manual backup: queued behind whatever the instance already has queued. */
export async function takeBackup(ctx: ServiceContext, input: { orgId: string; instanceId: string }) {
  const i = await findInstance(input.orgId, input.instanceId);
  assertCanBackUp(i);
  const created = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, i);
    const waiting = await tx.backup.findFirst({
      where: { instanceId: i.id, kind: "manual", status: "queued" },
      select: { id: true },
    });
    if (waiting) throw conflict(`A manual backup of ${i.name} is already waiting to run.`);
    const backup = await tx.backup.create({
      data: { instanceId: i.id, orgId: i.orgId, kind: "manual", requestedById: ctx.actor.userId },
    });
    const op = await createOperationTx(tx, {
      instanceId: i.id,
      kind: "backup",
      params: { backupId: backup.id },
      requestedById: ctx.actor.userId,
    });
    await tx.backup.update({ where: { id: backup.id }, data: { operationId: op.id } });
    await recordAudit(tx, ctx, {
      action: "backup.create",
      targetType: "backup",
      targetId: backup.id,
      orgId: i.orgId,
      after: { instanceId: i.id, kind: "manual" },
    });
    return { backupId: backup.id, operationId: op.id };
  });
  await wakeOperation(created.operationId);
  return created;
}

/** Verifies a completed backup again (restore into a scratch database and compare). */
export async function verifyBackupAgain(ctx: ServiceContext, input: { orgId: string; backupId: string }) {
  const b = await findBackup(input.orgId, input.backupId);
  if (b.status !== "completed")
    throw new AppError(
      "PRECONDITION_FAILED",
      `The backup is ${b.status}; only a completed backup can be verified.`,
    );
  if (b.verification === "running" || b.verification === "pending") {
    const queued = await db().operation.findFirst({
      where: {
        instanceId: b.instanceId,
        kind: "verify_backup",
        status: { in: [...ACTIVE] },
        params: { equals: { backupId: b.id } },
      },
      select: { id: true },
    });
    if (queued) return { operationId: queued.id };
  }
  const created = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, b.instance);
    const op = await createOperationTx(tx, {
      instanceId: b.instanceId,
      kind: "verify_backup",
      params: { backupId: b.id },
      requestedById: ctx.actor.userId,
    });
    await tx.backup.update({ where: { id: b.id }, data: { verification: "pending" } });
    await recordAudit(tx, ctx, {
      action: "backup.verify",
      targetType: "backup",
      targetId: b.id,
      orgId: b.orgId,
      before: { verification: b.verification },
    });
    return { operationId: op.id };
  });
  await wakeOperation(created.operationId);
  return created;
}

function assertRestorable(b: { status: string; verification: string }) {
  if (b.status !== "completed")
    throw new AppError(
      "PRECONDITION_FAILED",
      `The backup is ${b.status}; only a completed backup can be restored.`,
    );
  if (b.verification === "failed") {
    throw new AppError(
      "PRECONDITION_FAILED",
      "The backup failed verification; its contents do not match what was dumped. Choose another backup.",
    );
  }
}

/**
 * Restores a backup into its own instance. The caller types the instance's name to confirm; an automatic backup is
 * taken first (in the same operation), so the restore can itself be undone.
 */
export async function restoreBackup(
  ctx: ServiceContext,
  input: { orgId: string; backupId: string; confirmName: string },
) {
  const b = await findBackup(input.orgId, input.backupId);
  const i = b.instance;
  if (input.confirmName.trim() !== i.name) {
    throw badRequest(
      `confirmName: type the instance's name, ${i.name}, to confirm the restore.`,
      "confirmName",
    );
  }
  assertRestorable(b);
  assertCanBackUp(i);
  const created = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, i);
    const pre = await tx.backup.create({
      data: { instanceId: i.id, orgId: i.orgId, kind: "pre_restore", requestedById: ctx.actor.userId },
    });
    const op = await createOperationTx(tx, {
      instanceId: i.id,
      kind: "restore",
      params: { backupId: b.id, preBackupId: pre.id },
      requestedById: ctx.actor.userId,
    });
    await tx.backup.update({ where: { id: pre.id }, data: { operationId: op.id } });
    await recordAudit(tx, ctx, {
      action: "backup.restore",
      targetType: "instance",
      targetId: i.id,
      orgId: i.orgId,
      after: { backupId: b.id, backupTakenAt: b.completedAt, preRestoreBackupId: pre.id },
    });
    return { operationId: op.id, preRestoreBackupId: pre.id };
  });
  await wakeOperation(created.operationId);
  return created;
}

/**
 * A new instance in the same org made from a backup: same cloud, region, size, MySQL version and SSO; provider
 * storage (a customer's own bucket belongs to the source instance), the backup's database, and a copy of the bucket
 * objects in the backup's manifest.
 */
export async function cloneFromBackup(
  ctx: ServiceContext,
  input: { orgId: string; backupId: string; name: string; subdomain: string },
) {
  const b = await findBackup(input.orgId, input.backupId);
  assertRestorable(b);
  const src = b.instance;
  const org = await db().organization.findUniqueOrThrow({ where: { id: input.orgId } });
  await assertWithinInstanceQuota(org);
  const config = src.config as unknown as InstanceConfig;
  const cloneConfig: InstanceConfig = { ...config, storage: { mode: "provider" } };
  const secrets = await db().instanceSecret.findMany({
    where: { instanceId: src.id, name: { startsWith: "sso." } },
  });
  try {
    const created = await db().$transaction(async (tx) => {
      const instance = await tx.instance.create({
        data: {
          orgId: org.id,
          name: input.name,
          slug: input.subdomain,
          cloud: src.cloud,
          region: src.region,
          size: src.size,
          mysqlVersion: src.mysqlVersion,
          storageMode: "provider",
          status: "provisioning",
          statusReason: "Waiting for a worker.",
          version: src.version ?? DEFAULT_APP_VERSION,
          config: cloneConfig as unknown as Prisma.InputJsonValue,
          backupStartTime: src.backupStartTime,
          backupIntervalHours: src.backupIntervalHours,
          backupRetentionDays: src.backupRetentionDays,
          createdById: ctx.actor.userId,
        },
      });
      for (const s of secrets) {
        const plain = decryptSecret(s.ciphertext, { associatedData: `${src.id}:${s.name}` });
        await tx.instanceSecret.create({
          data: {
            instanceId: instance.id,
            name: s.name,
            ciphertext: encryptSecret(plain, { associatedData: `${instance.id}:${s.name}` }),
          },
        });
      }
      const op = await createOperationTx(tx, {
        instanceId: instance.id,
        kind: "provision",
        params: { restoreFromBackupId: b.id },
        requestedById: ctx.actor.userId,
      });
      await recordAudit(tx, ctx, {
        action: "instance.clone",
        targetType: "instance",
        targetId: instance.id,
        orgId: org.id,
        after: {
          name: input.name,
          subdomain: input.subdomain,
          fromBackupId: b.id,
          fromInstanceId: src.id,
          storage: "provider",
        },
      });
      return { instanceId: instance.id, slug: instance.slug, operationId: op.id };
    });
    await wakeOperation(created.operationId);
    return created;
  } catch (err) {
    if (isUniqueViolation(err, "slug"))
      throw conflict(`subdomain: "${input.subdomain}" is taken; choose another.`, "subdomain");
    if (isUniqueViolation(err, "name"))
      throw conflict(`name: your organization already has an instance named "${input.name}".`, "name");
    throw err;
  }
}

/** Staff: the limits within which the org's admins choose backup policies. Existing policies outside them stay. */
export async function setBackupLimits(ctx: ServiceContext, input: { orgId: string; limits: BackupLimits }) {
  const org = await db().organization.findUnique({ where: { id: input.orgId } });
  if (!org) throw notFound("Organization");
  const before = limitsOf(org);
  await db().$transaction(async (tx) => {
    await tx.organization.update({
      where: { id: org.id },
      data: {
        backupRetentionMinDays: input.limits.retentionMinDays,
        backupRetentionMaxDays: input.limits.retentionMaxDays,
        backupMinIntervalHours: input.limits.minIntervalHours,
      },
    });
    await recordAudit(tx, ctx, {
      action: "org.backup_limits.update",
      targetType: "organization",
      targetId: org.id,
      orgId: org.id,
      before,
      after: input.limits,
    });
  });
  return input.limits;
}
