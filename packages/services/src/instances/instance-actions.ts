import {
  AppError,
  allowedActions,
  badRequest,
  isStaff,
  notFound,
  type ZUpdateInput,
  type Actor,
  type InstanceConfig,
} from "@cp/core";
import { db, type Prisma } from "@cp/db";
import type { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";
import { createOperationTx, wakeOperation, type NewOperation } from "../operations/operations";
import { settleBackupsAfterFailure } from "../backups/backup-operations";
import { RATE_LIMIT_WAITS_KEY } from "../operations/retry-later";
import { settleInstanceAfterFailure } from "../operations/run-operation";

const ACTIVE = ["queued", "running"] as const;

async function findInstance(orgId: string, instanceId: string) {
  const i = await db().instance.findFirst({ where: { id: instanceId, orgId } });
  if (!i) throw notFound("Instance");
  return i;
}

type InstanceRow = Awaited<ReturnType<typeof findInstance>>;

/**
 * Inside the transaction: locks the instance row and refuses new work once a deprovision is queued or running, so
 * nothing queued behind it can bring a deleted instance back.
 */
export async function assertNotBeingDeprovisioned(
  tx: Prisma.TransactionClient,
  i: { id: string; name: string },
) {
  await tx.$queryRaw`SELECT id FROM "Instance" WHERE id = ${i.id} FOR UPDATE`;
  const pending = await tx.operation.count({
    where: { instanceId: i.id, kind: { in: ["deprovision", "destroy"] }, status: { in: [...ACTIVE] } },
  });
  if (pending)
    throw new AppError("CONFLICT", `${i.name} is being deprovisioned; it cannot be changed any more.`);
}

/**
 * Queues an operation for the instance with its audit event in one transaction (plus any extra writes), then wakes
 * a worker. The operation waits behind whatever the instance already has queued.
 */
async function queueInstanceOperation(
  ctx: ServiceContext,
  i: InstanceRow,
  op: { kind: NewOperation["kind"]; params?: Record<string, unknown> },
  audit: { action: string; before?: unknown; after?: unknown },
  extra?: (tx: Prisma.TransactionClient) => Promise<unknown>,
) {
  const created = await db().$transaction(async (tx) => {
    await extra?.(tx);
    const row = await createOperationTx(tx, {
      instanceId: i.id,
      kind: op.kind,
      params: op.params,
      requestedById: ctx.actor.userId,
    });
    await recordAudit(tx, ctx, { ...audit, targetType: "instance", targetId: i.id, orgId: i.orgId });
    return row;
  });
  await wakeOperation(created.id);
  return { operationId: created.id };
}

/** The instance page: state, health, configuration (no secrets), outputs, the active operation and allowed actions. */
export async function getInstance(actor: Actor, orgId: string, instanceId: string) {
  const i = await findInstance(orgId, instanceId);
  const active = await db().operation.findFirst({
    where: { instanceId, status: { in: [...ACTIVE] } },
    orderBy: [{ createdAt: "asc" }],
    select: { id: true },
  });
  const config = i.config as unknown as InstanceConfig;
  return {
    id: i.id,
    orgId: i.orgId,
    name: i.name,
    slug: i.slug,
    cloud: i.cloud,
    region: i.region,
    size: i.size,
    mysqlVersion: i.mysqlVersion,
    storageMode: i.storageMode,
    status: i.status,
    statusReason: i.statusReason,
    version: i.version,
    url: i.url,
    healthStatus: i.healthStatus,
    healthCheckedAt: i.healthCheckedAt,
    createdAt: i.createdAt,
    retentionUntil: i.retentionUntil,
    destroyedAt: i.destroyedAt,
    config: {
      reliability: config.reliability ?? null,
      sso: config.sso
        ? { mode: config.sso.mode, issuer: config.sso.mode === "oidc" ? config.sso.issuer : null }
        : null,
      storage: config.storage
        ? { mode: config.storage.mode, bucket: config.storage.mode === "byob" ? config.storage.bucket : null }
        : null,
      ipAllowlist: config.ipAllowlist ?? [],
    },
    outputs: (i.outputs ?? null) as {
      url: string;
      databaseEndpoint: string;
      databaseName: string;
      bucket: string;
      version: string;
    } | null,
    actions: allowedActions(i.status, {
      hasActiveOperation: Boolean(active),
      isStaff: isStaff(actor),
    }).filter((a) => !(a === "undelete" && i.destroyedAt)),
  };
}

export async function listOperations(orgId: string, instanceId: string) {
  await findInstance(orgId, instanceId);
  const ops = await db().operation.findMany({
    where: { instanceId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 50,
    select: {
      id: true,
      kind: true,
      status: true,
      attempts: true,
      maxAttempts: true,
      progress: true,
      currentStep: true,
      steps: true,
      error: true,
      createdAt: true,
      startedAt: true,
      finishedAt: true,
      notBefore: true,
      cancelRequestedAt: true,
    },
  });
  return ops.map((o) => ({
    ...o,
    steps: (o.steps ?? []) as { name: string; status: string; startedAt: string; finishedAt?: string }[],
  }));
}

/** Log lines after `afterId` (the live log polls with the last id it has). */
export async function getOperationLog(
  orgId: string,
  instanceId: string,
  operationId: string,
  afterId?: string | null,
) {
  const op = await db().operation.findFirst({
    where: { id: operationId, instanceId, instance: { orgId } },
    select: { id: true },
  });
  if (!op) throw notFound("Operation");
  const lines = await db().operationLog.findMany({
    where: { operationId, ...(afterId ? { id: { gt: BigInt(afterId) } } : {}) },
    orderBy: { id: "asc" },
    take: 500,
  });
  return lines.map((l) => ({
    id: l.id.toString(),
    at: l.at,
    level: l.level,
    step: l.step,
    message: l.message,
  }));
}

export type UpdatePatch = z.infer<typeof ZUpdateInput>;

function assertAcceptsWork(i: { status: string; name: string }, what: string) {
  if (i.status === "deleted" || i.status === "deleting") {
    throw new AppError(
      "PRECONDITION_FAILED",
      `${i.name} is ${i.status === "deleted" ? "deleted" : "being deleted"}; it cannot be ${what}.`,
    );
  }
}

/** Queues an update; it runs after whatever is already queued for the instance. */
export async function updateInstance(
  ctx: ServiceContext,
  input: { orgId: string; instanceId: string; patch: UpdatePatch },
) {
  const i = await findInstance(input.orgId, input.instanceId);
  assertAcceptsWork(i, "updated");
  if (i.status === "failed")
    throw new AppError("PRECONDITION_FAILED", `${i.name} failed; retry provisioning before changing it.`);
  if (!input.patch.size && !input.patch.reliability)
    throw badRequest("patch: change at least one setting.", "patch");
  const config = i.config as unknown as InstanceConfig;
  return queueInstanceOperation(
    ctx,
    i,
    { kind: "update", params: input.patch as Record<string, unknown> },
    {
      action: "instance.update",
      before: { size: i.size, reliability: config.reliability },
      after: input.patch,
    },
    (tx) => assertNotBeingDeprovisioned(tx, i),
  );
}

/** Stops the instance (typed-name confirmation); its data is kept for the retention period, then destroyed. */
export async function deprovisionInstance(
  ctx: ServiceContext,
  input: { orgId: string; instanceId: string; confirmName: string },
) {
  const i = await findInstance(input.orgId, input.instanceId);
  if (input.confirmName.trim() !== i.name) {
    throw badRequest(`confirmName: type the instance name "${i.name}" exactly to confirm.`, "confirmName");
  }
  assertAcceptsWork(i, "deprovisioned again");
  return queueInstanceOperation(
    ctx,
    i,
    { kind: "deprovision" },
    { action: "instance.deprovision", before: { status: i.status } },
    (tx) => assertNotBeingDeprovisioned(tx, i),
  );
}

/** Cancels a queued operation at once, or asks the worker to stop a running one (forced after a grace period). */
export async function cancelOperation(
  ctx: ServiceContext,
  input: { orgId: string; instanceId: string; operationId: string },
) {
  const i = await findInstance(input.orgId, input.instanceId);
  return db().$transaction(async (tx) => {
    const op = await tx.operation.findFirst({ where: { id: input.operationId, instanceId: i.id } });
    if (!op) throw notFound("Operation");
    if (op.status === "queued") {
      await tx.operation.update({
        where: { id: op.id },
        data: {
          status: "cancelled",
          finishedAt: new Date(),
          error: `Cancelled by ${ctx.actor.email} before it started.`,
        },
      });
      if (op.kind === "provision")
        await settleInstanceAfterFailure(tx, op, "Cancelled before it started.", true);
      else await settleBackupsAfterFailure(tx, op, `Cancelled by ${ctx.actor.email} before it started.`);
    } else if (op.status === "running") {
      await tx.operation.update({ where: { id: op.id }, data: { cancelRequestedAt: new Date() } });
    } else {
      throw new AppError(
        "PRECONDITION_FAILED",
        `operationId: this operation already ${op.status}; nothing to cancel.`,
        "operationId",
      );
    }
    await recordAudit(tx, ctx, {
      action: "operation.cancel",
      targetType: "operation",
      targetId: op.id,
      orgId: i.orgId,
      before: { status: op.status, kind: op.kind },
    });
    return { status: op.status === "queued" ? ("cancelled" as const) : ("cancelling" as const) };
  });
}

/** After a failure: runs the failed kind of work again (steps are idempotent, so nothing is created twice). */
export async function retryInstance(ctx: ServiceContext, input: { orgId: string; instanceId: string }) {
  const i = await findInstance(input.orgId, input.instanceId);
  if (i.status !== "failed")
    throw new AppError(
      "PRECONDITION_FAILED",
      `${i.name} is ${i.status}; only a failed instance can be retried.`,
    );
  const active = await db().operation.count({ where: { instanceId: i.id, status: { in: [...ACTIVE] } } });
  if (active) throw new AppError("CONFLICT", `${i.name} already has work queued.`);
  const last = await db().operation.findFirst({
    where: { instanceId: i.id, status: { in: ["failed", "cancelled"] } },
    orderBy: { createdAt: "desc" },
    select: { kind: true, params: true },
  });
  const kind = last?.kind === "undelete" ? "undelete" : "provision";
  return queueInstanceOperation(
    ctx,
    i,
    { kind, params: retryParams(last?.params) },
    { action: "instance.retry", before: { status: i.status, reason: i.statusReason } },
    (tx) =>
      tx.instance.update({
        where: { id: i.id },
        data: { status: "provisioning", statusReason: "Retry queued." },
      }),
  );
}

/** Staff bring back a deprovisioned instance during retention: the scheduled destroy is cancelled. */
export async function undeleteInstance(ctx: ServiceContext, input: { orgId: string; instanceId: string }) {
  const i = await findInstance(input.orgId, input.instanceId);
  if (i.status !== "deleted" || i.destroyedAt || !i.retentionUntil || i.retentionUntil <= new Date()) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `${i.name} is not within its retention period; it cannot be undeleted.`,
    );
  }
  return queueInstanceOperation(
    ctx,
    i,
    { kind: "undelete" },
    { action: "instance.undelete", before: { status: i.status, retentionUntil: i.retentionUntil } },
    (tx) =>
      tx.operation.updateMany({
        where: { instanceId: i.id, kind: "destroy", status: "queued" },
        data: {
          status: "cancelled",
          finishedAt: new Date(),
          error: `Cancelled: ${ctx.actor.email} undeleted the instance.`,
        },
      }),
  );
}

/** A retry starts from the failed operation's inputs, not from what the runner counted while it ran. */
function retryParams(params: Prisma.JsonValue | undefined): Record<string, unknown> {
  if (!params || typeof params !== "object" || Array.isArray(params)) return {};
  const { [RATE_LIMIT_WAITS_KEY]: _waits, ...rest } = params;
  return rest;
}
