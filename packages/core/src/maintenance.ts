// Biweekly maintenance windows. A window is a local wall-clock time in an IANA zone, so "Tuesday 02:00
// Europe/Berlin" stays 02:00 on the wall across daylight-saving changes; all calendar and offset work is luxon's.
//
// - Occurrence n falls on the local date first + 14n days (calendar days, not 14 × 24 hours).
// - Its start is that date at `start` local. A start that does not exist (inside a spring-forward gap, e.g. 02:30
//   in New York on 8 March 2026) is moved forward by the gap, as luxon does: 03:30 EDT. A start that exists twice
//   (inside a fall-back overlap, e.g. 01:30 in New York on 1 November 2026) is the second one, after the clocks go
//   back (luxon 3's choice): 01:30 EST.
// - Its end is start + durationMin of real time, so a window that spans a change still lasts durationMin (its
//   wall-clock end moves by the change).
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";

export interface MaintenanceWindowConfig {
  /** 1 Monday .. 7 Sunday (luxon numbering). */
  weekday: number;
  /** "HH:MM" local. */
  start: string;
  /** 30..720. */
  durationMin: number;
  /** IANA zone, e.g. "Europe/Berlin". */
  timezone: string;
  /** "YYYY-MM-DD" local; the first window is the first `weekday` on or after it, then every 14 days. */
  anchor: string;
}

/** A name luxon (and so Intl) resolves as an IANA zone; fixed offsets such as "+02:00" are not accepted. */
export function isValidTimeZone(zone: string): boolean {
  return typeof zone === "string" && /^[A-Za-z]/.test(zone) && IANAZone.isValidZone(zone);
}

const MIN_DURATION = 30;
const MAX_DURATION = 720;

export const ZMaintenanceWindowConfig: z.ZodType<MaintenanceWindowConfig> = z.object({
  weekday: z
    .number({ error: "weekday: use a number from 1 (Monday) to 7 (Sunday)" })
    .int("weekday: use a whole number from 1 (Monday) to 7 (Sunday)")
    .min(1, "weekday: use a number from 1 (Monday) to 7 (Sunday)")
    .max(7, "weekday: use a number from 1 (Monday) to 7 (Sunday)"),
  start: z
    .string({ error: "start: use a 24-hour local time HH:MM, e.g. 02:00" })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "start: use a 24-hour local time HH:MM, e.g. 02:00"),
  durationMin: z
    .number({ error: `durationMin: use minutes from ${MIN_DURATION} to ${MAX_DURATION}, e.g. 240` })
    .int(`durationMin: use whole minutes from ${MIN_DURATION} to ${MAX_DURATION}, e.g. 240`)
    .min(MIN_DURATION, `durationMin: must be at least ${MIN_DURATION} minutes`)
    .max(MAX_DURATION, `durationMin: must be at most ${MAX_DURATION} minutes (12 hours)`),
  timezone: z
    .string({ error: "timezone: use an IANA time zone (e.g. Europe/Berlin)" })
    .refine(isValidTimeZone, {
      error: (iss) => `timezone: ${JSON.stringify(iss.input)} is not an IANA time zone (e.g. Europe/Berlin)`,
    }),
  anchor: z
    .string({ error: "anchor: use a local date YYYY-MM-DD, e.g. 2026-01-13" })
    .refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && DateTime.fromISO(v).isValid, {
      error: (iss) => `anchor: ${JSON.stringify(iss.input)} is not a date; use YYYY-MM-DD, e.g. 2026-01-13`,
    }),
});

export const WEEKDAY_NAMES: readonly string[] = [
  "",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
];

export type SkipReason = "fleet_blackout" | "customer_blackout" | "deferred";

export interface WindowOccurrence {
  start: Date;
  end: Date;
  /** YYYY-MM-DD of `start` in the window's zone. */
  localDate: string;
  skipped: SkipReason | null;
}

export interface WindowExclusions {
  /** Local dates (YYYY-MM-DD, in the window's zone) set by staff for the whole fleet. */
  fleetBlackouts?: readonly string[];
  /** Local dates set by the customer for this instance. */
  customerBlackouts?: readonly string[];
  /** ISO instants of the starts of windows the customer deferred. */
  deferred?: readonly string[];
}

const PERIOD_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Series {
  cfg: MaintenanceWindowConfig;
  /** The local date of occurrence 0, at midnight in the zone. */
  first: DateTime;
  hour: number;
  minute: number;
  fleet: ReadonlySet<string>;
  customer: ReadonlySet<string>;
  deferred: ReadonlySet<number>;
}

function series(cfg: MaintenanceWindowConfig, ex: WindowExclusions | undefined): Series {
  if (!isValidTimeZone(cfg.timezone))
    throw new RangeError(
      `timezone: ${JSON.stringify(cfg.timezone)} is not an IANA time zone (e.g. Europe/Berlin)`,
    );
  const anchor = DateTime.fromISO(cfg.anchor, { zone: cfg.timezone });
  if (!anchor.isValid)
    throw new RangeError(`anchor: ${JSON.stringify(cfg.anchor)} is not a date; use YYYY-MM-DD`);
  const [h, m] = cfg.start.split(":");
  const first = anchor.startOf("day").plus({ days: (cfg.weekday - anchor.weekday + 7) % 7 });
  const deferred = new Set<number>();
  for (const iso of ex?.deferred ?? []) {
    const t = Date.parse(iso);
    if (!Number.isNaN(t)) deferred.add(t);
  }
  return {
    cfg,
    first,
    hour: Number(h),
    minute: Number(m),
    fleet: new Set(ex?.fleetBlackouts ?? []),
    customer: new Set(ex?.customerBlackouts ?? []),
    deferred,
  };
}

/** Occurrence `n` (0-based) of the series, with why it is skipped if it is. */
function occurrence(s: Series, n: number): WindowOccurrence {
  const day = s.first.plus({ days: PERIOD_DAYS * n });
  // fromObject (not arithmetic on a UTC instant) lets luxon resolve gaps and overlaps of the local time.
  const start = DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour: s.hour, minute: s.minute },
    { zone: s.cfg.timezone },
  );
  const end = start.plus({ minutes: s.cfg.durationMin });
  const localDate = start.toISODate()!;
  // The last moment inside the window, so one ending at 00:00 does not touch the next day.
  const endDate = end.minus({ milliseconds: 1 }).toISODate()!;
  const on = (dates: ReadonlySet<string>) => dates.has(localDate) || dates.has(endDate);
  let skipped: SkipReason | null = null;
  if (on(s.fleet)) skipped = "fleet_blackout";
  else if (on(s.customer)) skipped = "customer_blackout";
  else if (s.deferred.has(start.toMillis())) skipped = "deferred";
  return { start: start.toJSDate(), end: end.toJSDate(), localDate, skipped };
}

/**
 * The index of an occurrence a little before `t`: two periods of slack cover the hours that offsets and a
 * window's length can move things by.
 */
function indexNear(s: Series, t: number): number {
  return Math.max(0, Math.floor((t - s.first.toMillis()) / (PERIOD_DAYS * DAY_MS)) - 2);
}

function exclusionCount(s: Series): number {
  return s.fleet.size + s.customer.size + s.deferred.size;
}

/**
 * Occurrences whose end is after `from` (so one in progress counts), in order, until `count` non-skipped ones
 * have been listed. Skipped ones are left out unless `includeSkipped`, in which case those that fall before the
 * last listed window are included too, flagged (so `count: 3` gives the next three windows that will happen and
 * the skipped ones between them). A blackout date skips a window starting OR ending on it (local).
 */
export function windowOccurrences(
  cfg: MaintenanceWindowConfig,
  from: Date,
  count: number,
  ex?: WindowExclusions & { includeSkipped?: boolean },
): WindowOccurrence[] {
  const s = series(cfg, ex);
  const out: WindowOccurrence[] = [];
  if (count <= 0) return out;
  const t = from.getTime();
  // Each exclusion can skip at most one occurrence (a date lies in at most one of them), which bounds the walk.
  const limit = indexNear(s, t) + 3 + count + exclusionCount(s);
  let taken = 0;
  for (let n = indexNear(s, t); n <= limit && taken < count; n += 1) {
    const o = occurrence(s, n);
    if (o.end.getTime() <= t) continue;
    if (o.skipped === null) taken += 1;
    if (o.skipped === null || ex?.includeSkipped) out.push(o);
  }
  return out;
}

/** The first non-skipped window whose start is at or after `after`. */
export function nextWindowOpening(
  cfg: MaintenanceWindowConfig,
  after: Date,
  ex?: WindowExclusions,
): WindowOccurrence {
  const s = series(cfg, ex);
  const t = after.getTime();
  const limit = indexNear(s, t) + 4 + exclusionCount(s);
  for (let n = indexNear(s, t); n <= limit; n += 1) {
    const o = occurrence(s, n);
    if (o.start.getTime() >= t && o.skipped === null) return o;
  }
  /* c8 ignore next */
  throw new Error("no maintenance window found; check the window's exclusions");
}

/** The index of the occurrence starting exactly at `t`, or null. */
function indexOfStart(s: Series, t: number): number | null {
  for (let n = indexNear(s, t); n <= indexNear(s, t) + 4; n += 1) {
    const at = occurrence(s, n).start.getTime();
    if (at === t) return n;
    if (at > t) return null;
  }
  return null;
}

const describeStart = (s: Series, o: WindowOccurrence) =>
  DateTime.fromJSDate(o.start, { zone: s.cfg.timezone }).toFormat("ccc d LLL yyyy HH:mm", {
    locale: "en-US",
  });

/**
 * Whether the customer may defer the window starting at `windowStart` (must be a real upcoming occurrence, not
 * already deferred, and fewer than maxConsecutive deferred occurrences right before it in the sequence).
 *
 * The run is counted along the sequence of occurrences: windows skipped for a blackout neither count nor break
 * it. Deferred windows right after this one count too, so deferring an earlier window cannot stitch a longer run
 * together than the limit allows.
 */
export function checkDeferral(
  cfg: MaintenanceWindowConfig,
  windowStart: Date,
  now: Date,
  ex: WindowExclusions,
  maxConsecutive: number,
): { ok: true } | { ok: false; reason: string } {
  const s = series(cfg, ex);
  const t = windowStart.getTime();
  const n = indexOfStart(s, t);
  if (n === null)
    return {
      ok: false,
      reason: `${windowStart.toISOString()} is not the start of one of this instance's maintenance windows; pick one of the upcoming windows listed`,
    };
  const o = occurrence(s, n);
  const when = describeStart(s, o);
  if (t <= now.getTime())
    return {
      ok: false,
      reason: `the window of ${when} has already started; only an upcoming window can be deferred`,
    };
  if (o.skipped === "deferred") return { ok: false, reason: `the window of ${when} is already deferred` };
  if (o.skipped)
    return {
      ok: false,
      reason: `the window of ${when} falls on a ${o.skipped === "fleet_blackout" ? "fleet" : "customer"} blackout date, so no work is done then; nothing to defer`,
    };
  if (maxConsecutive <= 0)
    return {
      ok: false,
      reason: `deferring windows is turned off; move the window or set blackout dates instead`,
    };
  let run = 0;
  for (let k = n - 1; k >= 0; k -= 1) {
    const prev = occurrence(s, k).skipped;
    if (prev === "deferred") run += 1;
    else if (prev === null) break;
  }
  // Deferred windows after this one: a finite number, each at most one occurrence.
  for (let k = n + 1; k <= n + 1 + exclusionCount(s); k += 1) {
    const next = occurrence(s, k).skipped;
    if (next === "deferred") run += 1;
    else if (next === null) break;
  }
  if (run >= maxConsecutive)
    return {
      ok: false,
      reason: `${run} window${run === 1 ? " is" : "s are"} already deferred in a row next to the window of ${when} (limit ${maxConsecutive}); let this one go ahead, or move the window to a better day or time`,
    };
  return { ok: true };
}

/** Locales whose CLDR data name a zone's abbreviation (CET, EST, AEDT, IST) where en-US only gives "GMT+1". */
const ABBREVIATION_LOCALES = ["en-US", "en-GB", "en-AU", "en-IN"];

function zoneAbbreviation(d: DateTime): string {
  let fallback = "";
  for (const locale of ABBREVIATION_LOCALES) {
    const name = d.setLocale(locale).toFormat("ZZZZ");
    if (!fallback) fallback = name;
    if (!/^(GMT|UTC)[+-]/.test(name)) return name;
  }
  return fallback;
}

/**
 * e.g. "Tue 13 Jan 2026, 02:00–06:00 CET" in `zone` (the customer's); a window crossing midnight shows as
 * "Tue 13 Jan 2026, 23:00 – Wed 02:00 CET"; one spanning a daylight-saving change names both offsets.
 */
export function formatWindow(o: { start: Date; end: Date }, zone: string): string {
  if (!isValidTimeZone(zone))
    throw new RangeError(`zone: ${JSON.stringify(zone)} is not an IANA time zone (e.g. Europe/Berlin)`);
  const start = DateTime.fromJSDate(o.start, { zone }).setLocale("en-US");
  const end = DateTime.fromJSDate(o.end, { zone }).setLocale("en-US");
  const startAbbr = zoneAbbreviation(start);
  const endAbbr = zoneAbbreviation(end);
  const day = start.toFormat("ccc d LLL yyyy");
  const sameDay = start.hasSame(end, "day");
  const startText = start.toFormat("HH:mm") + (startAbbr === endAbbr ? "" : ` ${startAbbr}`);
  const endText = (sameDay ? "" : `${end.toFormat("ccc")} `) + `${end.toFormat("HH:mm")} ${endAbbr}`;
  return sameDay && startAbbr === endAbbr
    ? `${day}, ${startText}–${endText}`
    : `${day}, ${startText} – ${endText}`;
}
