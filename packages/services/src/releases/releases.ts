// The release catalog: staff admins add, update and withdraw releases; everyone signed in reads it (the console's
// upgrade and order pages). Version order, upgrade paths and support states are @cp/core's pure rules over the rows
// loaded here, so the worker, the campaigns and the console agree on them. Every change is one transaction with its
// audit event.
import { env } from "@cp/config";
import {
  AppError,
  badRequest,
  compareVersions,
  conflict,
  decideOrgAccess,
  decideStaffAccess,
  DEFAULT_APP_VERSION,
  defaultOrderRelease,
  forbidden,
  notFound,
  orderableReleases,
  supportState,
  upgradePath,
  ZVersion,
  type Actor,
  type ReleaseInfo,
  type StaffNeed,
  type SupportState,
} from "@cp/core";
import { db, isUniqueViolation, type Db, type Release } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";

/** The same rule as the API's staff procedures, so a use case called from elsewhere cannot skip it. */
function assertStaff(actor: Actor, need: StaffNeed): void {
  if (!decideStaffAccess(actor, need)) {
    const who = { staff: "provider staff", sre: "SREs and staff admins", staffAdmin: "staff admins" }[need];
    throw forbidden(`Only ${who} can do this.`);
  }
}

function toInfo(r: Release): ReleaseInfo {
  return {
    version: r.version,
    releasedAt: r.releasedAt,
    channel: r.channel,
    requiresVersion: r.requiresVersion,
    endOfSupportAt: r.endOfSupportAt,
    noRollback: r.noRollback,
    withdrawnAt: r.withdrawnAt,
  };
}

const byVersionDesc = (a: { version: string }, b: { version: string }) =>
  compareVersions(b.version, a.version);

/** The whole catalog as @cp/core's rules take it (a few hundred rows at most: one release every two weeks). */
export async function loadReleaseInfos(tx: Db = db()): Promise<ReleaseInfo[]> {
  const rows = await tx.release.findMany();
  return rows.map(toInfo).sort(byVersionDesc);
}

export interface ReleaseView {
  version: string;
  releasedAt: Date;
  notes: string;
  channel: "stable" | "beta";
  requiresVersion: string | null;
  endOfSupportAt: Date | null;
  noRollback: boolean;
  withdrawnAt: Date | null;
  withdrawnReason: string | null;
  createdAt: Date;
  supportState: SupportState;
  /** New orders may pick it (released, not withdrawn, not past its end of support). */
  orderable: boolean;
  /** Instances (not deleted) running it now. */
  instanceCount: number;
}

async function instanceCountsByVersion(tx: Db = db()): Promise<Map<string, number>> {
  const groups = await tx.instance.groupBy({
    by: ["version"],
    where: { deletedAt: null, version: { not: null } },
    _count: { _all: true },
  });
  return new Map(groups.map((g) => [g.version ?? "", g._count._all]));
}

function toView(r: Release, counts: Map<string, number>, now: Date, orderable: Set<string>): ReleaseView {
  return {
    version: r.version,
    releasedAt: r.releasedAt,
    notes: r.notes,
    channel: r.channel,
    requiresVersion: r.requiresVersion,
    endOfSupportAt: r.endOfSupportAt,
    noRollback: r.noRollback,
    withdrawnAt: r.withdrawnAt,
    withdrawnReason: r.withdrawnReason,
    createdAt: r.createdAt,
    supportState: supportState(r, now, env().CP_END_OF_SUPPORT_NOTICE_DAYS),
    orderable: orderable.has(r.version),
    instanceCount: counts.get(r.version) ?? 0,
  };
}

/** The catalog, newest version first; withdrawn releases only when asked for. Any signed-in user. */
export async function listReleases(
  _actor: Actor,
  opts: { includeWithdrawn?: boolean } = {},
  now: Date = new Date(),
): Promise<ReleaseView[]> {
  const [rows, counts] = await Promise.all([
    db().release.findMany({ where: opts.includeWithdrawn ? {} : { withdrawnAt: null } }),
    instanceCountsByVersion(),
  ]);
  const orderable = new Set(orderableReleases(rows.map(toInfo), now).map((r) => r.version));
  return rows.sort(byVersionDesc).map((r) => toView(r, counts, now, orderable));
}

async function viewOf(tx: Db, version: string, now = new Date()): Promise<ReleaseView> {
  const row = await tx.release.findUniqueOrThrow({ where: { version } });
  const [count, infos] = await Promise.all([
    tx.instance.count({ where: { deletedAt: null, version } }),
    loadReleaseInfos(tx),
  ]);
  const orderable = new Set(orderableReleases(infos, now).map((r) => r.version));
  return toView(row, new Map([[version, count]]), now, orderable);
}

/** A version field: core's ZVersion, with a message that the field's name prefixes (core's names "version"). */
export const ZReleaseVersion = z
  .string()
  .trim()
  .refine((v) => ZVersion.safeParse(v).success, "use MAJOR.MINOR.PATCH, e.g. 0.66.0");

const ZNotes = z.string().trim().max(20_000, "must be at most 20000 characters");

export const ZCreateReleaseInput = z.object({
  version: ZReleaseVersion,
  releasedAt: z.date({ error: "must be a date" }).optional(),
  notes: ZNotes.default(""),
  channel: z.enum(["stable", "beta"], { error: "must be stable or beta" }).default("stable"),
  requiresVersion: ZReleaseVersion.nullish(),
  endOfSupportAt: z.date({ error: "must be a date" }).nullish(),
  noRollback: z.boolean().default(false),
});
export type CreateReleaseInput = z.input<typeof ZCreateReleaseInput>;

function releaseRecord(r: Release) {
  return {
    version: r.version,
    releasedAt: r.releasedAt.toISOString(),
    channel: r.channel,
    requiresVersion: r.requiresVersion,
    endOfSupportAt: r.endOfSupportAt?.toISOString() ?? null,
    noRollback: r.noRollback,
    notes: r.notes,
  };
}

function assertEndAfterRelease(releasedAt: Date, endOfSupportAt: Date | null | undefined): void {
  if (endOfSupportAt && endOfSupportAt.getTime() <= releasedAt.getTime()) {
    throw badRequest(
      `endOfSupportAt: must be after the release date (${releasedAt.toISOString().slice(0, 10)}); pick a later date or leave it empty.`,
      "endOfSupportAt",
    );
  }
}

/** Staff admins add a release. A required step must be an older release in the catalog that is not withdrawn. */
export async function createRelease(ctx: ActingContext, raw: CreateReleaseInput): Promise<ReleaseView> {
  assertStaff(ctx.actor, "staffAdmin");
  const input = parseInput(ZCreateReleaseInput, raw);
  const releasedAt = input.releasedAt ?? new Date();
  assertEndAfterRelease(releasedAt, input.endOfSupportAt);
  try {
    return await db().$transaction(async (tx) => {
      const existing = await tx.release.findUnique({
        where: { version: input.version },
        select: { version: true },
      });
      if (existing) {
        throw conflict(`version: ${input.version} is already in the catalog; pick a new version.`, "version");
      }
      if (input.requiresVersion) {
        if (compareVersions(input.requiresVersion, input.version) >= 0) {
          throw badRequest(
            `requiresVersion: must be older than ${input.version} (a step taken on the way to it).`,
            "requiresVersion",
          );
        }
        const step = await tx.release.findUnique({ where: { version: input.requiresVersion } });
        if (!step) {
          throw badRequest(
            `requiresVersion: ${input.requiresVersion} is not in the catalog; add it first or pick a listed release.`,
            "requiresVersion",
          );
        }
        if (step.withdrawnAt) {
          throw badRequest(
            `requiresVersion: ${input.requiresVersion} was withdrawn; nobody can pass through it. Pick another release.`,
            "requiresVersion",
          );
        }
      }
      const row = await tx.release.create({
        data: {
          version: input.version,
          releasedAt,
          notes: input.notes,
          channel: input.channel,
          requiresVersion: input.requiresVersion ?? null,
          endOfSupportAt: input.endOfSupportAt ?? null,
          noRollback: input.noRollback,
          createdById: ctx.actor.userId,
        },
      });
      await recordAudit(tx, ctx, {
        action: "release.create",
        targetType: "release",
        targetId: row.version,
        after: releaseRecord(row),
      });
      return viewOf(tx, row.version);
    });
  } catch (err) {
    // Two admins adding the same version at once: the second one loses on the primary key.
    if (isUniqueViolation(err)) {
      throw conflict(`version: ${input.version} is already in the catalog; pick a new version.`, "version");
    }
    throw err;
  }
}

export const ZUpdateReleaseInput = z.object({
  version: ZReleaseVersion,
  /** null clears it (supported indefinitely). */
  endOfSupportAt: z.date({ error: "must be a date" }).nullable().optional(),
  notes: ZNotes.optional(),
  noRollback: z.boolean().optional(),
});
export type UpdateReleaseInput = z.input<typeof ZUpdateReleaseInput>;

/** Staff admins change a release's end of support, notes or rollback flag (the version and its steps are fixed). */
export async function updateRelease(ctx: ActingContext, raw: UpdateReleaseInput): Promise<ReleaseView> {
  assertStaff(ctx.actor, "staffAdmin");
  const input = parseInput(ZUpdateReleaseInput, raw);
  return db().$transaction(async (tx) => {
    const before = await tx.release.findUnique({ where: { version: input.version } });
    if (!before) throw notFound("Release");
    if (input.endOfSupportAt !== undefined) assertEndAfterRelease(before.releasedAt, input.endOfSupportAt);
    const row = await tx.release.update({
      where: { version: input.version },
      data: {
        endOfSupportAt: input.endOfSupportAt,
        notes: input.notes,
        noRollback: input.noRollback,
      },
    });
    await recordAudit(tx, ctx, {
      action: "release.update",
      targetType: "release",
      targetId: row.version,
      before: releaseRecord(before),
      after: releaseRecord(row),
    });
    return viewOf(tx, row.version);
  });
}

/**
 * Staff admins withdraw a release: it is no longer a target, a step or an order choice (instances already on it keep
 * running it). Refused while a campaign that has not finished (draft, running, paused) targets it: abort that first.
 */
export async function withdrawRelease(
  ctx: ActingContext,
  raw: { version: string; reason: string },
): Promise<ReleaseView> {
  assertStaff(ctx.actor, "staffAdmin");
  const input = parseInput(
    z.object({
      version: ZReleaseVersion,
      reason: z
        .string()
        .trim()
        .min(3, "say why it is withdrawn (at least 3 characters)")
        .max(2000, "must be at most 2000 characters"),
    }),
    raw,
  );
  return db().$transaction(async (tx) => {
    // Lock the row: a withdrawal racing a campaign's creation is decided by whichever commits first.
    await tx.$queryRaw`SELECT version FROM "Release" WHERE version = ${input.version} FOR UPDATE`;
    const before = await tx.release.findUnique({ where: { version: input.version } });
    if (!before) throw notFound("Release");
    if (before.withdrawnAt) throw conflict(`version: ${input.version} is already withdrawn.`, "version");
    const campaign = await tx.upgradeCampaign.findFirst({
      where: { targetVersion: input.version, status: { in: ["draft", "running", "paused"] } },
      select: { name: true, status: true },
    });
    if (campaign) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `version: the ${campaign.status} campaign "${campaign.name}" upgrades to ${input.version}; abort it before withdrawing the release.`,
        "version",
      );
    }
    const row = await tx.release.update({
      where: { version: input.version },
      data: { withdrawnAt: new Date(), withdrawnReason: input.reason },
    });
    await recordAudit(tx, ctx, {
      action: "release.withdraw",
      targetType: "release",
      targetId: row.version,
      before: { withdrawnAt: null },
      after: { withdrawnAt: row.withdrawnAt?.toISOString(), reason: input.reason },
    });
    return viewOf(tx, row.version);
  });
}

export interface UpgradePathView {
  instanceId: string;
  fromVersion: string | null;
  toVersion: string;
  ok: boolean;
  /** The versions applied in order, ending with toVersion (empty when not ok). */
  hops: string[];
  /** Why not, when not ok. */
  reason: string | null;
}

/** The hops an instance would take to `toVersion` (for the console's upgrade dialog). A foreign id is NOT_FOUND. */
export async function upgradePathFor(
  actor: Actor,
  input: { orgId: string; instanceId: string; toVersion: string },
): Promise<UpgradePathView> {
  const access = decideOrgAccess(actor, input.orgId, "read");
  if (!access.ok) throw access.reason === "not_found" ? notFound("Instance") : forbidden();
  const toVersion = parseInput(z.object({ toVersion: ZReleaseVersion }), {
    toVersion: input.toVersion,
  }).toVersion;
  const instance = await db().instance.findFirst({
    where: { id: input.instanceId, orgId: input.orgId, deletedAt: null },
    select: { id: true, version: true },
  });
  if (!instance) throw notFound("Instance");
  const base = { instanceId: instance.id, fromVersion: instance.version, toVersion };
  if (!instance.version) {
    return {
      ...base,
      ok: false,
      hops: [],
      reason: "the instance has no version yet; wait for it to be provisioned",
    };
  }
  const path = upgradePath(await loadReleaseInfos(), instance.version, toVersion);
  return path.ok
    ? { ...base, ok: true, hops: path.hops, reason: null }
    : { ...base, ok: false, hops: [], reason: path.reason };
}

/**
 * The version a new instance runs: the requested one if given and orderable, else the newest orderable stable
 * release. With an empty catalog (a fresh installation, most tests) it is DEFAULT_APP_VERSION, as before the catalog
 * existed; with releases but none orderable, ordering is refused rather than running something unsupported.
 */
export async function chooseOrderVersion(
  opts: { requested?: string | null; now?: Date } = {},
  tx: Db = db(),
): Promise<string> {
  const now = opts.now ?? new Date();
  const releases = await loadReleaseInfos(tx);
  if (opts.requested) {
    const wanted = releases.find((r) => r.version === opts.requested);
    const why = !wanted
      ? "is not in the release catalog"
      : wanted.withdrawnAt
        ? "was withdrawn"
        : wanted.endOfSupportAt && wanted.endOfSupportAt.getTime() <= now.getTime()
          ? "is past its end of support"
          : wanted.releasedAt.getTime() > now.getTime()
            ? "is not released yet"
            : null;
    if (why) {
      const choice = defaultOrderRelease(releases, now)?.version;
      throw badRequest(
        `version: ${opts.requested} ${why}; ${choice ? `pick ${choice} or another listed release` : "pick a listed release"}.`,
        "version",
      );
    }
    return opts.requested;
  }
  if (releases.length === 0) return DEFAULT_APP_VERSION;
  const pick = defaultOrderRelease(releases, now);
  if (!pick) {
    throw new AppError(
      "PRECONDITION_FAILED",
      "No stable release can be ordered now (all are withdrawn or past their end of support). Provider staff must publish one.",
    );
  }
  return pick.version;
}

export interface FleetReleaseSummary {
  /** Instances that are not deleted. */
  total: number;
  /** Instances by the support state of the version they run (a version missing from the catalog counts as supported). */
  bySupport: Record<SupportState, number>;
  /** Instances past their release's end of support (= bySupport.ended), for the fleet view. */
  pastEndOfSupport: number;
  byVersion: {
    version: string;
    count: number;
    supportState: SupportState;
    endOfSupportAt: Date | null;
    inCatalog: boolean;
    withdrawn: boolean;
  }[];
  /** Instances without a version yet (being provisioned). */
  unknownVersion: number;
}

/** Staff: how the fleet spreads over versions and support states; one grouped count over the instances. */
export async function fleetReleaseSummary(
  actor: Actor,
  now: Date = new Date(),
): Promise<FleetReleaseSummary> {
  assertStaff(actor, "staff");
  const [groups, rows] = await Promise.all([
    db().instance.groupBy({ by: ["version"], where: { deletedAt: null }, _count: { _all: true } }),
    db().release.findMany(),
  ]);
  const catalog = new Map(rows.map((r) => [r.version, r]));
  const days = env().CP_END_OF_SUPPORT_NOTICE_DAYS;
  const bySupport: Record<SupportState, number> = { supported: 0, ending: 0, ended: 0 };
  const byVersion: FleetReleaseSummary["byVersion"] = [];
  let total = 0;
  let unknownVersion = 0;
  for (const g of groups) {
    const count = g._count._all;
    total += count;
    if (!g.version) {
      unknownVersion += count;
      continue;
    }
    const r = catalog.get(g.version);
    const state = supportState(r, now, days);
    bySupport[state] += count;
    byVersion.push({
      version: g.version,
      count,
      supportState: state,
      endOfSupportAt: r?.endOfSupportAt ?? null,
      inCatalog: r !== undefined,
      withdrawn: Boolean(r?.withdrawnAt),
    });
  }
  byVersion.sort((a, b) => safeCompare(b.version, a.version));
  return { total, bySupport, pastEndOfSupport: bySupport.ended, byVersion, unknownVersion };
}

/** Instances may carry versions written before the catalog's format was enforced: those sort last, by name. */
function safeCompare(a: string, b: string): number {
  const okA = ZVersion.safeParse(a).success;
  const okB = ZVersion.safeParse(b).success;
  if (okA && okB) return compareVersions(a, b);
  if (okA !== okB) return okA ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
