// Runs claimed operations: engine calls with a heartbeat, live log and progress in PostgreSQL, cooperative cancel,
// and a terminal state with a reason a person can act on.
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { SIZES, type InstanceConfig, type SizeId } from "@cp/core";
import { db, pgPool, Prisma, utcTimestamps, type Instance, type InstanceStatus } from "@cp/db";
import { EngineError, type Engine, type EngineHooks, type EngineOutputs } from "@cp/engine";
import {
  backupIdOf,
  completeBackupTx,
  restoreStep,
  settleBackupsAfterFailure,
  takeBackupStep,
  verifyBackupStep,
} from "../backups/backup-operations";
import { markRolledBackTx, settleCampaignTargetTx, wakeCampaign } from "../campaigns/campaign-targets";
import { rollbackStep, upgradeStep } from "../campaigns/upgrade-operation";
import { dispatchOutbox, queueConsoleNotification } from "../outbox/outbox";
import {
  dispatchChannelPosts,
  postManyToInstanceChannels,
  postToInstanceChannel,
} from "../support/channel-posts";
import { channelSetupStep, queueChannelSetupTx } from "../support/channel-setup";
import { migrateOutStep } from "../deployments/migration";
import type { Engines } from "./engines";
import { instanceRef, loadInstanceSpec } from "./instance-spec";
import {
  appendOperationLog,
  claimNextOperation,
  claimNextOperationOf,
  createOperationTx,
  heartbeat,
  wakeOperation,
  type ClaimedOperation,
} from "./operations";
import { MAX_RATE_LIMIT_WAITS, RATE_LIMIT_WAITS_KEY, rateLimitWaitsOf, RetryLaterError } from "./retry-later";

export interface RunnerDeps {
  engines: Engines;
  workerId: string;
}

/** What a running operation shows the instance as, while it runs. */
const RUNNING_STATUS: Record<string, InstanceStatus | null> = {
  provision: "provisioning",
  update: "updating",
  upgrade: "upgrading",
  undelete: "provisioning",
  deprovision: "deleting",
  destroy: null,
  restore: "restoring",
  rollback: "upgrading",
  backup: null,
  verify_backup: null,
  channel_setup: null,
  // The instance keeps serving while its final backup is taken; the deprovision queued at the end stops it.
  migrate_out: null,
};

/** Operations whose outcome is posted to the instance's support channel, and as what kind of post. */
const CHANNEL_POSTED: Record<string, "upgrade" | "operation"> = {
  upgrade: "upgrade",
  rollback: "upgrade",
  provision: "operation",
  restore: "operation",
  deprovision: "operation",
};

/** Claims and runs this instance's operations, one after another, until none is due. */
export async function processInstanceQueue(instanceId: string, deps: RunnerDeps): Promise<number> {
  return runQueue(() => claimNextOperation(instanceId, deps.workerId), deps);
}

/** The job handler's entry: wake-ups name an operation; the queue of its instance is what runs. */
export async function processOperationWakeUp(operationId: string, deps: RunnerDeps): Promise<number> {
  return runQueue(() => claimNextOperationOf(operationId, deps.workerId), deps);
}

async function runQueue(first: () => Promise<ClaimedOperation | null>, deps: RunnerDeps): Promise<number> {
  let ran = 0;
  let claim = first;
  for (;;) {
    const op = await claim();
    if (!op) return ran;
    const next = await runClaimedOperation(op, deps);
    ran += 1;
    // The operation's end said what waits next on this instance: nothing, or work due later (woken then).
    if (next === null) return ran;
    if (next) {
      const waitMs = next.notBefore.getTime() - Date.now();
      if (waitMs > 0) {
        await wakeOperation(next.id, next.attempts, waitMs);
        return ran;
      }
    }
    claim = () => claimNextOperation(op.instanceId, deps.workerId);
  }
}

/** The instance's next queued operation, as the end of the one before it saw it. */
interface NextQueued {
  id: string;
  attempts: number;
  notBefore: Date;
}

async function nextQueuedOf(tx: Prisma.TransactionClient, instanceId: string): Promise<NextQueued | null> {
  const rows = await tx.$queryRaw<NextQueued[]>`
    SELECT id, attempts, "notBefore" FROM "Operation"
     WHERE "instanceId" = ${instanceId} AND status = 'queued'
     ORDER BY "createdAt", id
     LIMIT 1`;
  return rows[0] ?? null;
}

class OperationLogWriter {
  private chain: Promise<void> = Promise.resolve();
  private pending: { level: string; message: string; step: string | null; at: Date }[] = [];
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly operationId: string) {}
  write(level: string, message: string, step: string | null) {
    this.pending.push({ level, message: message.slice(0, 4000), step, at: new Date() });
    this.timer ??= setTimeout(() => void this.flush(), 200);
  }
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const lines = this.pending.splice(0);
    this.chain = this.chain
      .then(() => appendOperationLog(this.operationId, lines))
      .catch((err) =>
        logger().warn({ err, operationId: this.operationId }, "could not write operation log lines"),
      );
    return this.chain;
  }
}

/**
 * The operation's current step and progress, written at most every 200 ms (the latest state wins); the terminal
 * write of the operation carries the final steps, so what is still pending then is not written separately.
 */
class ProgressWriter {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** The last step and percent reported (also written by finishFailed, so a failed operation shows where). */
  last: { step: string; percent: number } | null = null;
  private pending: { currentStep: string; progress: number; steps: string } | null = null;
  constructor(
    private readonly operationId: string,
    private readonly workerId: string,
    private readonly log: { warn: (o: object, msg: string) => void },
  ) {}
  report(step: string, percent: number, steps: Step[]) {
    const progress = Math.max(0, Math.min(99, Math.round(percent)));
    this.last = { step, percent: progress };
    this.pending = {
      currentStep: step,
      progress,
      steps: JSON.stringify(steps),
    };
    this.timer ??= setTimeout(() => this.flush(), 200);
  }
  private flush() {
    this.timer = null;
    const data = this.pending;
    this.pending = null;
    if (!data) return;
    this.chain = this.chain
      .then(() =>
        pgPool().query(
          `UPDATE "Operation"
              SET "currentStep" = $1, progress = $2, steps = $3::jsonb,
                  "updatedAt" = ($4::timestamptz AT TIME ZONE 'UTC')
            WHERE id = $5 AND "leaseOwner" = $6 AND status = 'running'`,
          [
            data.currentStep,
            data.progress,
            data.steps,
            new Date().toISOString(),
            this.operationId,
            this.workerId,
          ],
        ),
      )
      .catch((err) => this.log.warn({ err }, "could not record progress"));
  }
  /** Before the terminal write: drops what is pending (that write supersedes it) and waits for writes under way. */
  async settle(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    await this.chain;
  }
}

interface Step {
  name: string;
  status: "running" | "done" | "failed";
  startedAt: string;
  finishedAt?: string;
}

/**
 * Runs one claimed operation to its end. Returns the instance's next queued operation as its end saw it (null: none
 * waits), or undefined when it did not look.
 */
export async function runClaimedOperation(
  op: ClaimedOperation,
  deps: RunnerDeps,
): Promise<NextQueued | null | undefined> {
  const log = logger().child({
    operationId: op.id,
    instanceId: op.instanceId,
    kind: op.kind,
    attempt: op.attempts,
  });
  const writer = new OperationLogWriter(op.id);
  const controller = new AbortController();
  let leaseLost = false;
  let cancelled = false;
  const steps: Step[] = [];
  const progress = new ProgressWriter(op.id, deps.workerId, log);

  const beat = setInterval(() => {
    heartbeat(op.id, deps.workerId)
      .then(({ held, cancelRequested }) => {
        if (!held && !leaseLost) {
          leaseLost = true;
          controller.abort(
            new EngineError("CANCELLED", "The worker lost its lease on this operation.", true),
          );
        } else if (cancelRequested && !cancelled) {
          cancelled = true;
          writer.write("warn", "Cancel requested: stopping at the next safe point.", null);
          controller.abort(new EngineError("CANCELLED", "Cancelled on request.", false));
        }
      })
      .catch((err) => log.warn({ err }, "heartbeat failed"));
  }, env().CP_OPERATION_HEARTBEAT_MS);

  const hooks: EngineHooks = {
    signal: controller.signal,
    log: (message, level = "info") => writer.write(level, message, steps.at(-1)?.name ?? null),
    progress: (step, percent) => {
      const now = new Date().toISOString();
      const last = steps.at(-1);
      if (last?.name !== step) {
        if (last && last.status === "running") Object.assign(last, { status: "done", finishedAt: now });
        steps.push({ name: step, status: "running", startedAt: now });
      }
      progress.report(step, percent, steps);
    },
  };

  try {
    const keepsDeleted = op.kind === "destroy" || op.kind === "undelete";
    const transitional = RUNNING_STATUS[op.kind];
    // The instance as it runs: one statement that shows it busy and reads it (none when it was deprovisioned).
    // (Raw SQL: the ORM's per-call cost on a full instance row is several times the statement's own.)
    // (Through the pg pool, for the same reason: see operations.ts.)
    const { rows } = transitional
      ? await pgPool().query<Instance>({
          text: `UPDATE "Instance"
                    SET status = $1::"InstanceStatus", "statusReason" = NULL,
                        "updatedAt" = ($2::timestamptz AT TIME ZONE 'UTC')
                  WHERE id = $3 AND ($4::boolean OR "deletedAt" IS NULL)
                 RETURNING *`,
          values: [transitional, new Date().toISOString(), op.instanceId, keepsDeleted],
          types: utcTimestamps,
        })
      : await pgPool().query<Instance>({
          text: `SELECT * FROM "Instance" WHERE id = $1`,
          values: [op.instanceId],
          types: utcTimestamps,
        });
    const instance = rows[0] ?? (await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } }));
    if (instance.deletedAt && !keepsDeleted) {
      throw new EngineError(
        "FAILED",
        `${instance.name} was deprovisioned before this ${op.kind} ran; nothing was changed.`,
        false,
      );
    }
    writer.write("info", `Attempt ${op.attempts} of ${op.maxAttempts} started on ${deps.workerId}.`, null);
    if (op.kind === "channel_setup") {
      // Slack or the console, not the instance's cloud: no engine is involved.
      await channelSetupStep(op, hooks);
      await progress.settle();
      await writer.flush();
      if (leaseLost) return undefined;
      const finishedAt = new Date().toISOString();
      for (const s of steps) if (s.status === "running") Object.assign(s, { status: "done", finishedAt });
      const next = await finishSucceeded(op, deps.workerId, {}, steps);
      log.info("operation succeeded");
      return next;
    }
    const engine = deps.engines[instance.cloud as keyof Engines];
    if (!engine)
      throw new EngineError(
        "NOT_CONFIGURED",
        `No engine for cloud "${instance.cloud}" runs on this worker.`,
        false,
      );
    const availability = await engine.available();
    if (!availability.ok) throw new EngineError("NOT_CONFIGURED", availability.reason, false);

    const outcome = await execute(op, engine, hooks, instance);
    await progress.settle();
    await writer.flush();
    if (leaseLost) return undefined;
    const finished = new Date().toISOString();
    for (const s of steps)
      if (s.status === "running") Object.assign(s, { status: "done", finishedAt: finished });
    const next = await finishSucceeded(op, deps.workerId, outcome, steps);
    log.info("operation succeeded");
    return next;
  } catch (err) {
    await progress.settle();
    // A rate limit is a wait, not an error (finishFailed logs it as one when the waits run out).
    writer.write(
      err instanceof RetryLaterError ? "warn" : "error",
      describe(err),
      steps.at(-1)?.name ?? null,
    );
    await writer.flush();
    if (leaseLost) {
      log.warn("lease lost; the reconciler takes over");
      return undefined;
    }
    const failedAt = new Date().toISOString();
    for (const s of steps)
      if (s.status === "running") Object.assign(s, { status: "failed", finishedAt: failedAt });
    return await finishFailed(op, deps.workerId, err, { cancelled, steps, progress: progress.last });
  } finally {
    clearInterval(beat);
  }
}

function paramsOf(op: { params: Prisma.JsonValue }): Record<string, unknown> {
  const p = op.params;
  return p && typeof p === "object" && !Array.isArray(p) ? { ...p } : {};
}

function describe(err: unknown): string {
  if (err instanceof EngineError) return err.message;
  if (err instanceof Error) return `Unexpected error: ${err.message}`;
  return `Unexpected error: ${String(err)}`;
}

type Outcome = {
  outputs?: EngineOutputs;
  /** Upgrades and rollbacks: the version the instance now runs, and the one before it (null after a rollback). */
  versions?: { version: string; previousVersion: string | null };
  /** Kind-specific writes in the transaction that marks the operation succeeded; returns operations to wake. */
  finish?: (tx: Prisma.TransactionClient) => Promise<string[]>;
};

async function execute(
  op: ClaimedOperation,
  engine: Engine,
  hooks: EngineHooks,
  instance: Instance,
): Promise<Outcome> {
  const params = (op.params ?? {}) as Record<string, unknown>;
  switch (op.kind) {
    case "provision":
    case "update": {
      if (op.kind === "update") await applyConfigPatch(op.instanceId, params);
      const spec = await loadInstanceSpec(op.instanceId);
      hooks.log(
        `Applying ${spec.cloud} instance ${spec.slug} (${SIZES[spec.size].label}, MySQL ${spec.mysqlVersion}).`,
      );
      const outputs = await engine.apply(spec, hooks);
      const cloneOf =
        op.kind === "provision" ? (params.restoreFromBackupId as string | undefined) : undefined;
      if (cloneOf) await restoreStep(op, engine, hooks, { backupId: cloneOf });
      return { outputs };
    }
    case "backup": {
      const backupId = backupIdOf(params);
      if (!backupId) throw new EngineError("FAILED", "The backup operation names no backup.", false);
      const artifact = await takeBackupStep(op, engine, hooks, backupId);
      return { finish: async (tx) => [await completeBackupTx(tx, backupId, artifact)] };
    }
    case "migrate_out":
      return migrateOutStep(op, engine, hooks);
    case "verify_backup": {
      const backupId = backupIdOf(params);
      if (!backupId) throw new EngineError("FAILED", "The verification names no backup.", false);
      await verifyBackupStep(op, engine, hooks, backupId);
      return {};
    }
    case "restore":
      await restoreStep(op, engine, hooks, params);
      return {};
    case "upgrade": {
      const r = await upgradeStep(op, engine, hooks, instance);
      return {
        outputs: r.outputs,
        versions: { version: r.params.toVersion, previousVersion: r.params.fromVersion },
      };
    }
    case "rollback": {
      const r = await rollbackStep(op, engine, hooks);
      return { outputs: r.outputs, versions: { version: r.toVersion, previousVersion: null } };
    }
    case "undelete": {
      const spec = await loadInstanceSpec(op.instanceId);
      await engine.resume(
        instanceRef({ id: spec.instanceId, slug: spec.slug, cloud: spec.cloud, region: spec.region }),
        hooks,
      );
      return { outputs: await engine.apply(spec, hooks) };
    }
    case "deprovision": {
      const i = await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } });
      hooks.progress("stop", 10);
      await engine.suspend(instanceRef(i), hooks);
      hooks.log("Stopped. Data is kept until the end of the retention period.");
      return {};
    }
    case "destroy": {
      const i = await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } });
      hooks.progress("destroy", 10);
      await engine.destroy(instanceRef(i), hooks);
      hooks.log("All resources removed.");
      return {};
    }
    default:
      throw new EngineError("FAILED", `Operations of kind "${op.kind}" are not supported yet.`, false);
  }
}

/** An update's changes are merged into the configuration when it runs, so queued updates apply in order. */
async function applyConfigPatch(instanceId: string, params: Record<string, unknown>) {
  const i = await db().instance.findUniqueOrThrow({ where: { id: instanceId } });
  const config = i.config as unknown as InstanceConfig;
  const patch = params as { size?: SizeId; reliability?: Partial<InstanceConfig["reliability"]> };
  const next: InstanceConfig = {
    ...config,
    size: patch.size ?? config.size,
    reliability: {
      externalRedis: patch.reliability?.externalRedis ?? config.reliability.externalRedis,
      rateLimits: { ...config.reliability.rateLimits, ...(patch.reliability?.rateLimits ?? {}) },
    },
  };
  await db().instance.update({
    where: { id: instanceId },
    data: { config: next as unknown as Prisma.InputJsonValue, size: next.size },
  });
}

async function finishSucceeded(
  op: ClaimedOperation,
  workerId: string,
  outcome: Outcome,
  steps: Step[],
): Promise<NextQueued | null | undefined> {
  const retentionMs = env().CP_DELETE_RETENTION_HOURS * 3600_000;
  const next = await db().$transaction(async (tx) => {
    const now = new Date();
    const done = await tx.$executeRaw`
      UPDATE "Operation"
         SET status = 'succeeded', progress = 100, "currentStep" = NULL, "finishedAt" = ${now}, "leaseOwner" = NULL,
             "leaseExpiresAt" = NULL, error = NULL, steps = ${JSON.stringify(steps)}::jsonb, "updatedAt" = ${now}
       WHERE id = ${op.id} AND "leaseOwner" = ${workerId} AND status = 'running'`;
    if (done === 0) return null;
    const o = outcome.outputs;
    // The instance as this transaction leaves it: the row its update returns (or, when nothing changes it, read).
    let instance: Instance | null = null;
    let followUp: string | null = null;
    let campaign: string | null = null;
    const wake = outcome.finish ? await outcome.finish(tx) : [];
    let message = "";
    switch (op.kind) {
      case "upgrade":
      case "rollback": {
        const v = outcome.versions;
        const set = [
          Prisma.sql`status = 'running', "statusReason" = NULL, "updatedAt" = ${now}`,
          ...(o ? [Prisma.sql`url = ${o.url}, outputs = ${JSON.stringify(o)}::jsonb`] : []),
          ...(v ? [Prisma.sql`version = ${v.version}, "previousVersion" = ${v.previousVersion}`] : []),
        ];
        const updated = await tx.$queryRaw<Instance[]>`
          UPDATE "Instance" SET ${Prisma.join(set)} WHERE id = ${op.instanceId} RETURNING *`;
        instance = updated[0] ?? null;
        if (op.kind === "upgrade") {
          // The gate's verdict is already on the target (written when it was judged, pass or fail).
          campaign = await settleCampaignTargetTx(tx, op, { status: "succeeded" });
          message = `was upgraded to ${v?.version ?? "the new release"}`;
        } else {
          await markRolledBackTx(tx, op.instanceId);
          message = `was rolled back to ${v?.version ?? "its previous release"}`;
        }
        break;
      }
      case "restore":
        instance = await tx.instance.update({
          where: { id: op.instanceId },
          data: { status: "running", statusReason: null },
        });
        message = "was restored from a backup";
        break;
      case "backup":
        message = "was backed up";
        break;
      case "verify_backup":
        message = "has a verified backup";
        break;
      case "provision":
      case "update":
      case "undelete":
        instance = await tx.instance.update({
          where: { id: op.instanceId },
          data: {
            status: "running",
            statusReason: null,
            url: o?.url,
            version: o?.version,
            outputs: o ? ({ ...o } as Prisma.InputJsonValue) : undefined,
            // Only bringing an instance (back) into being ends its retention; an update never does.
            ...(op.kind === "update" ? {} : { deletedAt: null, retentionUntil: null }),
          },
        });
        message = { provision: "is running", update: "was updated", undelete: "was restored" }[op.kind] ?? "";
        if (op.kind === "provision") {
          const setup = await queueChannelSetupTx(tx, op.instanceId, op.requestedById);
          if (setup) wake.push(setup);
        }
        break;
      case "deprovision": {
        const retentionUntil = new Date(Date.now() + retentionMs);
        instance = await tx.instance.update({
          where: { id: op.instanceId },
          data: {
            status: "deleted",
            statusReason: `Stopped; data kept until ${retentionUntil.toISOString()}, then removed.`,
            deletedAt: new Date(),
            retentionUntil,
          },
        });
        const destroy = await createOperationTx(tx, {
          instanceId: op.instanceId,
          kind: "destroy",
          notBefore: retentionUntil,
          params: { scheduledBy: op.id },
        });
        followUp = destroy.id;
        message = "was deprovisioned";
        break;
      }
      case "destroy":
        instance = await tx.instance.update({
          where: { id: op.instanceId },
          data: {
            status: "deleted",
            statusReason: "All resources removed.",
            destroyedAt: new Date(),
            url: null,
          },
        });
        message = "was removed for good";
        break;
      case "channel_setup":
        message = "has its support channel";
        break;
      case "migrate_out":
        message = "was exported for its customer-managed deployment";
        break;
    }
    instance ??= await tx.instance.findUniqueOrThrow({ where: { id: op.instanceId } });
    const postKind = CHANNEL_POSTED[op.kind];
    // This transaction ends the operation once, so its post is new: the insert says what to deliver after commit.
    const posted = postKind
      ? await postManyToInstanceChannels(tx, [
          {
            instanceId: op.instanceId,
            kind: postKind,
            text: `${instance.name} ${message}: the ${op.kind} operation succeeded.`,
            dedupeKey: `op:${op.id}:succeeded`,
          },
        ])
      : null;
    if (op.requestedById) {
      await queueConsoleNotification(tx, {
        userId: op.requestedById,
        orgId: instance.orgId,
        subject: `${instance.name} ${message}`,
        text: `The ${op.kind} operation on ${instance.name} succeeded.`,
      });
    }
    const queued = await nextQueuedOf(tx, op.instanceId);
    return { followUp, retentionMs, wake, dispatch: posted?.dispatch ?? [], campaign, queued };
  });
  if (next?.dispatch.length) await dispatchOutbox(next.dispatch);
  if (next?.campaign) await wakeCampaign(next.campaign);
  if (next?.followUp) await wakeOperation(next.followUp, 0, next.retentionMs);
  for (const id of next?.wake ?? []) await wakeOperation(id);
  if (!next) {
    await wakeNextQueued(op.instanceId);
    return undefined;
  }
  return next.queued;
}

async function finishFailed(
  op: ClaimedOperation,
  workerId: string,
  err: unknown,
  ctx: { cancelled: boolean; steps: Step[]; progress: { step: string; percent: number } | null },
): Promise<NextQueued | null | undefined> {
  const engineErr = err instanceof EngineError ? err : null;
  let message = describe(err);
  // A rate limit gives its attempt back (waiting is not failing); its waits are counted so one that never lifts ends.
  const rateLimit = !ctx.cancelled && err instanceof RetryLaterError ? err : null;
  const waits = rateLimitWaitsOf(op.params) + (rateLimit ? 1 : 0);
  const waitOut = rateLimit !== null && waits <= MAX_RATE_LIMIT_WAITS;
  if (rateLimit && !waitOut)
    message = `Still rate limited after ${MAX_RATE_LIMIT_WAITS} waits (${rateLimit.reason}); gave up. Try again later.`;
  const retry =
    waitOut ||
    (!rateLimit && !ctx.cancelled && engineErr?.retryable === true && op.attempts < op.maxAttempts);
  const backoffMs = rateLimit ? rateLimit.retryAfterMs : Math.min(2_000 * 2 ** (op.attempts - 1), 60_000);
  const settled = await db().$transaction(async (tx) => {
    const base = {
      leaseOwner: null,
      leaseExpiresAt: null,
      error: message,
      steps: ctx.steps as unknown as Prisma.InputJsonValue,
      // Where it stopped (progress reports are written at most every 200 ms; the last may not have been yet).
      ...(ctx.progress ? { currentStep: ctx.progress.step, progress: ctx.progress.percent } : {}),
    };
    const updated = retry
      ? await tx.operation.updateMany({
          where: { id: op.id, leaseOwner: workerId, status: "running" },
          data: {
            ...base,
            status: "queued",
            notBefore: new Date(Date.now() + backoffMs),
            ...(waitOut
              ? {
                  attempts: { decrement: 1 },
                  params: { ...paramsOf(op), [RATE_LIMIT_WAITS_KEY]: waits } as Prisma.InputJsonValue,
                }
              : {}),
          },
        })
      : await tx.operation.updateMany({
          where: { id: op.id, leaseOwner: workerId, status: "running" },
          data: { ...base, status: ctx.cancelled ? "cancelled" : "failed", finishedAt: new Date() },
        });
    if (updated.count === 0 || retry) return null;
    const queued = await nextQueuedOf(tx, op.instanceId);
    if (rateLimit) await tx.operationLog.create({ data: { operationId: op.id, level: "error", message } });
    const campaign = await settleInstanceAfterFailure(tx, op, message, ctx.cancelled);
    const postKind = CHANNEL_POSTED[op.kind];
    if (!postKind) return { postId: null, campaign, queued };
    const status = ctx.cancelled ? "cancelled" : "failed";
    const name = (await tx.instance.findUnique({ where: { id: op.instanceId }, select: { name: true } }))
      ?.name;
    const postId = await postToInstanceChannel(tx, {
      instanceId: op.instanceId,
      kind: postKind,
      text: `The ${op.kind} operation on ${name ?? op.instanceId} ${ctx.cancelled ? "was cancelled" : "failed"}: ${message}`,
      dedupeKey: `op:${op.id}:${status}`,
    });
    return { postId, campaign, queued };
  });
  if (settled?.postId) await dispatchChannelPosts([settled.postId]);
  if (settled?.campaign) await wakeCampaign(settled.campaign);
  // A wait keeps the attempt number, so its wake-up is told apart by the wait's number.
  // A retry waits in front of the instance's queue: its own wake-up (delayed by the backoff) runs it and what follows.
  if (waitOut) await wakeOperation(op.id, op.attempts - 1, backoffMs, `wait${waits}`);
  else if (retry) await wakeOperation(op.id, op.attempts, backoffMs);
  else if (settled) return settled.queued;
  else await wakeNextQueued(op.instanceId);
  return retry ? null : undefined;
}

/**
 * The instance's state after an operation ended without success: true to what is there, with a next step. A
 * campaign upgrade's target is settled too; returns that campaign, to wake after commit.
 */
export async function settleInstanceAfterFailure(
  tx: Prisma.TransactionClient,
  op: { id?: string; instanceId: string; kind: string; requestedById: string | null; params?: unknown },
  message: string,
  cancelled: boolean,
): Promise<string | null> {
  await settleBackupsAfterFailure(tx, op, message);
  const campaign = await settleCampaignTargetTx(tx, op, {
    status: cancelled ? "cancelled" : "failed",
    error: message,
  });
  const instance = await tx.instance.findUniqueOrThrow({ where: { id: op.instanceId } });
  const what = cancelled ? "was cancelled" : "failed";
  if (instance.deletedAt && op.kind !== "destroy" && op.kind !== "undelete") {
    // Work that lost its race with a deprovision: the instance stays deleted; the operation's error says why.
    return campaign;
  }
  const data: Prisma.InstanceUpdateInput = (() => {
    switch (op.kind) {
      case "provision":
      case "undelete":
        return {
          status: "failed",
          statusReason: `Provisioning ${what}: ${message} Retry to continue, or deprovision to remove what was created.`,
        };
      case "update":
        return {
          status: instance.url ? "running" : "failed",
          statusReason: `The last ${op.kind} ${what}: ${message}`,
        };
      case "upgrade": {
        // Hops that went through are recorded: the instance runs what the database says, and may go back.
        const upgraded =
          instance.previousVersion !== null &&
          instance.version !== null &&
          instance.version !== instance.previousVersion;
        return {
          status: instance.url ? "running" : "failed",
          statusReason:
            `The last upgrade ${what}: ${message}` +
            (upgraded
              ? ` ${instance.name} runs ${instance.version}; a rollback to ${instance.previousVersion} is available.`
              : ""),
        };
      }
      case "rollback":
        return {
          status: instance.url ? "running" : "failed",
          statusReason: `The rollback ${what}: ${message} ${instance.name} still runs ${instance.version ?? "its current release"}; retry the rollback, or restore a backup.`,
        };
      case "deprovision":
        return {
          status: instance.url ? "running" : "failed",
          statusReason: `Deprovisioning ${what}: ${message}`,
        };
      case "restore":
        return {
          status: instance.url ? "running" : "failed",
          statusReason: `The restore ${what}: ${message} The database may be partly restored: retry the restore, or restore the backup taken before it.`,
        };
      case "backup":
      case "verify_backup":
      case "channel_setup":
        // The backup's (or the operation's) own row carries the failure; the instance is as it was.
        return {};
      case "destroy":
        return {
          status: "deleted",
          statusReason: `Removing resources ${what}: ${message} Staff will retry.`,
        };
      default:
        return { statusReason: `${op.kind} ${what}: ${message}` };
    }
  })();
  await tx.instance.update({ where: { id: op.instanceId }, data });
  if (op.requestedById) {
    await queueConsoleNotification(tx, {
      userId: op.requestedById,
      orgId: instance.orgId,
      subject: `${instance.name}: ${op.kind} ${what}`,
      text: message,
    });
  }
  return campaign;
}

async function wakeNextQueued(instanceId: string) {
  const next = await db().operation.findFirst({
    where: { instanceId, status: "queued" },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, attempts: true, notBefore: true },
  });
  if (next) await wakeOperation(next.id, next.attempts, Math.max(0, next.notBefore.getTime() - Date.now()));
}
