// Operations: long work as rows in PostgreSQL, claimed by workers with a lease (DESIGN.md, Operations).
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import type { OperationKind } from "@cp/db";
import { db, isUniqueViolation, type Prisma, type Db } from "@cp/db";
import { enqueue } from "@cp/jobs";

export interface NewOperation {
  instanceId: string;
  kind: OperationKind;
  params?: Record<string, unknown>;
  requestedById?: string | null;
  notBefore?: Date;
  idempotencyKey?: string;
}

/** Writes a queued operation inside the caller's transaction (with its state change and audit event). */
export async function createOperationTx(tx: Db, op: NewOperation) {
  return tx.operation.create({
    data: {
      instanceId: op.instanceId,
      kind: op.kind,
      params: (op.params ?? {}) as Prisma.InputJsonValue,
      requestedById: op.requestedById ?? null,
      notBefore: op.notBefore ?? new Date(),
      idempotencyKey: op.idempotencyKey ?? null,
      maxAttempts: env().CP_OPERATION_MAX_ATTEMPTS,
    },
    select: { id: true, instanceId: true, kind: true, status: true, createdAt: true },
  });
}

/**
 * After commit: wake a worker. The job carries only the id and is only a wake-up: if Redis loses it, the
 * reconciler enqueues another one.
 */
export async function wakeOperation(
  operationId: string,
  attempt = 0,
  delayMs?: number,
  /**
   * Makes the job id unique per reconciler tick (a wake-up held by a dead worker must not block a new one) or per
   * rate-limit wait (which keeps the attempt number).
   */
  tick?: string,
): Promise<void> {
  try {
    const dedupeOn = [operationId, String(attempt), ...(tick ? [tick] : [])];
    await enqueue("operationRun", { operationId }, { dedupeOn, delayMs });
  } catch (err) {
    logger().warn({ err, operationId }, "could not enqueue an operation wake-up; the reconciler will");
  }
}

export interface ClaimedOperation {
  id: string;
  instanceId: string;
  kind: OperationKind;
  attempts: number;
  maxAttempts: number;
  params: Prisma.JsonValue;
  requestedById: string | null;
}

/**
 * Claims the oldest waiting operation of an instance, if it is due and nothing else of that instance runs. Only the
 * oldest can be claimed: workers racing for it queue on its row lock, and the losers find it no longer queued (a
 * locked row is never skipped for the next one, which would run operations out of order). The partial unique index
 * on running operations is the backstop.
 */
export async function claimNextOperation(
  instanceId: string,
  workerId: string,
): Promise<ClaimedOperation | null> {
  const leaseMs = env().CP_OPERATION_LEASE_MS;
  try {
    const rows = await db().$queryRaw<ClaimedOperation[]>`
      UPDATE "Operation" o
         SET status = 'running',
             "leaseOwner" = ${workerId},
             "leaseExpiresAt" = now() + ${leaseMs} * interval '1 millisecond',
             "heartbeatAt" = now(),
             attempts = o.attempts + 1,
             "startedAt" = COALESCE(o."startedAt", now()),
             "updatedAt" = now()
       WHERE o.id = (
               SELECT q.id FROM "Operation" q
                WHERE q."instanceId" = ${instanceId} AND q.status = 'queued'
                ORDER BY q."createdAt", q.id
                LIMIT 1)
         AND o.status = 'queued'
         AND o."notBefore" <= now()
         AND NOT EXISTS (SELECT 1 FROM "Operation" r WHERE r."instanceId" = ${instanceId} AND r.status = 'running')
      RETURNING o.id, o."instanceId", o.kind, o.attempts, o."maxAttempts", o.params, o."requestedById"`;
    return rows[0] ?? null;
  } catch (err) {
    if (isUniqueViolation(err) || String(err).includes("Operation_one_running_per_instance")) return null;
    throw err;
  }
}

/** Extends the lease; tells the runner whether it still holds it and whether a cancel was asked for. */
export async function heartbeat(
  operationId: string,
  workerId: string,
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const leaseMs = env().CP_OPERATION_LEASE_MS;
  const rows = await db().$queryRaw<{ cancelRequestedAt: Date | null }[]>`
    UPDATE "Operation" SET "leaseExpiresAt" = now() + ${leaseMs} * interval '1 millisecond', "heartbeatAt" = now()
     WHERE id = ${operationId} AND "leaseOwner" = ${workerId} AND status = 'running'
    RETURNING "cancelRequestedAt"`;
  const row = rows[0];
  return { held: row !== undefined, cancelRequested: Boolean(row?.cancelRequestedAt) };
}

export async function appendOperationLog(
  operationId: string,
  lines: { level: string; message: string; step?: string | null; at: Date }[],
) {
  if (!lines.length) return;
  await db().operationLog.createMany({
    data: lines.map((l) => ({ operationId, ...l, step: l.step ?? null })),
  });
}
