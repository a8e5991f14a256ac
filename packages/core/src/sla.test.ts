import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { addBusinessMinutes, businessMinutesBetween, nearBreachAt, slaClock } from "./sla";
import { DEFAULT_SUPPORT_PLANS, clockHours, type BusinessHours } from "./support";

const NY: BusinessHours = {
  timeZone: "America/New_York",
  days: [1, 2, 3, 4, 5],
  start: "09:00",
  end: "17:00",
};
const BERLIN: BusinessHours = {
  timeZone: "Europe/Berlin",
  days: [1, 2, 3, 4, 5],
  start: "09:00",
  end: "17:00",
};

/** A local wall-clock time in a zone, as a Date. */
const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const ny = (iso: string) => at(iso, "America/New_York");
const berlin = (iso: string) => at(iso, "Europe/Berlin");
/** The local wall-clock time of a Date in a zone, to the minute. */
const local = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat("ccc yyyy-MM-dd HH:mm");

describe("addBusinessMinutes on a Mon-Fri 09:00-17:00 New York plan", () => {
  it("carries a P2 opened Friday 16:00 with a 4-hour target over the weekend to Monday 12:00", () => {
    const due = addBusinessMinutes(ny("2026-01-16T16:00"), 4 * 60, NY);
    expect(local(due, NY.timeZone)).toBe("Mon 2026-01-19 12:00");
    // The standard plan's P2 uses exactly these hours and target.
    const plan = DEFAULT_SUPPORT_PLANS.standard!;
    expect(clockHours(plan, "P2")).toEqual(NY);
    expect(plan.targets.P2.firstResponseMinutes).toBe(240);
  });

  it("starts the clock at the next opening when opened outside hours", () => {
    // Saturday: nothing counts until Monday 09:00.
    expect(local(addBusinessMinutes(ny("2026-01-17T10:00"), 60, NY), NY.timeZone)).toBe(
      "Mon 2026-01-19 10:00",
    );
    // Before opening on a weekday.
    expect(local(addBusinessMinutes(ny("2026-01-20T06:30"), 30, NY), NY.timeZone)).toBe(
      "Tue 2026-01-20 09:30",
    );
    // After closing: the next working day.
    expect(local(addBusinessMinutes(ny("2026-01-20T18:00"), 30, NY), NY.timeZone)).toBe(
      "Wed 2026-01-21 09:30",
    );
    // Friday evening: Monday.
    expect(local(addBusinessMinutes(ny("2026-01-16T19:00"), 8 * 60, NY), NY.timeZone)).toBe(
      "Mon 2026-01-19 17:00",
    );
  });

  it("ends exactly at closing time rather than the next morning when the target fits the day", () => {
    expect(local(addBusinessMinutes(ny("2026-01-16T16:00"), 60, NY), NY.timeZone)).toBe(
      "Fri 2026-01-16 17:00",
    );
    expect(local(addBusinessMinutes(ny("2026-01-16T16:00"), 61, NY), NY.timeZone)).toBe(
      "Mon 2026-01-19 09:01",
    );
  });

  it("spans several business days", () => {
    // 3 business days from Wednesday 13:00: Wed 4h + Thu 8h + Fri 8h + Mon 4h.
    const due = addBusinessMinutes(ny("2026-01-14T13:00"), 3 * 8 * 60, NY);
    expect(local(due, NY.timeZone)).toBe("Mon 2026-01-19 13:00");
  });

  it("keeps 09:00-17:00 local across the March change (clocks go forward on Sunday 8 March 2026)", () => {
    // Friday 6 March 16:00 EST (UTC-5) + 2h: Monday 9 March 10:00 EDT (UTC-4).
    const due = addBusinessMinutes(ny("2026-03-06T16:00"), 120, NY);
    expect(local(due, NY.timeZone)).toBe("Mon 2026-03-09 10:00");
    expect(due.toISOString()).toBe("2026-03-09T14:00:00.000Z");
    // Over the weekend the wall clock lost an hour, business time did not.
    expect(businessMinutesBetween(ny("2026-03-06T16:00"), due, NY)).toBe(120);
    expect(businessMinutesBetween(ny("2026-03-06T16:00"), due, null)).toBe(65 * 60);
  });

  it("keeps 09:00-17:00 local across the November change (clocks go back on Sunday 1 November 2026)", () => {
    const due = addBusinessMinutes(ny("2026-10-30T16:30"), 60, NY);
    expect(local(due, NY.timeZone)).toBe("Mon 2026-11-02 09:30");
    expect(due.toISOString()).toBe("2026-11-02T14:30:00.000Z");
    expect(businessMinutesBetween(ny("2026-10-30T16:30"), due, null)).toBe(66 * 60);
  });

  it("counts a working day on which the clocks change in full", () => {
    // A plan that works on Sundays sees an 8-hour window on the day of each change.
    const everyDay: BusinessHours = { ...NY, days: [1, 2, 3, 4, 5, 6, 7] };
    expect(businessMinutesBetween(ny("2026-03-08T00:00"), ny("2026-03-09T00:00"), everyDay)).toBe(480);
    expect(businessMinutesBetween(ny("2026-11-01T00:00"), ny("2026-11-02T00:00"), everyDay)).toBe(480);
  });
});

describe("another zone: Europe/Berlin", () => {
  it("follows Berlin's own change dates (29 March and 25 October 2026), not New York's", () => {
    // Friday 27 March 16:00 CET (UTC+1) + 2h business: Monday 30 March 10:00 CEST (UTC+2).
    const spring = addBusinessMinutes(berlin("2026-03-27T16:00"), 120, BERLIN);
    expect(local(spring, BERLIN.timeZone)).toBe("Mon 2026-03-30 10:00");
    expect(spring.toISOString()).toBe("2026-03-30T08:00:00.000Z");
    const autumn = addBusinessMinutes(berlin("2026-10-23T16:00"), 120, BERLIN);
    expect(local(autumn, BERLIN.timeZone)).toBe("Mon 2026-10-26 10:00");
    expect(autumn.toISOString()).toBe("2026-10-26T09:00:00.000Z");
  });

  it("between New York's change and Berlin's, the same UTC instant maps to each zone's own hours", () => {
    // 9 March 2026: New York is on EDT (UTC-4), Berlin still on CET (UTC+1): 14:00Z is 10:00 NY, 15:00 Berlin.
    const t = new Date("2026-03-09T14:00:00Z");
    expect(businessMinutesBetween(t, addBusinessMinutes(t, 60, NY), NY)).toBe(60);
    expect(local(addBusinessMinutes(t, 180, BERLIN), BERLIN.timeZone)).toBe("Tue 2026-03-10 10:00");
  });
});

describe("around-the-clock plans", () => {
  it("counts wall-clock minutes, weekends and nights included", () => {
    const start = new Date("2026-01-16T21:00:00Z");
    expect(addBusinessMinutes(start, 60, null).toISOString()).toBe("2026-01-16T22:00:00.000Z");
    expect(businessMinutesBetween(start, new Date("2026-01-18T21:00:00Z"), null)).toBe(2 * 24 * 60);
  });

  it("uses them for all-hours severities of a business-hours plan", () => {
    const plan = DEFAULT_SUPPORT_PLANS.standard!;
    expect(clockHours(plan, "P1")).toBeNull();
    expect(clockHours(DEFAULT_SUPPORT_PLANS.premium!, "P4")).toBeNull();
  });
});

describe("businessMinutesBetween", () => {
  it("is zero across a weekend and negative backwards", () => {
    expect(businessMinutesBetween(ny("2026-01-16T17:00"), ny("2026-01-19T09:00"), NY)).toBe(0);
    expect(businessMinutesBetween(ny("2026-01-19T12:00"), ny("2026-01-16T16:00"), NY)).toBe(-240);
  });
});

describe("slaClock", () => {
  const startedAt = ny("2026-01-16T16:00");
  const dueAt = ny("2026-01-19T12:00"); // 240 business minutes
  const clock = (now: Date, stoppedAt: Date | null = null, nearBreachPercent = 75) =>
    slaClock({ dueAt, startedAt, stoppedAt, now, hours: NY, nearBreachPercent });

  it("runs ok, turns near at the plan's share of the target, then breached", () => {
    // Saturday: only 60 business minutes have gone.
    expect(clock(ny("2026-01-17T12:00"))).toEqual({ state: "ok", remainingMinutes: 180 });
    // Monday 10:59: 179 of 240 minutes gone (74.6%).
    expect(clock(ny("2026-01-19T10:59"))).toEqual({ state: "ok", remainingMinutes: 61 });
    // Monday 11:00: 180 of 240 (75%) gone.
    expect(clock(ny("2026-01-19T11:00"))).toEqual({ state: "near", remainingMinutes: 60 });
    expect(clock(ny("2026-01-19T11:00"), null, 90).state).toBe("ok");
    expect(clock(ny("2026-01-19T12:00"))).toEqual({ state: "near", remainingMinutes: 0 });
    expect(clock(ny("2026-01-19T12:00:30"))).toEqual({ state: "breached", remainingMinutes: -1 });
    expect(clock(ny("2026-01-19T14:00"))).toEqual({ state: "breached", remainingMinutes: -120 });
  });

  it("is met or breached once stopped, whatever the time now", () => {
    expect(clock(ny("2026-02-01T00:00"), ny("2026-01-19T09:30"))).toEqual({
      state: "met",
      remainingMinutes: 150,
    });
    expect(clock(ny("2026-02-01T00:00"), ny("2026-01-19T13:00"))).toEqual({
      state: "breached",
      remainingMinutes: -60,
    });
  });

  it("says when the near-breach threshold is crossed", () => {
    expect(local(nearBreachAt(startedAt, dueAt, NY, 75), NY.timeZone)).toBe("Mon 2026-01-19 11:00");
    expect(nearBreachAt(new Date(0), new Date(60 * 60_000), null, 50).getTime()).toBe(30 * 60_000);
  });
});
