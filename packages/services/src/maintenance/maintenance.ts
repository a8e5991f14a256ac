// Maintenance windows: every dedicated instance has one every two weeks (weekday, local start, duration, IANA zone,
// anchor date), stored on the instance. Customers' admins (and SREs, staff admins) move it, set blackout dates and
// defer a window a limited number of times in a row; staff set fleet-wide blackout dates. The occurrences are never
// stored: @cp/core computes them from the current settings whenever they are needed (the console, the notices tick,
// campaign planning), so a changed window or a new blackout takes effect everywhere at once.
import { env } from "@cp/config";
import {
  badRequest,
  checkDeferral,
  conflict,
  decideOrgAccess,
  decideStaffAccess,
  forbidden,
  nextWindowOpening,
  notFound,
  windowOccurrences,
  ZMaintenanceWindowConfig,
  type Actor,
  type MaintenanceWindowConfig,
  type OrgNeed,
  type SkipReason,
  type StaffNeed,
  type WindowExclusions,
} from "@cp/core";
import { db, type Db } from "@cp/db";
import { enqueue } from "@cp/jobs";
import { logger } from "@cp/config/logger";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";

/** The same rules as the API's procedures, so a use case called from elsewhere cannot leak another org. */
function assertOrgAccess(actor: Actor, orgId: string, need: OrgNeed): void {
  const d = decideOrgAccess(actor, orgId, need);
  if (!d.ok) throw d.reason === "not_found" ? notFound("Instance") : forbidden();
}

function assertStaff(actor: Actor, need: StaffNeed): void {
  if (!decideStaffAccess(actor, need)) {
    const who = { staff: "provider staff", sre: "SREs and staff admins", staffAdmin: "staff admins" }[need];
    throw forbidden(`Only ${who} can do this.`);
  }
}

/** The instance columns a window is computed from. */
export const MAINTENANCE_SELECT = {
  maintenanceWeekday: true,
  maintenanceStart: true,
  maintenanceDurationMin: true,
  maintenanceTimezone: true,
  maintenanceAnchor: true,
  maintenanceBlackouts: true,
  maintenanceDeferred: true,
} as const;

export interface InstanceMaintenanceColumns {
  maintenanceWeekday: number;
  maintenanceStart: string;
  maintenanceDurationMin: number;
  maintenanceTimezone: string;
  maintenanceAnchor: string;
  maintenanceBlackouts: string[];
  maintenanceDeferred: string[];
}

export function windowConfigOf(i: InstanceMaintenanceColumns): MaintenanceWindowConfig {
  return {
    weekday: i.maintenanceWeekday,
    start: i.maintenanceStart,
    durationMin: i.maintenanceDurationMin,
    timezone: i.maintenanceTimezone,
    anchor: i.maintenanceAnchor,
  };
}

export function exclusionsOf(
  i: InstanceMaintenanceColumns,
  fleetBlackouts: readonly string[],
): WindowExclusions {
  return {
    fleetBlackouts,
    customerBlackouts: i.maintenanceBlackouts,
    deferred: i.maintenanceDeferred,
  };
}

/** Fleet blackout dates (a small table: a few dates a year). */
export async function loadFleetBlackoutDates(tx: Db = db()): Promise<string[]> {
  const rows = await tx.maintenanceBlackout.findMany({ select: { date: true }, orderBy: { date: "asc" } });
  return rows.map((r) => r.date);
}

/** "YYYY-MM-DD" of `at` in `zone` (en-CA formats dates that way). */
function localDateIn(at: Date, zone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .format(at)
    .slice(0, 10);
}

const ZLocalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "use a date YYYY-MM-DD, e.g. 2026-12-24")
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, "is not a calendar date; use YYYY-MM-DD, e.g. 2026-12-24");

/** A customer's blackout dates per instance: enough for every holiday of a year or two. */
export const MAX_INSTANCE_BLACKOUTS = 60;

async function findInstance(tx: Db, orgId: string, instanceId: string, lock = false) {
  // The row lock serializes changes to one instance's window settings (two admins deferring at once).
  if (lock)
    await tx.$queryRaw`SELECT id FROM "Instance" WHERE id = ${instanceId} AND "orgId" = ${orgId} FOR UPDATE`;
  const instance = await tx.instance.findFirst({
    where: { id: instanceId, orgId, deletedAt: null },
    select: { id: true, orgId: true, name: true, ...MAINTENANCE_SELECT },
  });
  if (!instance) throw notFound("Instance");
  return instance;
}

export interface MaintenanceOccurrenceView {
  start: Date;
  end: Date;
  /** YYYY-MM-DD of the start in the window's zone. */
  localDate: string;
  /** Why no work happens in it (shown struck through), or null for a window that takes place. */
  skipped: SkipReason | null;
}

export interface MaintenanceView {
  instanceId: string;
  window: MaintenanceWindowConfig;
  /** The customer's blackout dates for this instance (YYYY-MM-DD in the window's zone). */
  blackouts: string[];
  /** Fleet-wide blackout dates from today on. */
  fleetBlackouts: { date: string; reason: string }[];
  /** Starts of the deferred windows that have not ended yet. */
  deferred: Date[];
  /** The next three windows that take place, with the skipped ones between them flagged. Instants: the console
   *  shows them in the viewer's zone. */
  next: MaintenanceOccurrenceView[];
  maxDeferrals: number;
  /** How many upcoming windows in a row may still be deferred from now. */
  remainingDeferrals: number;
  /** What the coming windows will do, e.g. "Upgrade to 0.66.0 (campaign Q4 rollout)", or null. */
  plannedWork: string | null;
  /** Whether the viewer may change the window, blackouts and deferrals. */
  mayChange: boolean;
}

/** The work planned for instances: an unfinished campaign target (pending or scheduled) of an unfinished campaign. */
export async function plannedWorkOf(instanceId: string, tx: Db = db()): Promise<string | null> {
  const target = await tx.campaignTarget.findFirst({
    where: {
      instanceId,
      status: { in: ["pending", "scheduled"] },
      campaign: { status: { in: ["draft", "running", "paused"] } },
    },
    orderBy: { createdAt: "asc" },
    select: { campaign: { select: { name: true, targetVersion: true, status: true } } },
  });
  if (!target) return null;
  const c = target.campaign;
  return `Upgrade to ${c.targetVersion} (campaign ${c.name}${c.status === "running" ? "" : `, ${c.status}`})`;
}

/** How many windows in a row could still be deferred, deferring the next one each time (at most the limit). */
function remainingDeferralsOf(
  cfg: MaintenanceWindowConfig,
  ex: WindowExclusions,
  now: Date,
  max: number,
): number {
  const deferred = [...(ex.deferred ?? [])];
  let n = 0;
  while (n < max) {
    const next = nextWindowOpening(cfg, now, { ...ex, deferred });
    if (!checkDeferral(cfg, next.start, now, { ...ex, deferred }, max).ok) break;
    deferred.push(next.start.toISOString());
    n += 1;
  }
  return n;
}

/** The instance's window, blackouts, deferrals, next windows and planned work. Org members and staff read it. */
export async function getMaintenance(
  actor: Actor,
  orgId: string,
  instanceId: string,
  now: Date = new Date(),
): Promise<MaintenanceView> {
  assertOrgAccess(actor, orgId, "read");
  const [instance, fleet, plannedWork] = await Promise.all([
    findInstance(db(), orgId, instanceId),
    db().maintenanceBlackout.findMany({ orderBy: { date: "asc" }, select: { date: true, reason: true } }),
    plannedWorkOf(instanceId),
  ]);
  const cfg = windowConfigOf(instance);
  const ex = exclusionsOf(
    instance,
    fleet.map((b) => b.date),
  );
  const max = env().CP_MAINTENANCE_MAX_DEFERRALS;
  // A day of slack: a fleet date is local to each window's zone, and some zones are a day ahead of UTC.
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  return {
    instanceId: instance.id,
    window: cfg,
    blackouts: [...instance.maintenanceBlackouts].sort(),
    fleetBlackouts: fleet.filter((b) => b.date >= yesterday),
    deferred: instance.maintenanceDeferred
      .map((iso) => new Date(iso))
      .filter((d) => d.getTime() + cfg.durationMin * 60_000 > now.getTime())
      .sort((a, b) => a.getTime() - b.getTime()),
    next: windowOccurrences(cfg, now, 3, { ...ex, includeSkipped: true }),
    maxDeferrals: max,
    remainingDeferrals: remainingDeferralsOf(cfg, ex, now, max),
    plannedWork,
    mayChange: decideOrgAccess(actor, orgId, "admin").ok,
  };
}

/**
 * After a window change or a deferral, campaigns that will upgrade this instance re-plan at once rather than at their
 * next tick (their plan reads the window and the deferrals again). Best effort: the periodic tick covers a Redis
 * outage.
 */
async function wakeCampaignsOf(instanceId: string): Promise<void> {
  const targets = await db().campaignTarget.findMany({
    where: {
      instanceId,
      status: { in: ["pending", "scheduled"] },
      campaign: { status: "running" },
    },
    select: { campaignId: true },
  });
  for (const t of targets) {
    try {
      await enqueue("campaignTick", { campaignId: t.campaignId });
    } catch (err) {
      logger().warn({ err, campaignId: t.campaignId }, "could not wake the campaign; its tick will re-plan");
    }
  }
}

/**
 * Org admins (and SREs, staff admins) move the instance's window. Nothing else needs rescheduling: no notice time is
 * stored, the notices tick recomputes the next window from the current settings every time it runs, and campaigns
 * read the window when they plan. Deferrals belong to the old series of windows, so they are cleared.
 */
export async function setMaintenanceWindow(
  ctx: ActingContext,
  orgId: string,
  instanceId: string,
  window: MaintenanceWindowConfig,
): Promise<MaintenanceView> {
  assertOrgAccess(ctx.actor, orgId, "admin");
  const cfg = parseWindow(window);
  await db().$transaction(async (tx) => {
    const before = await findInstance(tx, orgId, instanceId, true);
    await tx.instance.update({
      where: { id: before.id },
      data: {
        maintenanceWeekday: cfg.weekday,
        maintenanceStart: cfg.start,
        maintenanceDurationMin: cfg.durationMin,
        maintenanceTimezone: cfg.timezone,
        maintenanceAnchor: cfg.anchor,
        maintenanceDeferred: [],
      },
    });
    await recordAudit(tx, ctx, {
      action: "maintenance.window_change",
      targetType: "instance",
      targetId: before.id,
      orgId,
      before: { ...windowConfigOf(before), deferred: before.maintenanceDeferred },
      after: { ...cfg, deferred: [] },
    });
  });
  await wakeCampaignsOf(instanceId);
  return getMaintenance(ctx.actor, orgId, instanceId);
}

/** Core's messages already name the field ("timezone: …"); the error's field is that issue's path. */
function parseWindow(window: unknown): MaintenanceWindowConfig {
  const parsed = ZMaintenanceWindowConfig.safeParse(window);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || undefined;
  const message = issue?.message ?? "Invalid maintenance window.";
  throw badRequest(field && !message.startsWith(`${field}:`) ? `${field}: ${message}` : message, field);
}

/** Org admins set the instance's blackout dates (replacing the list); windows starting or ending on one are skipped. */
export async function setInstanceBlackouts(
  ctx: ActingContext,
  orgId: string,
  instanceId: string,
  dates: string[],
  now: Date = new Date(),
): Promise<MaintenanceView> {
  assertOrgAccess(ctx.actor, orgId, "admin");
  const list = parseInput(
    z.object({
      dates: z
        .array(ZLocalDate)
        .max(MAX_INSTANCE_BLACKOUTS, `at most ${MAX_INSTANCE_BLACKOUTS} dates; remove past or unneeded ones`),
    }),
    { dates },
  ).dates;
  const unique = [...new Set(list)].sort();
  await db().$transaction(async (tx) => {
    const before = await findInstance(tx, orgId, instanceId, true);
    // Past dates skip nothing; adding one is a mistake worth telling (dates already stored may stay).
    const today = localDateIn(now, before.maintenanceTimezone);
    const past = unique.find((d) => d < today && !before.maintenanceBlackouts.includes(d));
    if (past) {
      throw badRequest(
        `dates: ${past} is in the past (today is ${today} in ${before.maintenanceTimezone}); pick a future date.`,
        "dates",
      );
    }
    await tx.instance.update({ where: { id: before.id }, data: { maintenanceBlackouts: unique } });
    await recordAudit(tx, ctx, {
      action: "maintenance.blackouts_change",
      targetType: "instance",
      targetId: before.id,
      orgId,
      before: { blackouts: before.maintenanceBlackouts },
      after: { blackouts: unique },
    });
  });
  await wakeCampaignsOf(instanceId);
  return getMaintenance(ctx.actor, orgId, instanceId, now);
}

/**
 * Org admins defer one upcoming window (CP_MAINTENANCE_MAX_DEFERRALS in a row at most). The deferral is recorded on
 * the instance, so the notices tick and campaign planning (nextWindowOpening with these exclusions) skip it.
 */
export async function deferMaintenanceWindow(
  ctx: ActingContext,
  orgId: string,
  instanceId: string,
  windowStart: Date,
  now: Date = new Date(),
): Promise<MaintenanceView> {
  assertOrgAccess(ctx.actor, orgId, "admin");
  if (!(windowStart instanceof Date) || Number.isNaN(windowStart.getTime())) {
    throw badRequest("windowStart: must be the start of an upcoming window, as listed", "windowStart");
  }
  const max = env().CP_MAINTENANCE_MAX_DEFERRALS;
  await db().$transaction(async (tx) => {
    const before = await findInstance(tx, orgId, instanceId, true);
    const cfg = windowConfigOf(before);
    const ex = exclusionsOf(before, await loadFleetBlackoutDates(tx));
    const check = checkDeferral(cfg, windowStart, now, ex, max);
    if (!check.ok) {
      const alreadyDeferred = before.maintenanceDeferred.some((d) => Date.parse(d) === windowStart.getTime());
      throw (alreadyDeferred ? conflict : badRequest)(`windowStart: ${check.reason}.`, "windowStart");
    }
    // Keep only what the consecutive-deferral rule can still look at: the windows of the last few periods.
    const horizon = now.getTime() - (max + 2) * 14 * 86_400_000;
    const kept = before.maintenanceDeferred.filter((d) => Date.parse(d) >= horizon);
    const deferred = [...kept, windowStart.toISOString()].sort();
    await tx.instance.update({ where: { id: before.id }, data: { maintenanceDeferred: deferred } });
    const next = windowOccurrences(cfg, windowStart, 1, { ...ex, deferred })[0];
    await recordAudit(tx, ctx, {
      action: "maintenance.defer",
      targetType: "instance",
      targetId: before.id,
      orgId,
      before: { deferred: before.maintenanceDeferred },
      after: { windowStart: windowStart.toISOString(), nextWindow: next?.start.toISOString() ?? null },
    });
  });
  await wakeCampaignsOf(instanceId);
  return getMaintenance(ctx.actor, orgId, instanceId, now);
}

export interface FleetBlackoutView {
  date: string;
  reason: string;
  createdAt: Date;
  createdBy: string | null;
}

/** Staff: the fleet blackout dates, oldest first. */
export async function listFleetBlackouts(actor: Actor): Promise<FleetBlackoutView[]> {
  assertStaff(actor, "staff");
  const rows = await db().maintenanceBlackout.findMany({ orderBy: { date: "asc" } });
  const ids = [...new Set(rows.flatMap((r) => (r.createdById ? [r.createdById] : [])))];
  const users = ids.length
    ? await db().user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } })
    : [];
  const email = new Map(users.map((u) => [u.id, u.email]));
  return rows.map((r) => ({
    date: r.date,
    reason: r.reason,
    createdAt: r.createdAt,
    createdBy: r.createdById ? (email.get(r.createdById) ?? null) : null,
  }));
}

/** SREs and staff admins add a fleet blackout date: no instance's window starting or ending on it does work. */
export async function addFleetBlackout(
  ctx: ActingContext,
  raw: { date: string; reason: string },
): Promise<FleetBlackoutView> {
  assertStaff(ctx.actor, "sre");
  const input = parseInput(
    z.object({
      date: ZLocalDate,
      reason: z
        .string()
        .trim()
        .min(3, "say why (at least 3 characters), e.g. Christmas")
        .max(500, "must be at most 500 characters"),
    }),
    raw,
  );
  const row = await db().$transaction(async (tx) => {
    const existing = await tx.maintenanceBlackout.findUnique({ where: { date: input.date } });
    if (existing) {
      throw conflict(`date: ${input.date} is already a fleet blackout ("${existing.reason}").`, "date");
    }
    const created = await tx.maintenanceBlackout.create({
      data: { date: input.date, reason: input.reason, createdById: ctx.actor.userId },
    });
    await recordAudit(tx, ctx, {
      action: "maintenance.fleet_blackout_add",
      targetType: "maintenance_blackout",
      targetId: created.date,
      after: { date: created.date, reason: created.reason },
    });
    return created;
  });
  return { date: row.date, reason: row.reason, createdAt: row.createdAt, createdBy: ctx.actor.email };
}

/** SREs and staff admins remove a fleet blackout date. */
export async function removeFleetBlackout(ctx: ActingContext, raw: { date: string }): Promise<{ ok: true }> {
  assertStaff(ctx.actor, "sre");
  const input = parseInput(z.object({ date: ZLocalDate }), raw);
  await db().$transaction(async (tx) => {
    const existing = await tx.maintenanceBlackout.findUnique({ where: { date: input.date } });
    if (!existing) throw notFound("Fleet blackout date");
    await tx.maintenanceBlackout.delete({ where: { date: input.date } });
    await recordAudit(tx, ctx, {
      action: "maintenance.fleet_blackout_remove",
      targetType: "maintenance_blackout",
      targetId: existing.date,
      before: { date: existing.date, reason: existing.reason },
    });
  });
  return { ok: true };
}
