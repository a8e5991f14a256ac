// The upgrade and rollback operations as the runner executes them. An upgrade checks that the plan still holds,
// measures the instance's traffic before (the gate's baseline), takes a backup first when a hop cannot be rolled
// back, applies each hop (recording the version after each, so a later failure leaves the truth in the database),
// soaks, and judges the health gate. A rollback returns to the version before the last upgrade, restoring the
// pre-upgrade backup first when the release it leaves is marked "no rollback".
import {
  checkRollback,
  compareVersions,
  DEFAULT_APP_VERSION,
  evaluateGate,
  upgradePath,
  ZGateConfig,
  ZVersion,
  type GateConfig,
  type ReleaseInfo,
  type TrafficSample,
} from "@cp/core";
import { db, pgPool, utcTimestamps, type Instance, type Prisma } from "@cp/db";
import {
  EngineError,
  probeHealth,
  readTrafficCounters,
  type Engine,
  type EngineHooks,
  type EngineOutputs,
  type InstanceSpec,
  type TrafficCounters,
} from "@cp/engine";
import { z } from "zod";
import { completeBackup, restoreStep, takeBackupStep } from "../backups/backup-operations";
import { loadInstanceSpec } from "../operations/instance-spec";
import { loadReleaseInfos } from "../releases/releases";

/** What an upgrade operation carries (written by the campaign driver or a single-instance upgrade). */
export const ZUpgradeParams = z.object({
  toVersion: ZVersion,
  /** The version the plan started from: the instance must still run it (or a hop of this plan, on a retry). */
  fromVersion: ZVersion,
  hops: z.array(ZVersion).min(1),
  campaignId: z.string().optional(),
  targetId: z.string().optional(),
  gate: ZGateConfig,
});
export type UpgradeParams = z.infer<typeof ZUpgradeParams>;

export const ZRollbackParams = z.object({ toVersion: ZVersion });

export interface GateResult {
  passed: boolean;
  reason: string;
  before: TrafficSample;
  after: TrafficSample;
}

interface OpRef {
  id: string;
  instanceId: string;
  kind: string;
  requestedById: string | null;
  params: Prisma.JsonValue;
}

function parseParams<S extends z.ZodType>(schema: S, params: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success)
    throw new EngineError(
      "FAILED",
      `The ${what} operation's parameters are not valid (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}); queue it again.`,
      false,
    );
  return parsed.data;
}

/** Waits, but stops at once when the operation is cancelled (the signal's reason is the runner's EngineError). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The serving process's cumulative request and error counters. Only the local cloud's tenant service exposes them
 * to us today; elsewhere the gate cannot judge, and it must never pass on traffic it cannot see.
 */
async function readCounters(
  instance: { cloud: string; url: string | null; name: string },
  signal: AbortSignal,
): Promise<TrafficCounters> {
  if (instance.cloud !== "local")
    throw new EngineError(
      "FAILED",
      `Health gate: request counters are not available for instances on ${instance.cloud} yet, so the gate cannot judge ${instance.name}; upgrade with the gate off (gate.enabled = false) and watch the instance's health.`,
      false,
    );
  if (!instance.url)
    throw new EngineError(
      "FAILED",
      `Health gate: ${instance.name} has no URL to read its traffic from.`,
      false,
    );
  try {
    return await readTrafficCounters({ url: instance.url }, signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason as Error;
    throw new EngineError(
      "FAILED",
      `Health gate: could not read ${instance.name}'s request counters (${err instanceof Error ? err.message : String(err)}).`,
      false,
    );
  }
}

/** Requests and errors between two readings; readings of two processes mean the second counted from zero. */
function delta(a: TrafficCounters, b: TrafficCounters): TrafficSample {
  const fresh =
    (a.processStartTime !== null &&
      b.processStartTime !== null &&
      a.processStartTime !== b.processStartTime) ||
    b.requests < a.requests ||
    b.errors < a.errors;
  return fresh
    ? { requests: b.requests, errors: b.errors }
    : { requests: b.requests - a.requests, errors: b.errors - a.errors };
}

const fmt = (s: TrafficSample) => `${s.requests} requests, ${s.errors} errors`;

export interface UpgradeOutcome {
  outputs?: EngineOutputs;
  params: UpgradeParams;
  gate: GateResult | null;
}

/** `loaded`: the instance's row as the runner just read it (read here when not given). */
export async function upgradeStep(
  op: OpRef,
  engine: Engine,
  hooks: EngineHooks,
  loaded?: Instance,
): Promise<UpgradeOutcome> {
  const params = parseParams(ZUpgradeParams, op.params, "upgrade");
  const { toVersion, fromVersion, hops, gate } = params;

  // 1. Preflight: the plan holds (the instance still runs the version it was planned from, or a hop of this plan
  // when an earlier attempt got part of the way).
  hooks.progress("preflight", 2);
  const instance = loaded ?? (await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } }));
  const current = instance.version ?? DEFAULT_APP_VERSION;
  const done = current === fromVersion ? 0 : hops.indexOf(current) + 1;
  if (done === 0 && current !== fromVersion)
    throw new EngineError(
      "FAILED",
      `${instance.name} runs ${current}, not ${fromVersion} as planned; nothing was changed. Plan the upgrade to ${toVersion} again.`,
      false,
    );
  if (!instance.url)
    throw new EngineError("FAILED", `${instance.name} has no URL: it has not finished provisioning.`, false);
  const releases = await loadReleaseCatalog();
  const path = upgradePath(releases, current, toVersion);
  if (done < hops.length) {
    if (!path.ok)
      throw new EngineError(
        "FAILED",
        `The upgrade of ${instance.name} is no longer valid: ${path.reason}.`,
        false,
      );
    if (path.hops.join(",") !== hops.slice(done).join(","))
      throw new EngineError(
        "FAILED",
        `The release catalog changed since this upgrade was planned (the path from ${current} is now ${path.hops.join(" → ")}, not ${hops.slice(done).join(" → ")}); plan it again.`,
        false,
      );
  }
  hooks.log(
    `Upgrading ${instance.name} from ${fromVersion} to ${toVersion} (${hops.length > 1 ? `hops: ${hops.join(" → ")}` : "one hop"})` +
      (done > 0 ? `; ${current} was reached by an earlier attempt.` : "."),
  );

  // 2. Baseline: the instance's traffic over one soak period before anything changes.
  let before: TrafficSample | null = null;
  if (gate.enabled && done < hops.length) {
    hooks.progress("baseline", 5);
    const a = await readCounters(instance, hooks.signal);
    await pause(gate.soakSeconds * 1000, hooks.signal);
    const b = await readCounters(instance, hooks.signal);
    before = delta(a, b);
    hooks.log(`Baseline over ${gate.soakSeconds} s before the upgrade: ${fmt(before)}.`);
  }

  // 3. A backup first when any hop's release cannot be rolled back by running the previous version.
  const byVersion = new Map(releases.map((r) => [r.version, r]));
  const oneWay = hops.slice(done).filter((h) => byVersion.get(h)?.noRollback);
  if (oneWay.length) {
    hooks.progress("backup", 10);
    hooks.log(`${oneWay.join(", ")} cannot be rolled back by version alone: backing up first.`);
    const backupId = await preUpgradeBackupId(op, instance);
    const artifact = await takeBackupStep(op, engine, hooks, backupId);
    const stored = await db().backup.findUniqueOrThrow({ where: { id: backupId }, select: { status: true } });
    if (stored.status !== "completed") await completeBackup(backupId, artifact);
  }

  // 4. Each hop; the database records the version after each, so a failed later hop leaves the truth behind.
  // The spec (with its decrypted secrets) is built once for this operation; each hop changes only the version.
  let outputs: EngineOutputs | undefined;
  let base: InstanceSpec | null = null;
  for (const [n, hop] of hops.entries()) {
    if (n < done) continue;
    hooks.progress(`apply ${hop}`, 15 + Math.round((60 * n) / hops.length));
    base ??= await loadInstanceSpec(op.instanceId, instance);
    const spec = { ...base, version: hop };
    outputs = await engine.apply(spec, hooks);
    await pgPool().query(
      `UPDATE "Instance"
          SET version = $1, "previousVersion" = $2, url = $3, outputs = $4::jsonb,
              "updatedAt" = ($5::timestamptz AT TIME ZONE 'UTC')
        WHERE id = $6`,
      [hop, fromVersion, outputs.url, JSON.stringify(outputs), new Date().toISOString(), op.instanceId],
    );
    hooks.log(`${instance.name} runs ${hop}.`);
  }

  // 5. Soak and gate: health, and the new process's traffic over the soak against the baseline.
  if (!gate.enabled) return { outputs, params, gate: null };
  const url = outputs?.url ?? instance.url;
  const target = { ...instance, url };
  hooks.progress("soak", 80);
  const s = await readCounters(target, hooks.signal);
  await pause(gate.soakSeconds * 1000, hooks.signal);
  const e = await readCounters(target, hooks.signal);
  hooks.progress("gate", 95);
  const probe = await probeHealth(url, { timeoutMs: 5_000, signal: hooks.signal });
  const after = delta(s, e);
  const baseline = before ?? { requests: 0, errors: 0 };
  const verdict = evaluateGate({
    healthy: probe.health !== "down",
    healthDetail: probe.detail,
    before: baseline,
    after,
    minRequests: gate.minRequests,
  });
  const result: GateResult = { ...verdict, before: baseline, after };
  hooks.log(`Health gate ${verdict.passed ? "passed" : "failed"}: ${verdict.reason}.`);
  if (params.targetId)
    await db().campaignTarget.update({
      where: { id: params.targetId },
      data: { gateResult: result as unknown as Prisma.InputJsonValue },
    });
  if (!verdict.passed)
    throw new EngineError(
      "FAILED",
      `The health gate failed after the upgrade to ${toVersion}: ${verdict.reason}.`,
      false,
    );
  return { outputs, params, gate: result };
}

/**
 * The release catalog as loadReleaseInfos reads it (the same rows, the same order), in SQL through the pg pool: every
 * upgrade reads it once, and Prisma's per-call cost is most of the time of that read.
 */
async function loadReleaseCatalog(): Promise<ReleaseInfo[]> {
  const { rows } = await pgPool().query<ReleaseInfo>({
    text: `SELECT version, "releasedAt", channel::text AS channel, "requiresVersion", "endOfSupportAt", "noRollback",
                  "withdrawnAt"
             FROM "Release"`,
    types: utcTimestamps,
  });
  return rows.sort((a, b) => compareVersions(b.version, a.version));
}

/** The pre-upgrade backup of this operation: one per operation, so a retry continues the same backup. */
async function preUpgradeBackupId(
  op: OpRef,
  instance: { id: string; orgId: string; name: string },
): Promise<string> {
  const existing = await db().backup.findFirst({
    where: { instanceId: instance.id, kind: "pre_upgrade", operationId: op.id, status: { not: "failed" } },
    select: { id: true },
  });
  if (existing) return existing.id;
  const b = await db().backup.create({
    data: {
      instanceId: instance.id,
      orgId: instance.orgId,
      kind: "pre_upgrade",
      operationId: op.id,
      requestedById: op.requestedById,
    },
  });
  return b.id;
}

export interface RollbackOutcome {
  outputs: EngineOutputs;
  toVersion: string;
}

export async function rollbackStep(op: OpRef, engine: Engine, hooks: EngineHooks): Promise<RollbackOutcome> {
  const { toVersion } = parseParams(ZRollbackParams, op.params, "rollback");
  hooks.progress("preflight", 2);
  const instance = await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } });
  const current = instance.version ?? DEFAULT_APP_VERSION;
  const allowed = checkRollback(current, instance.previousVersion, toVersion);
  if (!allowed.ok)
    throw new EngineError("FAILED", `${instance.name} cannot be rolled back: ${allowed.reason}.`, false);
  const releases = await loadReleaseInfos();
  // Every release the last upgrade passed through counts, not only the one it ended on: a no-rollback hop in the
  // middle changed the schema just the same.
  const previous = instance.previousVersion!;
  const oneWay = releases
    .filter(
      (r) =>
        r.noRollback && compareVersions(r.version, previous) > 0 && compareVersions(r.version, current) <= 0,
    )
    .map((r) => r.version);
  if (oneWay.length) {
    const what = `${oneWay.join(", ")} ${oneWay.length === 1 ? "is" : "are"} marked "no rollback"`;
    const backup = await preUpgradeBackupOf(instance.id, previous);
    if (!backup)
      throw new EngineError(
        "FAILED",
        `${what} and no completed backup of ${instance.name} from before its upgrade that passed verification exists; restore a backup from the backups page instead.`,
        false,
      );
    hooks.log(`${what}: restoring the backup taken before the upgrade (${backup.id}).`);
    await restoreStep(op, engine, hooks, { backupId: backup.id });
  }
  hooks.progress(`apply ${toVersion}`, 60);
  const spec = { ...(await loadInstanceSpec(op.instanceId)), version: toVersion };
  const outputs = await engine.apply(spec, hooks);
  hooks.log(`${instance.name} runs ${toVersion} again.`);
  return { outputs, toVersion };
}

/** The completed backup the last upgrade from `fromVersion` took before it changed anything. */
async function preUpgradeBackupOf(instanceId: string, fromVersion: string) {
  const upgrades = await db().operation.findMany({
    where: { instanceId, kind: "upgrade", status: { in: ["succeeded", "failed"] } },
    orderBy: [{ createdAt: "desc" }],
    select: { id: true, params: true },
    take: 20,
  });
  const ids = upgrades
    .filter((u) => (u.params as { fromVersion?: string } | null)?.fromVersion === fromVersion)
    .map((u) => u.id);
  return db().backup.findFirst({
    // A backup whose verification found it damaged is not restored (as on the backups page).
    where: {
      instanceId,
      kind: "pre_upgrade",
      status: "completed",
      verification: { not: "failed" },
      operationId: { in: ids },
    },
    orderBy: [{ completedAt: "desc" }],
    select: { id: true },
  });
}

/** The default gate for an upgrade that names none. */
export const defaultGate = (): GateConfig => ZGateConfig.parse({});
