// The campaign driver: for each running campaign, under its row lock (replicas never double-start an upgrade),
// settle targets whose operation ended without telling them, pause on too many failures, move to the next wave once
// every target of this one is settled, plan each pending target at its next maintenance window after the wave
// started (now, when urgent; a missed window moves to the next), and start the due ones while fewer than
// maxConcurrent upgrade. Upgrades are Operations on the instance's own queue: one busy with other work waits its turn.
import {
  DEFAULT_APP_VERSION,
  nextWindowOpening,
  upgradePath,
  type CampaignStrategy,
  type GateConfig,
} from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { redis } from "@cp/jobs";
import {
  exclusionsOf,
  loadFleetBlackoutDates,
  MAINTENANCE_SELECT,
  windowConfigOf,
} from "../maintenance/maintenance";
import { createOperationsTx, wakeNewOperations } from "../operations/operations";
import { loadReleaseInfos } from "../releases/releases";
import { wakeKey } from "./campaign-targets";
import type { UpgradeParams } from "./upgrade-operation";

type Tx = Prisma.TransactionClient;

async function wakesOf(campaignId: string): Promise<string | null> {
  try {
    return (await redis("producer").get(wakeKey(campaignId))) ?? "0";
  } catch {
    return null;
  }
}

export interface AdvanceReport {
  /** Upgrade operations queued. */
  started: number;
  /** Campaigns that completed or paused in this pass. */
  finished: number;
  /** Campaigns looked at. */
  campaigns: number;
}

const SETTLED = ["succeeded", "failed", "skipped", "rolled_back"] as const;

/**
 * Advances one campaign (a wake-up after an upgrade ended, or a start/resume) or every running one (the periodic
 * tick). A named campaign waits for its lock, so a wake-up is never lost to a tick that read the state before the
 * upgrade ended; the periodic tick skips campaigns another worker is advancing.
 */
export async function advanceCampaigns(
  campaignId?: string,
  options: { now?: Date } = {},
): Promise<AdvanceReport> {
  const ids = campaignId
    ? [campaignId]
    : (
        await db().upgradeCampaign.findMany({
          where: { status: "running" },
          select: { id: true },
          orderBy: { createdAt: "asc" },
        })
      ).map((c) => c.id);
  const report: AdvanceReport = { started: 0, finished: 0, campaigns: 0 };
  if (!ids.length) return report;
  const [releases, fleetBlackouts] = await Promise.all([loadReleaseInfos(), loadFleetBlackoutDates()]);
  for (const id of ids) {
    // A named campaign's tick runs again while wake-ups arrived during it (their jobs coalesced into this one).
    for (let pass = 0; pass < 1000; pass += 1) {
      const seen = campaignId ? await wakesOf(id) : null;
      const r = await db().$transaction(
        (tx) => advanceOne(tx, id, { wait: Boolean(campaignId), now: options.now, releases, fleetBlackouts }),
        { timeout: 60_000, maxWait: 30_000 },
      );
      if (r) {
        if (pass === 0) report.campaigns += 1;
        report.started += r.started.length;
        if (r.finished) report.finished += 1;
        await wakeNewOperations(r.started);
      }
      if (!r || r.finished || seen === null || (await wakesOf(id)) === seen) break;
    }
  }
  return report;
}

interface Ctx {
  wait: boolean;
  now?: Date;
  releases: Awaited<ReturnType<typeof loadReleaseInfos>>;
  fleetBlackouts: string[];
}

async function advanceOne(
  tx: Tx,
  id: string,
  ctx: Ctx,
): Promise<{ started: string[]; finished: boolean } | null> {
  const locked = ctx.wait
    ? await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM "UpgradeCampaign" WHERE id = ${id} AND status = 'running' FOR UPDATE`
    : await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM "UpgradeCampaign" WHERE id = ${id} AND status = 'running' FOR UPDATE SKIP LOCKED`;
  if (!locked.length) return null;
  const c = await tx.upgradeCampaign.findUniqueOrThrow({ where: { id } });
  const now = ctx.now ?? new Date();
  const strategy = c.strategy as unknown as CampaignStrategy;
  const gate = c.gate as unknown as GateConfig;

  // Targets whose operation ended without settling them (cancelled while queued, or given up by the reconciler).
  await tx.$executeRaw`
    UPDATE "CampaignTarget" t
       SET status = (CASE o.status WHEN 'succeeded' THEN 'succeeded' WHEN 'failed' THEN 'failed' ELSE 'skipped' END)::"CampaignTargetStatus",
           error = CASE WHEN o.status = 'succeeded' THEN NULL ELSE COALESCE(o.error, 'The upgrade ended without a result.') END,
           "finishedAt" = COALESCE(o."finishedAt", ${now}), "updatedAt" = ${now}
      FROM "Operation" o
     WHERE t."campaignId" = ${id} AND t.status = 'upgrading' AND o.id = t."operationId"
       AND o.status IN ('succeeded', 'failed', 'cancelled')`;

  // Too many failures pause the campaign. After a resume only failures that ended since then count.
  const pauseIfFailing = async (): Promise<boolean> => {
    const failed = await tx.campaignTarget.count({ where: { campaignId: id, status: "failed" } });
    if (failed < strategy.failureThreshold) return false;
    const resumed = await tx.auditEvent.findFirst({
      where: { targetType: "campaign", targetId: id, action: "campaign.resume" },
      orderBy: { createdAt: "desc" },
      select: { createdAt: true },
    });
    const recent = await tx.campaignTarget.findMany({
      where: {
        campaignId: id,
        status: "failed",
        ...(resumed ? { finishedAt: { gt: resumed.createdAt } } : {}),
      },
      include: { instance: { select: { name: true } } },
      orderBy: { finishedAt: "asc" },
    });
    if (recent.length < strategy.failureThreshold) return false;
    const first = recent[0]!;
    const pausedReason =
      `${recent.length} upgrade${recent.length === 1 ? "" : "s"} failed (threshold ${strategy.failureThreshold}); ` +
      `first: ${first.instance.name}: ${first.error ?? "failed"} Look at the failed instances (roll back if needed), then resume or abort.`;
    await tx.upgradeCampaign.update({ where: { id }, data: { status: "paused", pausedReason } });
    return true;
  };
  if (await pauseIfFailing()) return { started: [], finished: true };

  let wave = c.currentWave;
  let waveStartedAt = c.waveStartedAt ?? now;
  for (;;) {
    const open = await tx.campaignTarget.count({
      where: { campaignId: id, wave, status: { notIn: [...SETTLED] } },
    });
    if (open > 0) break;
    // Each statement sees what committed before it: a target that settled (failed) after the check above is
    // counted now, before the wave moves on.
    if (await pauseIfFailing()) return { started: [], finished: true };
    const next = await tx.campaignTarget.findFirst({
      where: { campaignId: id, wave: { gt: wave } },
      orderBy: { wave: "asc" },
      select: { wave: true },
    });
    if (!next) {
      await tx.upgradeCampaign.update({ where: { id }, data: { status: "completed", finishedAt: now } });
      return { started: [], finished: true };
    }
    wave = next.wave;
    waveStartedAt = now;
    await tx.upgradeCampaign.update({ where: { id }, data: { currentWave: wave, waveStartedAt } });
  }

  const upgrading = await tx.campaignTarget.count({ where: { campaignId: id, wave, status: "upgrading" } });
  let slots = strategy.maxConcurrent - upgrading;
  // Windowed targets are planned even while every slot is taken, so the plan (and the notices) show a missed window.
  if (slots <= 0 && c.urgent) return { started: [], finished: false };

  // Urgent: everything is due at the wave's start, in order; only as many as there are slots are read.
  const waiting = await tx.campaignTarget.findMany({
    where: { campaignId: id, wave, status: { in: ["pending", "scheduled"] } },
    orderBy: [{ position: "asc" }],
    take: c.urgent ? slots : undefined,
    include: {
      instance: {
        select: {
          id: true,
          name: true,
          version: true,
          status: true,
          deletedAt: true,
          url: true,
          ...MAINTENANCE_SELECT,
        },
      },
    },
  });

  // Each target's plan; written as "scheduled" below unless it starts (or is skipped) in this pass, whose write
  // carries the plan too.
  const planned = new Map<string, Date>();
  const due: typeof waiting = [];
  for (const t of waiting) {
    let plannedAt = t.plannedAt;
    if (c.urgent) plannedAt ??= waveStartedAt;
    else {
      // The window that opens after the wave started; once it has closed unused, the next one.
      const cfg = windowConfigOf(t.instance);
      const ex = exclusionsOf(t.instance, ctx.fleetBlackouts);
      let w = nextWindowOpening(cfg, waveStartedAt, ex);
      if (w.end <= now) w = nextWindowOpening(cfg, now, ex);
      plannedAt = w.start;
    }
    planned.set(t.id, plannedAt);
    if (plannedAt <= now) due.push(t);
  }
  due.sort((a, b) => planned.get(a.id)!.getTime() - planned.get(b.id)!.getTime() || a.position - b.position);

  const settledHere = new Set<string>();
  const starting: { t: (typeof due)[number]; params: UpgradeParams }[] = [];
  let skipped = 0;
  for (const t of due) {
    if (slots <= 0) break;
    const i = t.instance;
    const current = i.version ?? DEFAULT_APP_VERSION;
    const skip = (error: string) => {
      skipped += 1;
      settledHere.add(t.id);
      return tx.campaignTarget.update({
        where: { id: t.id },
        data: { status: "skipped", error, finishedAt: now, plannedAt: planned.get(t.id) },
      });
    };
    if (i.deletedAt || ["deleted", "deleting", "failed"].includes(i.status) || !i.url) {
      await skip(`${i.name} is ${i.deletedAt ? "deprovisioned" : i.status}; not upgraded.`);
      continue;
    }
    if (current === c.targetVersion) {
      await skip(`already on ${c.targetVersion}`);
      continue;
    }
    const path = upgradePath(ctx.releases, current, c.targetVersion);
    if (!path.ok) {
      await skip(`Not upgraded: ${path.reason}.`);
      continue;
    }
    const params: UpgradeParams = {
      toVersion: c.targetVersion,
      fromVersion: current,
      hops: path.hops,
      campaignId: id,
      targetId: t.id,
      gate,
    };
    starting.push({ t, params });
    settledHere.add(t.id);
    slots -= 1;
  }

  // The rest keep (or get) their plan.
  for (const t of waiting) {
    const plannedAt = planned.get(t.id)!;
    if (settledHere.has(t.id)) continue;
    if (t.status !== "scheduled" || t.plannedAt?.getTime() !== plannedAt.getTime())
      await tx.campaignTarget.update({ where: { id: t.id }, data: { status: "scheduled", plannedAt } });
  }

  // The upgrades that start: their operations in one statement, their targets in another.
  const opIds = await createOperationsTx(
    tx,
    starting.map(({ t, params }) => ({
      instanceId: t.instance.id,
      kind: "upgrade" as const,
      params: params as unknown as Record<string, unknown>,
      idempotencyKey: `campaign:${id}:${t.id}`,
    })),
  );
  const started = starting.map(({ t }) => opIds.get(`campaign:${id}:${t.id}`)!);
  if (starting.length) {
    await tx.$executeRaw`
      UPDATE "CampaignTarget" t
         SET status = 'upgrading', "operationId" = u.op, "startedAt" = ${now}, "fromVersion" = u.from_version,
             "plannedAt" = (u.planned_at::timestamptz AT TIME ZONE 'UTC'), "updatedAt" = ${now}
        FROM unnest(${starting.map((s) => s.t.id)}::text[], ${started}::text[],
                    ${starting.map((s) => s.params.fromVersion)}::text[],
                    ${starting.map((s) => planned.get(s.t.id)!.toISOString())}::text[])
             AS u(id, op, from_version, planned_at)
       WHERE t.id = u.id`;
  }
  if (skipped > 0 && slots > 0) {
    // Skipped targets freed their slots (and may have settled the wave): look again within this lock.
    const more = await advanceOne(tx, id, ctx);
    if (more) return { started: [...started, ...more.started], finished: more.finished };
  }
  return { started, finished: false };
}
