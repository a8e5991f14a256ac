// SLA clock arithmetic for support requests: targets are counted in business minutes when the plan has business
// hours, else in wall-clock minutes. Business hours are read in their IANA zone with luxon, so a window of
// 09:00-17:00 stays 09:00-17:00 local time across daylight-saving changes; the minutes counted are real elapsed
// minutes inside those windows.
import { DateTime } from "luxon";
import type { BusinessHours } from "./support";

const MINUTE_MS = 60_000;
/** A guard against a malformed plan looping for ever: ten years of days. */
const MAX_DAYS = 3660;

interface Window {
  start: number;
  end: number;
}

function hhmm(value: string): { hour: number; minute: number } {
  const [h, m] = value.split(":");
  return { hour: Number(h), minute: Number(m) };
}

/** The business window of the local day that `day` falls on, or null when the plan does not work that day. */
function windowOf(day: DateTime, hours: BusinessHours): Window | null {
  if (!hours.days.includes(day.weekday)) return null;
  const start = day.set({ ...hhmm(hours.start), second: 0, millisecond: 0 });
  const end = day.set({ ...hhmm(hours.end), second: 0, millisecond: 0 });
  return { start: start.toMillis(), end: end.toMillis() };
}

/** Local days in the plan's zone from the one containing `from`, each with its window (if any). */
function* days(from: number, hours: BusinessHours): Generator<{ dayStart: number; window: Window | null }> {
  let day = DateTime.fromMillis(from, { zone: hours.timeZone }).startOf("day");
  for (let i = 0; i < MAX_DAYS; i += 1) {
    yield { dayStart: day.toMillis(), window: windowOf(day, hours) };
    day = day.plus({ days: 1 }).startOf("day");
  }
  throw new Error("SLA arithmetic ran past ten years; check the plan's business hours");
}

/** `start` plus `minutes` of clock time: business minutes when `hours` is given, wall-clock minutes when null. */
export function addBusinessMinutes(start: Date, minutes: number, hours: BusinessHours | null): Date {
  if (!(minutes >= 0)) throw new RangeError("minutes must be zero or more");
  if (hours === null) return new Date(start.getTime() + minutes * MINUTE_MS);
  if (minutes === 0) return new Date(start.getTime());
  let remaining = minutes * MINUTE_MS;
  const from = start.getTime();
  for (const { window } of days(from, hours)) {
    if (!window) continue;
    const begin = Math.max(from, window.start);
    if (begin >= window.end) continue;
    const available = window.end - begin;
    if (remaining <= available) return new Date(begin + remaining);
    remaining -= available;
  }
  /* c8 ignore next */
  throw new Error("unreachable");
}

/**
 * Clock minutes from `from` to `to` (business minutes when `hours` is given); negative when `to` is before `from`.
 * Fractions of a minute are kept.
 */
export function businessMinutesBetween(from: Date, to: Date, hours: BusinessHours | null): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b < a) return -businessMinutesBetween(to, from, hours);
  if (hours === null) return (b - a) / MINUTE_MS;
  let total = 0;
  for (const { dayStart, window } of days(a, hours)) {
    if (dayStart >= b) break;
    if (!window) continue;
    const begin = Math.max(a, window.start);
    const end = Math.min(b, window.end);
    if (end > begin) total += end - begin;
  }
  return total / MINUTE_MS;
}

export type SlaState = "ok" | "near" | "breached" | "met";

export interface SlaClockInput {
  dueAt: Date;
  /** When the clock started (the request opened). */
  startedAt: Date;
  /** When the clock stopped (answered or resolved); null while it runs. */
  stoppedAt: Date | null;
  now: Date;
  hours: BusinessHours | null;
  /** Share (%) of the target's time after which a running clock is near breach. */
  nearBreachPercent: number;
}

export interface SlaClock {
  state: SlaState;
  /**
   * Business minutes left until the due time (from now, or from when the clock stopped), rounded down to whole
   * minutes; negative once past due.
   */
  remainingMinutes: number;
}

/** Where one SLA clock stands: met or breached once stopped; ok, near or breached while it runs. */
export function slaClock(input: SlaClockInput): SlaClock {
  const { dueAt, startedAt, stoppedAt, now, hours } = input;
  const at = stoppedAt ?? now;
  const remaining = businessMinutesBetween(at, dueAt, hours);
  const remainingMinutes = Math.floor(remaining);
  if (at.getTime() > dueAt.getTime()) return { state: "breached", remainingMinutes };
  if (stoppedAt) return { state: "met", remainingMinutes };
  const total = businessMinutesBetween(startedAt, dueAt, hours);
  const elapsed = total - remaining;
  const near = total <= 0 || elapsed >= (total * input.nearBreachPercent) / 100;
  return { state: near ? "near" : "ok", remainingMinutes };
}

/** The moment a clock started at `startedAt` and due at `dueAt` becomes near breach. */
export function nearBreachAt(
  startedAt: Date,
  dueAt: Date,
  hours: BusinessHours | null,
  nearBreachPercent: number,
): Date {
  const total = Math.max(0, businessMinutesBetween(startedAt, dueAt, hours));
  return addBusinessMinutes(startedAt, (total * nearBreachPercent) / 100, hours);
}
