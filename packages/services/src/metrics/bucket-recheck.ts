// The daily re-check of customer-owned buckets with the ordering flow's checks (a bucket that passed at order time
// may since have lost versioning, its CORS rule or our access). Each run writes a bucket_checks_ok sample (1 passed,
// 0 a check now fails), which the bucket alert rule watches, and keeps the items on MonitorState for the health page.
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import type { OrderInput } from "@cp/core";
import { db, pgPool, type Prisma } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import { checkBucket, type OrderCheckItem } from "../instances/order-checks";
import { loadInstanceSpec } from "../operations/instance-spec";
import { MONITORED_STATUSES, pollPhaseMs } from "./poll";
import { insertSamples } from "./samples";

/** After a re-check that could not run (our error, not the bucket's), try again this much later. */
const RETRY_MS = 3600_000;

export interface BucketCheckState {
  ok: boolean;
  items: OrderCheckItem[];
  /** Set when the checks themselves could not run; no sample is written then. */
  error?: string;
}

export interface RecheckSummary {
  checked: number;
  passed: number;
  failed: number;
  errors: number;
}

/**
 * Gives monitored BYOB instances a first re-check date, spread over the period by their id (the order's checks
 * have just run), creating their MonitorState row when the poll has not yet.
 */
async function scheduleFirstChecks(now: Date, periodMs: number, instanceIds: string[] | null): Promise<void> {
  const pool = pgPool();
  const fresh = await pool.query<{ id: string }>(
    `SELECT i.id FROM "Instance" i LEFT JOIN "MonitorState" m ON m."instanceId" = i.id
     WHERE i."storageMode" = 'byob' AND i.status::text = ANY($1) AND i."deletedAt" IS NULL
       AND m."bucketCheckDueAt" IS NULL AND ($2::text[] IS NULL OR i.id = ANY($2))
     LIMIT 1000`,
    [MONITORED_STATUSES, instanceIds],
  );
  if (fresh.rows.length === 0) return;
  const ids = fresh.rows.map((r) => r.id);
  const due = ids.map((id) => new Date(now.getTime() + pollPhaseMs(id, periodMs)));
  await pool.query(
    `INSERT INTO "MonitorState" ("instanceId", "nextPollAt", "bucketCheckDueAt")
     SELECT i, $3::timestamptz AT TIME ZONE 'UTC', d AT TIME ZONE 'UTC' FROM unnest($1::text[], $2::timestamptz[]) AS u(i, d)
     ON CONFLICT ("instanceId") DO UPDATE SET "bucketCheckDueAt" = EXCLUDED."bucketCheckDueAt"
     WHERE "MonitorState"."bucketCheckDueAt" IS NULL`,
    [ids, due, now],
  );
}

/** Claims due re-checks, moving each one's date a period ahead (SKIP LOCKED: replicas never check one twice). */
async function claimDue(
  now: Date,
  periodMs: number,
  limit: number,
  instanceIds: string[] | null,
): Promise<string[]> {
  const result = await pgPool().query<{ instanceId: string }>(
    `WITH due AS (
       SELECT m."instanceId" FROM "MonitorState" m JOIN "Instance" i ON i.id = m."instanceId"
       WHERE m."bucketCheckDueAt" <= ($1::timestamptz AT TIME ZONE 'UTC')
         AND i."storageMode" = 'byob' AND i.status::text = ANY($3) AND i."deletedAt" IS NULL
         AND ($5::text[] IS NULL OR i.id = ANY($5))
       ORDER BY m."bucketCheckDueAt" LIMIT $4
       FOR UPDATE OF m SKIP LOCKED
     )
     UPDATE "MonitorState" m SET "bucketCheckDueAt" = ($1::timestamptz AT TIME ZONE 'UTC') + make_interval(secs => $2 / 1000.0)
     FROM due WHERE m."instanceId" = due."instanceId"
     RETURNING m."instanceId"`,
    [now, periodMs, MONITORED_STATUSES, limit, instanceIds],
  );
  return result.rows.map((r) => r.instanceId);
}

/** The order-time storage input of an instance, secrets decrypted, from its stored configuration. */
async function storageOf(
  instanceId: string,
): Promise<{ cloud: OrderInput["cloud"]; storage: OrderInput["storage"] }> {
  const spec = await loadInstanceSpec(instanceId);
  if (spec.storage.mode !== "byob") return { cloud: spec.cloud, storage: { mode: "provider" } };
  const { provider: _provider, ...byob } = spec.storage;
  return { cloud: spec.cloud, storage: byob };
}

async function recheckOne(instanceId: string, now: Date, periodMs: number): Promise<BucketCheckState> {
  let state: BucketCheckState;
  try {
    const { cloud, storage } = await storageOf(instanceId);
    const items = await checkBucket(cloud, storage);
    state = { ok: !items.some((i) => i.status === "failed"), items };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger().warn({ err, instanceId }, "bucket re-check could not run; retrying later");
    state = { ok: false, items: [], error: message.slice(0, 1000) };
  }
  const bucketCheck = JSON.parse(JSON.stringify(state)) as Prisma.InputJsonValue;
  if (state.error) {
    await db().monitorState.update({
      where: { instanceId },
      data: { bucketCheck, bucketCheckedAt: now, bucketCheckDueAt: new Date(now.getTime() + RETRY_MS) },
    });
    return state;
  }
  await insertSamples([{ instanceId, metric: "bucket_checks_ok", ts: now, value: state.ok ? 1 : 0 }]);
  const instance = await db().instance.findUniqueOrThrow({
    where: { id: instanceId },
    select: { orgId: true },
  });
  await db().$transaction(async (tx) => {
    await tx.monitorState.update({
      where: { instanceId },
      data: { bucketCheck, bucketCheckedAt: now, bucketCheckDueAt: new Date(now.getTime() + periodMs) },
    });
    // The checks write, read and delete a probe object in the customer's bucket: audited like the wizard's.
    await recordAudit(
      tx,
      { actor: null, actorEmail: "system:bucket-recheck" },
      {
        action: "instance.recheck_bucket",
        targetType: "instance",
        targetId: instanceId,
        orgId: instance.orgId,
        after: { results: state.items.map((i) => `${i.id}:${i.status}`) },
      },
    );
  });
  return state;
}

/**
 * Re-checks the customer-owned buckets that are due (each every CP_BUCKET_RECHECK_HOURS, spread by instance), a
 * few at a time. A check that fails is a result (sample 0), not an error; checks that cannot run are retried
 * within the hour.
 */
export async function recheckDueBuckets(
  now: Date = new Date(),
  options: { limit?: number; concurrency?: number; instanceIds?: string[] } = {},
): Promise<RecheckSummary> {
  const periodMs = env().CP_BUCKET_RECHECK_HOURS * 3600_000;
  await scheduleFirstChecks(now, periodMs, options.instanceIds ?? null);
  const ids = await claimDue(now, periodMs, options.limit ?? 50, options.instanceIds ?? null);
  const summary: RecheckSummary = { checked: 0, passed: 0, failed: 0, errors: 0 };
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const state = await recheckOne(id, now, periodMs);
      if (state.error) summary.errors += 1;
      else {
        summary.checked += 1;
        if (state.ok) summary.passed += 1;
        else summary.failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, ids.length) }, worker));
  return summary;
}
