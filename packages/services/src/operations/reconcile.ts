// The reconciler: PostgreSQL says what should be running; this makes it so after crashes and lost Redis jobs.
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { wakeOperation } from "./operations";
import { settleInstanceAfterFailure } from "./run-operation";

export interface ReconcileReport {
  expiredLeases: number;
  failedAfterRetries: number;
  forcedCancels: number;
  woken: number;
}

export async function reconcileOperations(now = new Date()): Promise<ReconcileReport> {
  const report: ReconcileReport = { expiredLeases: 0, failedAfterRetries: 0, forcedCancels: 0, woken: 0 };
  const graceMs = env().CP_OPERATION_CANCEL_GRACE_MS;

  // 1. Cancels a worker did not honour within the grace period are forced.
  const stuckCancels = await db().operation.findMany({
    where: { status: "running", cancelRequestedAt: { lt: new Date(now.getTime() - graceMs) } },
    select: { id: true, instanceId: true, kind: true, requestedById: true, params: true },
  });
  for (const op of stuckCancels) {
    const done = await db().$transaction(async (tx) => {
      const r = await tx.operation.updateMany({
        where: { id: op.id, status: "running" },
        data: {
          status: "cancelled",
          finishedAt: now,
          leaseOwner: null,
          leaseExpiresAt: null,
          error: "Cancelled (forced after the grace period).",
        },
      });
      if (r.count) {
        await tx.operationLog.create({
          data: {
            operationId: op.id,
            level: "warn",
            message: "The worker did not stop in time: cancel forced.",
          },
        });
        await settleInstanceAfterFailure(tx, op, "Cancelled (forced after the grace period).", true);
      }
      return r.count;
    });
    report.forcedCancels += done;
  }

  // 2. Running operations whose worker stopped heartbeating: resume (steps are idempotent) or fail for good.
  const expired = await db().operation.findMany({
    where: { status: "running", leaseExpiresAt: { lt: now } },
    select: {
      id: true,
      instanceId: true,
      kind: true,
      attempts: true,
      maxAttempts: true,
      requestedById: true,
      params: true,
    },
  });
  for (const op of expired) {
    const final = op.attempts >= op.maxAttempts;
    await db().$transaction(async (tx) => {
      const r = await tx.operation.updateMany({
        where: { id: op.id, status: "running", leaseExpiresAt: { lt: now } },
        data: final
          ? {
              status: "failed",
              finishedAt: now,
              leaseOwner: null,
              leaseExpiresAt: null,
              error: `The worker running this operation stopped responding (${op.attempts} attempts).`,
            }
          : { status: "queued", leaseOwner: null, leaseExpiresAt: null, notBefore: now },
      });
      if (!r.count) return;
      await tx.operationLog.create({
        data: {
          operationId: op.id,
          level: "warn",
          message: final
            ? "The worker stopped responding; no attempts left."
            : "The worker stopped responding; the operation resumes on another worker.",
        },
      });
      if (final) {
        await settleInstanceAfterFailure(
          tx,
          op,
          `The worker running this operation stopped responding (${op.attempts} attempts).`,
          false,
        );
        report.failedAfterRetries += 1;
      } else report.expiredLeases += 1;
    });
  }

  // 3. Due operations at the head of their instance's queue get a wake-up (their job may be gone with Redis).
  const due = await db().$queryRaw<{ id: string; attempts: number }[]>`
    SELECT DISTINCT ON (q."instanceId") q.id, q.attempts
      FROM "Operation" q
     WHERE q.status = 'queued'
       AND NOT EXISTS (SELECT 1 FROM "Operation" r WHERE r."instanceId" = q."instanceId" AND r.status = 'running')
     ORDER BY q."instanceId", q."createdAt", q.id`;
  const heads = await db().operation.findMany({
    where: { id: { in: due.map((d) => d.id) }, notBefore: { lte: now } },
    select: { id: true, attempts: true },
  });
  for (const op of heads) {
    await wakeOperation(op.id, op.attempts, undefined, `r${now.getTime()}`);
    report.woken += 1;
  }
  if (report.expiredLeases || report.failedAfterRetries || report.forcedCancels)
    logger().info(report, "reconciled operations");
  return report;
}
