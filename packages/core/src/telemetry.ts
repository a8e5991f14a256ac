// Telemetry from customer-managed deployments: one report per deployment and day with anonymized aggregated
// counters, nothing else. The schema is strict on purpose: a field we do not list is refused (and named), so a
// deployment cannot send us anything beyond what the customer agreed to share.
import { z } from "zod";
import { ZVersion } from "./releases";

/** The counters a report carries, in the order the console lists them. `userStat` is an object of its own. */
export const TELEMETRY_COUNTERS = [
  "userCount",
  "teamCount",
  "sweepCount",
  "runCount",
  "projectCount",
  "sweepRunCount",
  "artifactCount",
  "artifactStorageBytes",
  "artifactReferenceBytes",
  "artifactCollectionCount",
  "artifactTypeCount",
  "reportCount",
  "reportCommentCount",
  "computeHours",
  "storageBytes",
  "userStat",
] as const;
export type TelemetryCounterName = (typeof TELEMETRY_COUNTERS)[number];

export const TELEMETRY_USER_STATS = ["activeDaily", "activeWeekly", "activeMonthly"] as const;

/**
 * What the usage charts can plot: every number in a report, `userStat`'s as "userStat.<name>". The usage queries
 * build their SQL from these keys only (never from input), so they must stay plain identifiers.
 */
export type TelemetrySeriesKey =
  Exclude<TelemetryCounterName, "userStat"> | `userStat.${(typeof TELEMETRY_USER_STATS)[number]}`;

export type TelemetryUnit = "count" | "bytes" | "hours";

export const TELEMETRY_SERIES_INFO: Record<TelemetrySeriesKey, { label: string; unit: TelemetryUnit }> = {
  userCount: { label: "Users", unit: "count" },
  teamCount: { label: "Teams", unit: "count" },
  sweepCount: { label: "Sweeps", unit: "count" },
  runCount: { label: "Runs", unit: "count" },
  projectCount: { label: "Projects", unit: "count" },
  sweepRunCount: { label: "Sweep runs", unit: "count" },
  artifactCount: { label: "Artifacts", unit: "count" },
  artifactStorageBytes: { label: "Artifact storage", unit: "bytes" },
  artifactReferenceBytes: { label: "Artifact references", unit: "bytes" },
  artifactCollectionCount: { label: "Artifact collections", unit: "count" },
  artifactTypeCount: { label: "Artifact types", unit: "count" },
  reportCount: { label: "Reports", unit: "count" },
  reportCommentCount: { label: "Report comments", unit: "count" },
  computeHours: { label: "Compute hours", unit: "hours" },
  storageBytes: { label: "Storage", unit: "bytes" },
  "userStat.activeDaily": { label: "Daily active users", unit: "count" },
  "userStat.activeWeekly": { label: "Weekly active users", unit: "count" },
  "userStat.activeMonthly": { label: "Monthly active users", unit: "count" },
};

export const ALL_TELEMETRY_SERIES = Object.keys(TELEMETRY_SERIES_INFO) as TelemetrySeriesKey[];

const missingOr = (what: string) => (iss: { input: unknown }) =>
  iss.input === undefined ? "is required" : what;

const ZCount = z
  .number({ error: missingOr("must be a number") })
  .int("must be a whole number")
  .min(0, "must not be negative")
  .max(Number.MAX_SAFE_INTEGER, "is too large");

const ZAmount = z
  .number({ error: missingOr("must be a number") })
  .min(0, "must not be negative")
  .max(1e15, "is too large");

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A UTC calendar day "YYYY-MM-DD" that exists (no 2025-02-30). */
export const ZTelemetryDay = z
  .string({ error: missingOr("must be a string") })
  .regex(DAY_RE, "use YYYY-MM-DD (the UTC day the counters are for)")
  .refine((d) => {
    // Zod runs this even when the pattern failed; Date.parse is NaN for 2025-02-30 and for anything but a day.
    const t = Date.parse(`${d}T00:00:00Z`);
    return !DAY_RE.test(d) || (Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d);
  }, "is not a calendar day");

export const ZTelemetryUserStat = z
  .object(
    { activeDaily: ZCount, activeWeekly: ZCount, activeMonthly: ZCount },
    { error: missingOr("must be an object") },
  )
  .strict();

export const ZTelemetryCounters = z
  .object(
    {
      userCount: ZCount,
      teamCount: ZCount,
      sweepCount: ZCount,
      runCount: ZCount,
      projectCount: ZCount,
      sweepRunCount: ZCount,
      artifactCount: ZCount,
      artifactStorageBytes: ZCount,
      artifactReferenceBytes: ZCount,
      artifactCollectionCount: ZCount,
      artifactTypeCount: ZCount,
      reportCount: ZCount,
      reportCommentCount: ZCount,
      computeHours: ZAmount,
      storageBytes: ZCount,
      userStat: ZTelemetryUserStat,
    },
    { error: missingOr("must be an object") },
  )
  .strict();
export type TelemetryCounters = z.infer<typeof ZTelemetryCounters>;

export const ZTelemetryReport = z
  .object(
    {
      day: ZTelemetryDay,
      version: z
        .string({ error: missingOr("must be a string") })
        .max(64, "is too long")
        .pipe(ZVersion),
      counters: ZTelemetryCounters,
    },
    { error: "must be a JSON object with day, version and counters" },
  )
  .strict();
export type TelemetryReport = z.infer<typeof ZTelemetryReport>;

export interface TelemetryIssue {
  /** Dotted path of the field ("counters.runCount"); "" for the report itself. */
  path: string;
  message: string;
}

/** Zod's issues as the ingest answers them: one per field, unknown fields named by their own path. */
export function telemetryIssues(error: z.ZodError): TelemetryIssue[] {
  const out: TelemetryIssue[] = [];
  for (const i of error.issues) {
    const base = i.path.map(String);
    if (i.code === "unrecognized_keys") {
      for (const key of i.keys)
        out.push({
          path: [...base, key].join("."),
          message: "is not an accepted field; remove it (reports carry only the documented counters)",
        });
    } else out.push({ path: base.join("."), message: i.message });
  }
  return out;
}

export const TELEMETRY_MAX_PAST_DAYS = 400;
const DAY_MS = 86_400_000;

/** The UTC day of `d`, "YYYY-MM-DD". */
export function telemetryDayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `day` moved by `n` days (UTC). */
export function shiftTelemetryDay(day: string, n: number): string {
  return telemetryDayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/**
 * Why a report's day is refused, or null: at most one day ahead of `now` (a deployment east of UTC is already in
 * tomorrow) and at most TELEMETRY_MAX_PAST_DAYS back (older data is not kept or charted).
 */
export function telemetryDayProblem(day: string, now: Date): string | null {
  const today = telemetryDayOf(now);
  if (day > shiftTelemetryDay(today, 1))
    return `is in the future; send the UTC day the counters are for (today is ${today})`;
  if (day < shiftTelemetryDay(today, -TELEMETRY_MAX_PAST_DAYS))
    return `is more than ${TELEMETRY_MAX_PAST_DAYS} days ago; such old days are not accepted`;
  return null;
}

/** The value of a series in a report's counters. */
export function telemetrySeriesValue(counters: TelemetryCounters, key: TelemetrySeriesKey): number {
  if (key.startsWith("userStat.")) {
    const stat = key.slice("userStat.".length) as (typeof TELEMETRY_USER_STATS)[number];
    return counters.userStat[stat];
  }
  return counters[key as Exclude<TelemetryCounterName, "userStat">];
}
