// Fleet upgrade campaigns as SREs see them: preview (which instances, in which waves, planned when), create, start,
// pause, resume, abort, the list and one campaign's live progress; and the single-instance upgrade and rollback.
// Every change is one transaction with its audit event; the upgrades themselves are Operations on each instance's
// queue, started by the driver (driver.ts).
import {
  AppError,
  badRequest,
  checkRollback,
  conflict,
  decideStaffAccess,
  DEFAULT_APP_VERSION,
  forbidden,
  matchesSelector,
  notFound,
  planSchedule,
  planWaves,
  upgradePath,
  ZCampaignSelector,
  ZCampaignStrategy,
  ZGateConfig,
  ZVersion,
  type Actor,
  type CampaignSelector,
  type CampaignStrategy,
  type GateConfig,
  type PlannedWave,
  type ReleaseInfo,
  type StaffNeed,
} from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { assertNotBeingDeprovisioned } from "../instances/instance-actions";
import {
  exclusionsOf,
  loadFleetBlackoutDates,
  MAINTENANCE_SELECT,
  windowConfigOf,
} from "../maintenance/maintenance";
import { createOperationTx, wakeOperation } from "../operations/operations";
import { loadReleaseInfos } from "../releases/releases";
import { wakeCampaign } from "./campaign-targets";
import type { UpgradeParams } from "./upgrade-operation";

/** The same rule as the API's staff procedures, so a use case called from elsewhere cannot skip it. */
function assertStaff(actor: Actor, need: StaffNeed): void {
  if (!decideStaffAccess(actor, need)) {
    const who = { staff: "provider staff", sre: "SREs and staff admins", staffAdmin: "staff admins" }[need];
    throw forbidden(`Only ${who} can do this.`);
  }
}

export const ZCampaignPlanInput = z.object({
  targetVersion: ZVersion,
  selector: ZCampaignSelector,
  strategy: ZCampaignStrategy,
  gate: ZGateConfig,
  urgent: z.boolean().default(false),
});
export type CampaignPlanInput = z.input<typeof ZCampaignPlanInput>;

export const ZCreateCampaignInput = ZCampaignPlanInput.extend({
  name: z.string().trim().min(3, 'name: at least 3 characters, e.g. "0.66.0 rollout"').max(120),
  urgentReason: z.string().trim().max(2000, "urgentReason: at most 2000 characters").optional(),
});
export type CreateCampaignInput = z.input<typeof ZCreateCampaignInput>;

/** What one upgrade takes, for the projected schedule: two soak periods (baseline and gate) and the apply. */
export const perInstanceMinutes = (gate: GateConfig) => (gate.enabled ? (gate.soakSeconds * 2) / 60 : 0) + 5;

const ACTIVE_OPS = ["queued", "running"] as const;
/** Instances a campaign may pick: serving, or busy with work they will come back from (their upgrade waits). */
const SELECTABLE_STATUSES = ["running", "updating", "upgrading", "restoring"] as const;

export interface CampaignCandidate {
  instanceId: string;
  name: string;
  orgId: string;
  orgName: string;
  cloud: string;
  region: string;
  fromVersion: string;
  hops: string[];
}

export interface CampaignPreview {
  /** Instances that would be upgraded. */
  instances: number;
  waves: PlannedWave[];
  skipped: { instanceId: string; name: string; reason: string }[];
  /** The instances of `waves`, in wave order, with what the console shows about each. */
  targets: CampaignCandidate[];
}

interface Plan {
  preview: CampaignPreview;
  waves: CampaignCandidate[][];
  releases: ReleaseInfo[];
}

async function plan(input: z.output<typeof ZCampaignPlanInput>, now: Date): Promise<Plan> {
  const releases = await loadReleaseInfos();
  const target = releases.find((r) => r.version === input.targetVersion);
  if (!target)
    throw badRequest(
      `targetVersion: ${input.targetVersion} is not in the release catalog; add it first or pick a listed release.`,
      "targetVersion",
    );
  if (target.withdrawnAt)
    throw badRequest(
      `targetVersion: ${input.targetVersion} was withdrawn; pick another release.`,
      "targetVersion",
    );
  const s: CampaignSelector = input.selector;
  const rows = await db().instance.findMany({
    where: {
      deletedAt: null,
      status: { in: [...SELECTABLE_STATUSES] },
      org: { plan: "dedicated" },
      ...(s.clouds ? { cloud: { in: s.clouds } } : {}),
      ...(s.regions ? { region: { in: s.regions } } : {}),
      ...(s.orgIds ? { orgId: { in: s.orgIds } } : {}),
      ...(s.instanceIds ? { id: { in: s.instanceIds } } : {}),
    },
    select: {
      id: true,
      name: true,
      slug: true,
      orgId: true,
      cloud: true,
      region: true,
      version: true,
      org: { select: { name: true } },
      ...MAINTENANCE_SELECT,
    },
    orderBy: [{ slug: "asc" }],
  });
  const channelOf = new Map(releases.map((r) => [r.version, r.channel]));
  const fleetBlackouts = await loadFleetBlackoutDates();
  const eligible: (CampaignCandidate & { row: (typeof rows)[number] })[] = [];
  const skipped: CampaignPreview["skipped"] = [];
  for (const row of rows) {
    const version = row.version ?? DEFAULT_APP_VERSION;
    const selectable = {
      id: row.id,
      cloud: row.cloud,
      region: row.region,
      orgId: row.orgId,
      version,
      channel: channelOf.get(version) ?? null,
    };
    if (!matchesSelector(selectable, s)) continue;
    const path = upgradePath(releases, version, input.targetVersion);
    if (!path.ok) {
      skipped.push({ instanceId: row.id, name: row.name, reason: path.reason });
      continue;
    }
    eligible.push({
      instanceId: row.id,
      name: row.name,
      orgId: row.orgId,
      orgName: row.org.name,
      cloud: row.cloud,
      region: row.region,
      fromVersion: version,
      hops: path.hops,
      row,
    });
  }
  const waves = planWaves(eligible, input.strategy);
  const schedule = planSchedule(
    waves.map((w) =>
      w.map((c) => ({
        instanceId: c.instanceId,
        window: windowConfigOf(c.row),
        exclusions: exclusionsOf(c.row, fleetBlackouts),
      })),
    ),
    now,
    { urgent: input.urgent, perInstanceMinutes: perInstanceMinutes(input.gate) },
  );
  const strip = ({ row: _row, ...c }: (typeof eligible)[number]): CampaignCandidate => c;
  return {
    releases,
    waves: waves.map((w) => w.map(strip)),
    preview: { instances: eligible.length, waves: schedule, skipped, targets: waves.flat().map(strip) },
  };
}

/** The instances a campaign would upgrade, in waves, with each one's planned time (its window, or now if urgent). */
export async function previewCampaign(actor: Actor, raw: CampaignPlanInput): Promise<CampaignPreview> {
  assertStaff(actor, "sre");
  const input = parseInput(ZCampaignPlanInput, raw);
  return (await plan(input, new Date())).preview;
}

export async function createCampaign(ctx: ActingContext, raw: CreateCampaignInput) {
  assertStaff(ctx.actor, "sre");
  const input = parseInput(ZCreateCampaignInput, raw);
  if (input.urgent && (input.urgentReason ?? "").length < 10)
    throw badRequest(
      "urgentReason: an urgent campaign ignores every maintenance window; say why in at least 10 characters (it is audited).",
      "urgentReason",
    );
  const { waves, preview } = await plan(input, new Date());
  if (preview.instances === 0)
    throw badRequest(
      `selector: no running instance would be upgraded to ${input.targetVersion}` +
        (preview.skipped.length
          ? ` (${preview.skipped.length} matched but cannot be: ${preview.skipped[0]!.reason})`
          : "") +
        "; widen the selector.",
      "selector",
    );
  const created = await db().$transaction(async (tx) => {
    // Decided against a concurrent withdrawal of the target release by whichever commits first.
    const release = await tx.$queryRaw<{ withdrawnAt: Date | null }[]>`
      SELECT "withdrawnAt" FROM "Release" WHERE version = ${input.targetVersion} FOR SHARE`;
    if (!release[0] || release[0].withdrawnAt)
      throw conflict(`targetVersion: ${input.targetVersion} was withdrawn meanwhile; pick another release.`);
    const campaign = await tx.upgradeCampaign.create({
      data: {
        name: input.name,
        targetVersion: input.targetVersion,
        selector: input.selector as Prisma.InputJsonValue,
        strategy: input.strategy as unknown as Prisma.InputJsonValue,
        gate: input.gate as unknown as Prisma.InputJsonValue,
        urgent: input.urgent,
        urgentReason: input.urgent ? input.urgentReason! : null,
        createdById: ctx.actor.userId,
      },
    });
    await tx.campaignTarget.createMany({
      data: waves.flatMap((w, wave) =>
        w.map((c, position) => ({
          campaignId: campaign.id,
          instanceId: c.instanceId,
          wave,
          position,
          fromVersion: c.fromVersion,
        })),
      ),
    });
    await recordAudit(tx, ctx, {
      action: "campaign.create",
      targetType: "campaign",
      targetId: campaign.id,
      after: {
        name: input.name,
        targetVersion: input.targetVersion,
        selector: input.selector,
        strategy: input.strategy,
        gate: input.gate,
        urgent: input.urgent,
        urgentReason: input.urgent ? input.urgentReason : undefined,
        instances: preview.instances,
        waves: waves.length,
      },
    });
    return campaign;
  });
  return { id: created.id, preview };
}

async function lockCampaign(tx: Prisma.TransactionClient, id: string) {
  await tx.$queryRaw`SELECT id FROM "UpgradeCampaign" WHERE id = ${id} FOR UPDATE`;
  const c = await tx.upgradeCampaign.findUnique({ where: { id } });
  if (!c) throw notFound("Campaign");
  return c;
}

function refuse(c: { name: string; status: string }, what: string): never {
  throw new AppError("PRECONDITION_FAILED", `The campaign "${c.name}" is ${c.status}; it cannot be ${what}.`);
}

/** Starts a draft: wave 0 begins now; instances already on the target are skipped. */
export async function startCampaign(ctx: ActingContext, id: string) {
  assertStaff(ctx.actor, "sre");
  await db().$transaction(async (tx) => {
    const c = await lockCampaign(tx, id);
    if (c.status !== "draft") refuse(c, "started");
    const release = await tx.release.findUnique({ where: { version: c.targetVersion } });
    if (!release || release.withdrawnAt)
      throw new AppError(
        "PRECONDITION_FAILED",
        `${c.targetVersion} was withdrawn after the campaign was created; abort it and create another.`,
      );
    const now = new Date();
    await tx.upgradeCampaign.update({
      where: { id },
      data: { status: "running", currentWave: 0, waveStartedAt: now, startedAt: now, pausedReason: null },
    });
    await tx.$executeRaw`
      UPDATE "CampaignTarget" t SET status = 'skipped', error = ${`already on ${c.targetVersion}`},
             "finishedAt" = ${now}, "updatedAt" = ${now}
        FROM "Instance" i
       WHERE t."campaignId" = ${id} AND t.status = 'pending' AND i.id = t."instanceId"
         AND i.version = ${c.targetVersion}`;
    await recordAudit(tx, ctx, {
      action: "campaign.start",
      targetType: "campaign",
      targetId: id,
      before: { status: c.status },
      after: { status: "running" },
    });
  });
  await wakeCampaign(id);
  return { ok: true as const };
}

export async function pauseCampaign(ctx: ActingContext, id: string) {
  assertStaff(ctx.actor, "sre");
  await db().$transaction(async (tx) => {
    const c = await lockCampaign(tx, id);
    if (c.status !== "running") refuse(c, "paused");
    const pausedReason = `Paused by ${ctx.actor.email}; upgrades already running finish.`;
    await tx.upgradeCampaign.update({ where: { id }, data: { status: "paused", pausedReason } });
    await recordAudit(tx, ctx, {
      action: "campaign.pause",
      targetType: "campaign",
      targetId: id,
      before: { status: c.status },
      after: { status: "paused", pausedReason },
    });
  });
  return { ok: true as const };
}

/**
 * Resumes a paused campaign. Failures so far no longer count against the threshold: the driver counts those that
 * finish after the latest resume (this audit event), so only a new failure pauses it again.
 */
export async function resumeCampaign(ctx: ActingContext, id: string) {
  assertStaff(ctx.actor, "sre");
  await db().$transaction(async (tx) => {
    const c = await lockCampaign(tx, id);
    if (c.status !== "paused") refuse(c, "resumed");
    await tx.upgradeCampaign.update({ where: { id }, data: { status: "running", pausedReason: null } });
    await recordAudit(tx, ctx, {
      action: "campaign.resume",
      targetType: "campaign",
      targetId: id,
      before: { status: c.status, pausedReason: c.pausedReason },
      after: { status: "running" },
    });
  });
  await wakeCampaign(id);
  return { ok: true as const };
}

/**
 * Aborts: upgrades not yet started are cancelled (their targets skipped); those running finish and are recorded.
 */
export async function abortCampaign(ctx: ActingContext, id: string) {
  assertStaff(ctx.actor, "sre");
  return db().$transaction(async (tx) => {
    const c = await lockCampaign(tx, id);
    if (!["draft", "running", "paused"].includes(c.status)) refuse(c, "aborted");
    const now = new Date();
    const reason = `The campaign was aborted by ${ctx.actor.email}.`;
    // Upgrades still waiting in their instance's queue never start; running ones finish and are recorded.
    const queued = await tx.operation.findMany({
      where: { kind: "upgrade", status: "queued", id: { in: await upgradingOps(tx, id) } },
      select: { id: true },
    });
    const queuedIds = queued.map((o) => o.id);
    const cancelled = await tx.operation.updateMany({
      where: { id: { in: queuedIds }, status: "queued" },
      data: { status: "cancelled", finishedAt: now, error: reason },
    });
    const skipped = await tx.campaignTarget.updateMany({
      where: {
        campaignId: id,
        OR: [
          { status: { in: ["pending", "scheduled"] } },
          { status: "upgrading", operationId: { in: queuedIds } },
        ],
      },
      data: { status: "skipped", error: reason, finishedAt: now },
    });
    await tx.upgradeCampaign.update({
      where: { id },
      data: { status: "aborted", finishedAt: now, pausedReason: null },
    });
    await recordAudit(tx, ctx, {
      action: "campaign.abort",
      targetType: "campaign",
      targetId: id,
      before: { status: c.status },
      after: { status: "aborted", skipped: skipped.count, cancelledOperations: cancelled.count },
    });
    return { ok: true as const, skipped: skipped.count, cancelledOperations: cancelled.count };
  });
}

async function upgradingOps(tx: Prisma.TransactionClient, campaignId: string): Promise<string[]> {
  const rows = await tx.campaignTarget.findMany({
    where: { campaignId, status: "upgrading", operationId: { not: null } },
    select: { operationId: true },
  });
  return rows.map((r) => r.operationId!);
}

export interface CampaignTargetView {
  id: string;
  instanceId: string;
  instanceName: string;
  orgId: string;
  orgName: string;
  instanceStatus: string;
  instanceVersion: string | null;
  wave: number;
  position: number;
  status: string;
  fromVersion: string | null;
  plannedAt: Date | null;
  operationId: string | null;
  gateResult: unknown;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const TARGET_STATUSES = [
  "pending",
  "scheduled",
  "upgrading",
  "succeeded",
  "failed",
  "skipped",
  "rolled_back",
] as const;
type TargetCounts = Record<(typeof TARGET_STATUSES)[number], number>;
const zeroCounts = (): TargetCounts => Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as TargetCounts;

function campaignView(c: Prisma.UpgradeCampaignGetPayload<object>, counts: TargetCounts) {
  return {
    id: c.id,
    name: c.name,
    targetVersion: c.targetVersion,
    status: c.status,
    urgent: c.urgent,
    urgentReason: c.urgentReason,
    selector: c.selector as CampaignSelector,
    strategy: c.strategy as unknown as CampaignStrategy,
    gate: c.gate as unknown as GateConfig,
    currentWave: c.currentWave,
    waveStartedAt: c.waveStartedAt,
    pausedReason: c.pausedReason,
    createdById: c.createdById,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
  };
}

export async function listCampaigns(actor: Actor, opts: { limit?: number } = {}) {
  assertStaff(actor, "staff");
  const rows = await db().upgradeCampaign.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(opts.limit ?? 50, 1), 200),
  });
  const grouped = await db().campaignTarget.groupBy({
    by: ["campaignId", "status"],
    where: { campaignId: { in: rows.map((r) => r.id) } },
    _count: { _all: true },
  });
  const counts = new Map(rows.map((r) => [r.id, zeroCounts()]));
  for (const g of grouped) counts.get(g.campaignId)![g.status] = g._count._all;
  return rows.map((r) => campaignView(r, counts.get(r.id)!));
}

/** One campaign with every target (instance, status, gate) and a summary per wave, for the live page. */
export async function getCampaign(actor: Actor, id: string) {
  assertStaff(actor, "staff");
  const c = await db().upgradeCampaign.findUnique({ where: { id } });
  if (!c) throw notFound("Campaign");
  const targets = await db().campaignTarget.findMany({
    where: { campaignId: id },
    orderBy: [{ wave: "asc" }, { position: "asc" }],
    include: {
      instance: {
        select: { name: true, orgId: true, status: true, version: true, org: { select: { name: true } } },
      },
    },
  });
  const counts = zeroCounts();
  const waves = new Map<
    number,
    { wave: number; counts: TargetCounts; plannedFrom: Date | null; plannedTo: Date | null }
  >();
  for (const t of targets) {
    counts[t.status] += 1;
    const w = waves.get(t.wave) ?? { wave: t.wave, counts: zeroCounts(), plannedFrom: null, plannedTo: null };
    w.counts[t.status] += 1;
    if (t.plannedAt) {
      if (!w.plannedFrom || t.plannedAt < w.plannedFrom) w.plannedFrom = t.plannedAt;
      if (!w.plannedTo || t.plannedAt > w.plannedTo) w.plannedTo = t.plannedAt;
    }
    waves.set(t.wave, w);
  }
  return {
    ...campaignView(c, counts),
    waves: [...waves.values()].sort((a, b) => a.wave - b.wave),
    targets: targets.map((t): CampaignTargetView => ({
      id: t.id,
      instanceId: t.instanceId,
      instanceName: t.instance.name,
      orgId: t.instance.orgId,
      orgName: t.instance.org.name,
      instanceStatus: t.instance.status,
      instanceVersion: t.instance.version,
      wave: t.wave,
      position: t.position,
      status: t.status,
      fromVersion: t.fromVersion,
      plannedAt: t.plannedAt,
      operationId: t.operationId,
      gateResult: t.gateResult,
      error: t.error,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    })),
  };
}

async function findInstance(orgId: string, instanceId: string) {
  const i = await db().instance.findFirst({ where: { id: instanceId, orgId } });
  if (!i) throw notFound("Instance");
  return i;
}

function assertServing(i: { name: string; status: string; url: string | null; deletedAt: Date | null }) {
  if (i.deletedAt || i.status === "deleted" || i.status === "deleting")
    throw new AppError("PRECONDITION_FAILED", `${i.name} is deprovisioned; it cannot change versions.`);
  if (!i.url)
    throw new AppError(
      "PRECONDITION_FAILED",
      `${i.name} has not finished provisioning; it has no version to change.`,
    );
}

async function assertNoVersionChangeQueued(tx: Prisma.TransactionClient, i: { id: string; name: string }) {
  const busy = await tx.operation.findFirst({
    where: { instanceId: i.id, kind: { in: ["upgrade", "rollback"] }, status: { in: [...ACTIVE_OPS] } },
    select: { kind: true },
  });
  if (busy)
    throw conflict(
      `${i.name} already has ${busy.kind === "upgrade" ? "an upgrade" : "a rollback"} queued or running; wait for it.`,
    );
}

/** Back to the version before the last upgrade (restoring the pre-upgrade backup for a "no rollback" release). */
export async function rollbackInstance(ctx: ActingContext, orgId: string, instanceId: string) {
  assertStaff(ctx.actor, "sre");
  const i = await findInstance(orgId, instanceId);
  assertServing(i);
  const current = i.version ?? DEFAULT_APP_VERSION;
  const to = i.previousVersion ?? "";
  const allowed = checkRollback(current, i.previousVersion, to);
  if (!allowed.ok)
    throw new AppError("PRECONDITION_FAILED", `${i.name} cannot be rolled back: ${allowed.reason}.`);
  const created = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, i);
    await assertNoVersionChangeQueued(tx, i);
    const op = await createOperationTx(tx, {
      instanceId: i.id,
      kind: "rollback",
      params: { toVersion: to },
      requestedById: ctx.actor.userId,
    });
    await recordAudit(tx, ctx, {
      action: "instance.rollback",
      targetType: "instance",
      targetId: i.id,
      orgId: i.orgId,
      before: { version: current },
      after: { version: to },
    });
    return op;
  });
  await wakeOperation(created.id);
  return { operationId: created.id, toVersion: to };
}

/** One instance to a release, outside any campaign (the same operation: baseline, hops, soak and gate). */
export async function upgradeInstance(
  ctx: ActingContext,
  orgId: string,
  instanceId: string,
  toVersion: string,
  options: { gate?: Partial<GateConfig> } = {},
) {
  assertStaff(ctx.actor, "sre");
  const version = parseInput(ZVersion, toVersion);
  const gate = parseInput(ZGateConfig, options.gate ?? {});
  const i = await findInstance(orgId, instanceId);
  assertServing(i);
  const current = i.version ?? DEFAULT_APP_VERSION;
  const path = upgradePath(await loadReleaseInfos(), current, version);
  if (!path.ok) throw new AppError("PRECONDITION_FAILED", `toVersion: ${path.reason}.`, "toVersion");
  const params: UpgradeParams = { toVersion: version, fromVersion: current, hops: path.hops, gate };
  const created = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, i);
    await assertNoVersionChangeQueued(tx, i);
    const op = await createOperationTx(tx, {
      instanceId: i.id,
      kind: "upgrade",
      params: params as unknown as Record<string, unknown>,
      requestedById: ctx.actor.userId,
    });
    await recordAudit(tx, ctx, {
      action: "instance.upgrade",
      targetType: "instance",
      targetId: i.id,
      orgId: i.orgId,
      before: { version: current },
      after: { version, hops: path.hops, gate },
    });
    return op;
  });
  await wakeOperation(created.id);
  return { operationId: created.id, hops: path.hops };
}
