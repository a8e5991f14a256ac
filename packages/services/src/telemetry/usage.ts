// Usage views over the telemetry reports: one deployment's counters per day (its org's members and staff), the
// fleet's sums per day, which deployments run versions behind the newest stable release, and which stopped
// reporting (staff). Days are UTC "YYYY-MM-DD" strings, so day windows are plain string comparisons.
import { env } from "@cp/config";
import {
  ALL_TELEMETRY_SERIES,
  compareVersions,
  decideOrgAccess,
  decideStaffAccess,
  defaultOrderRelease,
  forbidden,
  notFound,
  shiftTelemetryDay,
  telemetryDayOf,
  telemetrySeriesValue,
  type Actor,
  type ReleaseInfo,
  type TelemetryCounters,
  type TelemetrySeriesKey,
} from "@cp/core";
import { db, Prisma, type DeploymentPlatform } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { loadReleaseInfos } from "../releases/releases";

export const TELEMETRY_DEFAULT_DAYS = 90;
export const TELEMETRY_MAX_DAYS = 400;
const DAY_MS = 86_400_000;

export const ZTelemetrySeriesKey = z.enum(
  ALL_TELEMETRY_SERIES as [TelemetrySeriesKey, ...TelemetrySeriesKey[]],
  {
    error: `must be one of ${ALL_TELEMETRY_SERIES.join(", ")}`,
  },
);
const ZDays = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(TELEMETRY_MAX_DAYS, `must be at most ${TELEMETRY_MAX_DAYS}`)
  .default(TELEMETRY_DEFAULT_DAYS);
const ZCounters = z
  .array(ZTelemetrySeriesKey)
  .min(1, "pick at least one counter")
  .max(ALL_TELEMETRY_SERIES.length)
  .optional();

export const ZDeploymentSeriesInput = z.object({
  orgId: z.string().min(1),
  deploymentId: z.string().min(1, "is required"),
  counters: ZCounters,
  days: ZDays,
});
export type DeploymentSeriesInput = z.input<typeof ZDeploymentSeriesInput>;

export const ZFleetSeriesInput = z.object({ counters: ZCounters, days: ZDays });
export type FleetSeriesInput = z.input<typeof ZFleetSeriesInput>;

export interface UsagePoint {
  day: string;
  /** One value per requested counter. */
  values: Partial<Record<TelemetrySeriesKey, number>>;
}

export interface DeploymentSeries {
  deployment: {
    id: string;
    orgId: string;
    name: string;
    version: string;
    lastReportAt: Date | null;
    lastReportDay: string | null;
  };
  from: string;
  to: string;
  counters: TelemetrySeriesKey[];
  points: UsagePoint[];
  /** The newest report (whatever its day), with every counter. */
  latest: {
    day: string;
    version: string;
    receivedAt: Date;
    replacements: number;
    values: Record<TelemetrySeriesKey, number>;
  } | null;
}

function assertStaff(actor: Actor): void {
  if (!decideStaffAccess(actor, "staff")) throw forbidden("Only provider staff can see fleet usage.");
}

function dayWindow(now: Date, days: number): { from: string; to: string } {
  const to = telemetryDayOf(now);
  return { from: shiftTelemetryDay(to, -(days - 1)), to };
}

function valuesOf<K extends TelemetrySeriesKey>(
  counters: Prisma.JsonValue,
  keys: readonly K[],
): Record<K, number> {
  const c = counters as unknown as TelemetryCounters;
  return Object.fromEntries(keys.map((k) => [k, telemetrySeriesValue(c, k)])) as Record<K, number>;
}

/** One deployment's counters per day. Org members read their org's deployments; a foreign id is NOT_FOUND. */
export async function telemetryDeploymentSeries(
  actor: Actor,
  raw: DeploymentSeriesInput,
  now: Date = new Date(),
): Promise<DeploymentSeries> {
  const input = parseInput(ZDeploymentSeriesInput, raw);
  if (!decideOrgAccess(actor, input.orgId, "read").ok) throw notFound("Deployment");
  const deployment = await db().customerDeployment.findFirst({
    where: { id: input.deploymentId, orgId: input.orgId },
    select: { id: true, orgId: true, name: true, version: true, lastReportAt: true, lastReportDay: true },
  });
  if (!deployment) throw notFound("Deployment");
  const counters = input.counters ?? ALL_TELEMETRY_SERIES;
  const { from, to } = dayWindow(now, input.days);
  const [rows, latest] = await Promise.all([
    db().telemetryReport.findMany({
      where: { deploymentId: deployment.id, day: { gte: from } },
      orderBy: { day: "asc" },
      select: { day: true, counters: true },
      take: TELEMETRY_MAX_DAYS + 2,
    }),
    db().telemetryReport.findFirst({
      where: { deploymentId: deployment.id },
      orderBy: { day: "desc" },
      select: { day: true, version: true, counters: true, receivedAt: true, replacements: true },
    }),
  ]);
  return {
    deployment,
    from,
    to,
    counters,
    points: rows.map((r) => ({ day: r.day, values: valuesOf(r.counters, counters) })),
    latest: latest
      ? {
          day: latest.day,
          version: latest.version,
          receivedAt: latest.receivedAt,
          replacements: latest.replacements,
          values: valuesOf(latest.counters, ALL_TELEMETRY_SERIES),
        }
      : null,
  };
}

/** The SQL expression of a series inside a report's `counters`; keys come from the fixed list, never from input. */
function seriesSql(key: TelemetrySeriesKey): Prisma.Sql {
  if (!/^[A-Za-z]+(\.[A-Za-z]+)?$/.test(key) || !ALL_TELEMETRY_SERIES.includes(key))
    throw new Error(`not a telemetry series: ${key}`);
  const [top, sub] = key.split(".");
  const expr = sub ? `(counters->'${top}'->>'${sub}')` : `(counters->>'${top}')`;
  return Prisma.raw(`COALESCE(SUM(${expr}::float8), 0)::float8 AS "${key}"`);
}

export interface FleetSeries {
  from: string;
  to: string;
  counters: TelemetrySeriesKey[];
  /** Per day: the sums over the deployments that reported that day, and how many did. */
  points: (UsagePoint & { deployments: number })[];
}

/** Staff: the fleet's counters summed per day (one GROUP BY over the window). */
export async function telemetryFleetSeries(
  actor: Actor,
  raw: FleetSeriesInput = {},
  now: Date = new Date(),
): Promise<FleetSeries> {
  assertStaff(actor);
  const input = parseInput(ZFleetSeriesInput, raw);
  const counters = input.counters ?? ALL_TELEMETRY_SERIES;
  const { from, to } = dayWindow(now, input.days);
  const rows = await db().$queryRaw<({ day: string; deployments: number } & Record<string, number>)[]>`
    SELECT day, COUNT(*)::int AS deployments, ${Prisma.join(counters.map(seriesSql), ", ")}
    FROM "TelemetryReport"
    WHERE day >= ${from}
    GROUP BY day
    ORDER BY day`;
  return {
    from,
    to,
    counters,
    points: rows.map((r) => ({
      day: r.day,
      deployments: Number(r.deployments),
      values: Object.fromEntries(counters.map((k) => [k, Number(r[k] ?? 0)])),
    })),
  };
}

export interface VersionLagRow {
  deploymentId: string;
  orgId: string;
  orgName: string;
  name: string;
  platform: DeploymentPlatform;
  version: string;
  /** Stable releases newer than its version, up to the latest; null when its version is not MAJOR.MINOR.PATCH. */
  releasesBehind: number | null;
  lastReportAt: Date | null;
}

export interface VersionLag {
  latestVersion: string | null;
  deployments: VersionLagRow[];
}

/** How many stable, released, not withdrawn releases lie in (version, latest]. */
export function releasesBehind(
  version: string,
  latest: string,
  releases: readonly ReleaseInfo[],
  now: Date,
): number | null {
  try {
    if (compareVersions(version, latest) >= 0) return 0;
    return releases.filter(
      (r) =>
        r.channel === "stable" &&
        !r.withdrawnAt &&
        r.releasedAt.getTime() <= now.getTime() &&
        compareVersions(r.version, version) > 0 &&
        compareVersions(r.version, latest) <= 0,
    ).length;
  } catch {
    return null;
  }
}

/** Staff: every deployment against the newest stable orderable release, most releases behind first. */
export async function telemetryVersionLag(actor: Actor, now: Date = new Date()): Promise<VersionLag> {
  assertStaff(actor);
  const [releases, deployments] = await Promise.all([
    loadReleaseInfos(),
    db().customerDeployment.findMany({
      select: {
        id: true,
        orgId: true,
        name: true,
        platform: true,
        version: true,
        lastReportAt: true,
        org: { select: { name: true } },
      },
    }),
  ]);
  const latest = defaultOrderRelease(releases, now)?.version ?? null;
  const rows: VersionLagRow[] = deployments.map((d) => ({
    deploymentId: d.id,
    orgId: d.orgId,
    orgName: d.org.name,
    name: d.name,
    platform: d.platform,
    version: d.version,
    releasesBehind: latest ? releasesBehind(d.version, latest, releases, now) : null,
    lastReportAt: d.lastReportAt,
  }));
  // Most behind first; unknown versions after the known ones (they need a look, but cannot be ranked).
  rows.sort(
    (a, b) =>
      (b.releasesBehind ?? -1) - (a.releasesBehind ?? -1) ||
      a.orgName.localeCompare(b.orgName) ||
      a.name.localeCompare(b.name),
  );
  return { latestVersion: latest, deployments: rows };
}

export interface StaleDeployment {
  deploymentId: string;
  orgId: string;
  orgName: string;
  name: string;
  platform: DeploymentPlatform;
  version: string;
  lastReportAt: Date | null;
  lastReportDay: string | null;
  createdAt: Date;
  /** Whole days since the last report; null when it never reported. */
  silentDays: number | null;
}

/** Staff: deployments with no report for CP_TELEMETRY_STALE_DAYS days, or none ever; never-reported first. */
export async function telemetryStaleDeployments(
  actor: Actor,
  now: Date = new Date(),
): Promise<{ staleDays: number; deployments: StaleDeployment[] }> {
  assertStaff(actor);
  const staleDays = env().CP_TELEMETRY_STALE_DAYS;
  const cutoff = new Date(now.getTime() - staleDays * DAY_MS);
  const rows = await db().customerDeployment.findMany({
    where: { OR: [{ lastReportAt: null }, { lastReportAt: { lt: cutoff } }] },
    orderBy: [{ lastReportAt: { sort: "asc", nulls: "first" } }, { createdAt: "asc" }],
    take: 1000,
    select: {
      id: true,
      orgId: true,
      name: true,
      platform: true,
      version: true,
      lastReportAt: true,
      lastReportDay: true,
      createdAt: true,
      org: { select: { name: true } },
    },
  });
  return {
    staleDays,
    deployments: rows.map((d) => ({
      deploymentId: d.id,
      orgId: d.orgId,
      orgName: d.org.name,
      name: d.name,
      platform: d.platform,
      version: d.version,
      lastReportAt: d.lastReportAt,
      lastReportDay: d.lastReportDay,
      createdAt: d.createdAt,
      silentDays: d.lastReportAt ? Math.floor((now.getTime() - d.lastReportAt.getTime()) / DAY_MS) : null,
    })),
  };
}
