// Operations: long work as rows in PostgreSQL, claimed by workers with a lease (DESIGN.md, Operations).
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import type { OperationKind } from "@cp/db";
import { pgPool, utcTimestamps, type Db, type Prisma } from "@cp/db";
import { enqueue, getQueue, JOBS, jobId } from "@cp/jobs";

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
 * Writes many queued operations in one statement (a campaign wave's upgrades); returns each one's id by its
 * idempotency key, which every operation here must have.
 */
export async function createOperationsTx(
  tx: Db,
  ops: (NewOperation & { idempotencyKey: string })[],
): Promise<Map<string, string>> {
  if (!ops.length) return new Map();
  const now = new Date();
  const maxAttempts = env().CP_OPERATION_MAX_ATTEMPTS;
  const rows = await tx.operation.createManyAndReturn({
    data: ops.map((op) => ({
      instanceId: op.instanceId,
      kind: op.kind,
      params: (op.params ?? {}) as Prisma.InputJsonValue,
      requestedById: op.requestedById ?? null,
      notBefore: op.notBefore ?? now,
      idempotencyKey: op.idempotencyKey,
      maxAttempts,
    })),
    select: { id: true, idempotencyKey: true },
  });
  return new Map(rows.map((r) => [r.idempotencyKey!, r.id]));
}

/**
 * After commit: wakes the first attempt of many new operations with one Redis round trip (they have no earlier
 * job under the same id, so none needs removing first). Falls back to one wake-up each.
 */
export async function wakeNewOperations(operationIds: string[]): Promise<void> {
  if (!operationIds.length) return;
  const def = JOBS.operationRun;
  try {
    await getQueue(def.queue).addBulk(
      operationIds.map((operationId) => ({
        name: def.name,
        data: def.schema.parse({ operationId }),
        opts: { jobId: jobId("operationRun", operationId, "0") },
      })),
    );
  } catch (err) {
    logger().warn({ err }, "could not enqueue operation wake-ups in bulk; one by one");
    for (const id of operationIds) await wakeOperation(id);
  }
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
  return claim("$3", instanceId, workerId);
}

/** Like claimNextOperation, for the instance of this operation (a wake-up names an operation, not an instance). */
export async function claimNextOperationOf(
  operationId: string,
  workerId: string,
): Promise<ClaimedOperation | null> {
  return claim(`(SELECT w."instanceId" FROM "Operation" w WHERE w.id = $3)`, operationId, workerId);
}

// The runner's per-operation statements go through the pg pool (parameterized SQL): through Prisma each costs
// several times the CPU.
async function claim(instanceId: string, key: string, workerId: string): Promise<ClaimedOperation | null> {
  const leaseMs = env().CP_OPERATION_LEASE_MS;
  try {
    const { rows } = await pgPool().query<ClaimedOperation>(
      `UPDATE "Operation" o
          SET status = 'running',
              "leaseOwner" = $1,
              "leaseExpiresAt" = now() + $2::int * interval '1 millisecond',
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
       RETURNING o.id, o."instanceId", o.kind, o.attempts, o."maxAttempts", o.params, o."requestedById"`,
      [workerId, leaseMs, key],
    );
    return rows[0] ?? null;
  } catch (err) {
    if (
      (err as { code?: unknown }).code === "23505" ||
      String(err).includes("Operation_one_running_per_instance")
    )
      return null;
    throw err;
  }
}

/** Extends the lease; tells the runner whether it still holds it and whether a cancel was asked for. */
export async function heartbeat(
  operationId: string,
  workerId: string,
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const leaseMs = env().CP_OPERATION_LEASE_MS;
  const { rows } = await pgPool().query<{ cancelRequestedAt: Date | null }>({
    text: `UPDATE "Operation" SET "leaseExpiresAt" = now() + $1::int * interval '1 millisecond', "heartbeatAt" = now()
            WHERE id = $2 AND "leaseOwner" = $3 AND status = 'running'
           RETURNING "cancelRequestedAt"`,
    values: [leaseMs, operationId, workerId],
    types: utcTimestamps,
  });
  const row = rows[0];
  return { held: row !== undefined, cancelRequested: Boolean(row?.cancelRequestedAt) };
}

export async function appendOperationLog(
  operationId: string,
  lines: { level: string; message: string; step?: string | null; at: Date }[],
) {
  if (!lines.length) return;
  // One statement, in order (the id orders the lines), without the ORM's per-call cost: this is on every operation.
  await pgPool().query(
    `INSERT INTO "OperationLog" ("operationId", at, level, step, message)
     SELECT $1, (u.at::timestamptz AT TIME ZONE 'UTC'), u.level, u.step, u.message
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(at, level, step, message, n)
      ORDER BY u.n`,
    [
      operationId,
      lines.map((l) => l.at.toISOString()),
      lines.map((l) => l.level),
      lines.map((l) => l.step ?? null),
      lines.map((l) => l.message),
    ],
  );
}
