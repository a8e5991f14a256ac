import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  WEEKDAY_NAMES,
  ZMaintenanceWindowConfig,
  checkDeferral,
  formatWindow,
  isValidTimeZone,
  nextWindowOpening,
  windowOccurrences,
  type MaintenanceWindowConfig,
  type WindowOccurrence,
} from "./maintenance";

const iso = (d: Date) => d.toISOString();
const utc = (s: string) => new Date(s);
/** Start/end instants and local dates of occurrences, for exact comparison. */
const shape = (os: WindowOccurrence[]) =>
  os.map((o) => ({ start: iso(o.start), end: iso(o.end), localDate: o.localDate, skipped: o.skipped }));
const starts = (os: WindowOccurrence[]) => os.map((o) => iso(o.start));
/** The wall-clock time of a Date in a zone. */
const wall = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat("ccc yyyy-MM-dd HH:mm ZZ");

const berlinTuesday: MaintenanceWindowConfig = {
  weekday: 2,
  start: "02:00",
  durationMin: 240,
  timezone: "Europe/Berlin",
  anchor: "2026-01-13",
};

describe("windowOccurrences: anchor and period", () => {
  it("starts on the anchor when it is the weekday, then every 14 local days", () => {
    const os = windowOccurrences(berlinTuesday, utc("2026-01-01T00:00:00Z"), 3);
    expect(shape(os)).toEqual([
      {
        start: "2026-01-13T01:00:00.000Z",
        end: "2026-01-13T05:00:00.000Z",
        localDate: "2026-01-13",
        skipped: null,
      },
      {
        start: "2026-01-27T01:00:00.000Z",
        end: "2026-01-27T05:00:00.000Z",
        localDate: "2026-01-27",
        skipped: null,
      },
      {
        start: "2026-02-10T01:00:00.000Z",
        end: "2026-02-10T05:00:00.000Z",
        localDate: "2026-02-10",
        skipped: null,
      },
    ]);
  });

  it("takes the first weekday after the anchor when the anchor is another day", () => {
    // Wednesday 14 January: the next Tuesday is the 20th.
    const os = windowOccurrences({ ...berlinTuesday, anchor: "2026-01-14" }, utc("2026-01-01T00:00:00Z"), 2);
    expect(starts(os)).toEqual(["2026-01-20T01:00:00.000Z", "2026-02-03T01:00:00.000Z"]);
    // Sunday 11 January: Tuesday the 13th.
    const sunday = windowOccurrences(
      { ...berlinTuesday, anchor: "2026-01-11" },
      utc("2026-01-01T00:00:00Z"),
      1,
    );
    expect(starts(sunday)).toEqual(["2026-01-13T01:00:00.000Z"]);
  });

  it("never yields a window before the anchor, however early `from` is", () => {
    const os = windowOccurrences(berlinTuesday, utc("2020-01-01T00:00:00Z"), 1);
    expect(starts(os)).toEqual(["2026-01-13T01:00:00.000Z"]);
  });

  it("finds the right occurrences far from the anchor", () => {
    // 2027-01-12 is 26 periods (364 days) after 2026-01-13.
    const os = windowOccurrences(berlinTuesday, utc("2027-01-05T00:00:00Z"), 2);
    expect(starts(os)).toEqual(["2027-01-12T01:00:00.000Z", "2027-01-26T01:00:00.000Z"]);
  });

  it("counts a window in progress and drops one that has ended", () => {
    // In progress at 03:00 UTC (04:00 Berlin) on 13 January.
    expect(starts(windowOccurrences(berlinTuesday, utc("2026-01-13T03:00:00Z"), 1))).toEqual([
      "2026-01-13T01:00:00.000Z",
    ]);
    // Exactly at its end it is over.
    expect(starts(windowOccurrences(berlinTuesday, utc("2026-01-13T05:00:00Z"), 1))).toEqual([
      "2026-01-27T01:00:00.000Z",
    ]);
    expect(windowOccurrences(berlinTuesday, utc("2026-01-13T05:00:00Z"), 0)).toEqual([]);
  });
});

describe("windowOccurrences across daylight-saving changes", () => {
  it("America/New_York, March: 02:00 EST then 02:00 EDT, so 14 days minus an hour apart", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 2,
      start: "02:00",
      durationMin: 240,
      timezone: "America/New_York",
      anchor: "2026-03-03",
    };
    const os = windowOccurrences(cfg, utc("2026-03-01T00:00:00Z"), 2);
    expect(shape(os)).toEqual([
      {
        start: "2026-03-03T07:00:00.000Z",
        end: "2026-03-03T11:00:00.000Z",
        localDate: "2026-03-03",
        skipped: null,
      },
      {
        start: "2026-03-17T06:00:00.000Z",
        end: "2026-03-17T10:00:00.000Z",
        localDate: "2026-03-17",
        skipped: null,
      },
    ]);
    expect(os[1]!.start.getTime() - os[0]!.start.getTime()).toBe((14 * 24 - 1) * 3600_000);
  });

  it("America/New_York, spring-forward day: 02:30 does not exist and becomes 03:30 EDT, still 2 hours long", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 7,
      start: "02:30",
      durationMin: 120,
      timezone: "America/New_York",
      anchor: "2026-02-22",
    };
    const os = windowOccurrences(cfg, utc("2026-02-01T00:00:00Z"), 3);
    expect(shape(os)).toEqual([
      // 02:30 EST.
      {
        start: "2026-02-22T07:30:00.000Z",
        end: "2026-02-22T09:30:00.000Z",
        localDate: "2026-02-22",
        skipped: null,
      },
      // 8 March: the clocks jump from 02:00 to 03:00, so the window opens at 03:30 EDT (07:30 UTC).
      {
        start: "2026-03-08T07:30:00.000Z",
        end: "2026-03-08T09:30:00.000Z",
        localDate: "2026-03-08",
        skipped: null,
      },
      // 02:30 EDT.
      {
        start: "2026-03-22T06:30:00.000Z",
        end: "2026-03-22T08:30:00.000Z",
        localDate: "2026-03-22",
        skipped: null,
      },
    ]);
    expect(wall(os[1]!.start, cfg.timezone)).toBe("Sun 2026-03-08 03:30 -04:00");
    expect(wall(os[1]!.end, cfg.timezone)).toBe("Sun 2026-03-08 05:30 -04:00");
  });

  it("America/New_York, a window spanning the spring-forward night lasts its real duration", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 6,
      start: "23:00",
      durationMin: 240,
      timezone: "America/New_York",
      anchor: "2026-03-07",
    };
    const [o] = windowOccurrences(cfg, utc("2026-03-01T00:00:00Z"), 1);
    expect(iso(o!.start)).toBe("2026-03-08T04:00:00.000Z");
    expect(iso(o!.end)).toBe("2026-03-08T08:00:00.000Z");
    expect(o!.localDate).toBe("2026-03-07");
    // 4 real hours, 5 on the wall.
    expect(wall(o!.end, cfg.timezone)).toBe("Sun 2026-03-08 04:00 -04:00");
  });

  it("America/New_York, November: 02:00 EDT then 02:00 EST", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 2,
      start: "02:00",
      durationMin: 60,
      timezone: "America/New_York",
      anchor: "2026-10-27",
    };
    const os = windowOccurrences(cfg, utc("2026-10-20T00:00:00Z"), 2);
    expect(starts(os)).toEqual(["2026-10-27T06:00:00.000Z", "2026-11-10T07:00:00.000Z"]);
    expect(os[1]!.start.getTime() - os[0]!.start.getTime()).toBe((14 * 24 + 1) * 3600_000);
  });

  it("America/New_York, fall-back day: 01:30 happens twice and the window takes the second (EST)", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 7,
      start: "01:30",
      durationMin: 60,
      timezone: "America/New_York",
      anchor: "2026-10-18",
    };
    const os = windowOccurrences(cfg, utc("2026-10-01T00:00:00Z"), 3);
    expect(starts(os)).toEqual([
      "2026-10-18T05:30:00.000Z", // 01:30 EDT
      "2026-11-01T06:30:00.000Z", // 01:30 EST, the second 01:30 of the night
      "2026-11-15T06:30:00.000Z", // 01:30 EST
    ]);
    expect(wall(os[1]!.start, cfg.timezone)).toBe("Sun 2026-11-01 01:30 -05:00");
  });

  it("America/New_York, a window spanning the fall-back night: 4 real hours, 3 on the wall", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 6,
      start: "23:00",
      durationMin: 240,
      timezone: "America/New_York",
      anchor: "2026-10-31",
    };
    const [o] = windowOccurrences(cfg, utc("2026-10-01T00:00:00Z"), 1);
    expect(iso(o!.start)).toBe("2026-11-01T03:00:00.000Z");
    expect(iso(o!.end)).toBe("2026-11-01T07:00:00.000Z");
    expect(wall(o!.end, cfg.timezone)).toBe("Sun 2026-11-01 02:00 -05:00");
  });

  it("Europe/Berlin, March and October: 02:00 CET, then CEST, then CET again", () => {
    const march = windowOccurrences(berlinTuesday, utc("2026-03-20T00:00:00Z"), 2);
    expect(starts(march)).toEqual(["2026-03-24T01:00:00.000Z", "2026-04-07T00:00:00.000Z"]);
    const october = windowOccurrences(berlinTuesday, utc("2026-10-15T00:00:00Z"), 2);
    expect(starts(october)).toEqual(["2026-10-20T00:00:00.000Z", "2026-11-03T01:00:00.000Z"]);
    expect(october.map((o) => wall(o.start, "Europe/Berlin"))).toEqual([
      "Tue 2026-10-20 02:00 +02:00",
      "Tue 2026-11-03 02:00 +01:00",
    ]);
  });

  it("Europe/Berlin, 02:30 on the spring-forward Sunday (29 March) opens at 03:30 CEST", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 7,
      start: "02:30",
      durationMin: 90,
      timezone: "Europe/Berlin",
      anchor: "2026-03-29",
    };
    const [o] = windowOccurrences(cfg, utc("2026-03-01T00:00:00Z"), 1);
    expect(shape([o!])).toEqual([
      {
        start: "2026-03-29T01:30:00.000Z",
        end: "2026-03-29T03:00:00.000Z",
        localDate: "2026-03-29",
        skipped: null,
      },
    ]);
  });

  it("Australia/Sydney (southern hemisphere): daylight saving ends in April and starts in October", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 1,
      start: "01:00",
      durationMin: 120,
      timezone: "Australia/Sydney",
      anchor: "2026-03-23",
    };
    // 23 March 01:00 AEDT (+11), 6 April 01:00 AEST (+10): the local date is a day ahead of UTC.
    const april = windowOccurrences(cfg, utc("2026-03-01T00:00:00Z"), 2);
    expect(shape(april)).toEqual([
      {
        start: "2026-03-22T14:00:00.000Z",
        end: "2026-03-22T16:00:00.000Z",
        localDate: "2026-03-23",
        skipped: null,
      },
      {
        start: "2026-04-05T15:00:00.000Z",
        end: "2026-04-05T17:00:00.000Z",
        localDate: "2026-04-06",
        skipped: null,
      },
    ]);
    // 21 September 01:00 AEST, 5 October 01:00 AEDT.
    const october = windowOccurrences(cfg, utc("2026-09-15T00:00:00Z"), 2);
    expect(starts(october)).toEqual(["2026-09-20T15:00:00.000Z", "2026-10-04T14:00:00.000Z"]);
    expect(october.map((o) => o.localDate)).toEqual(["2026-09-21", "2026-10-05"]);
  });

  it("Asia/Kolkata (no daylight saving, +05:30): exactly 14 × 24 hours apart, even across other zones' changes", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 3,
      start: "23:30",
      durationMin: 180,
      timezone: "Asia/Kolkata",
      anchor: "2026-03-01",
    };
    const os = windowOccurrences(cfg, utc("2026-03-01T00:00:00Z"), 3);
    expect(shape(os)).toEqual([
      // Wednesday 4 March 23:30 IST to Thursday 02:30: crosses midnight.
      {
        start: "2026-03-04T18:00:00.000Z",
        end: "2026-03-04T21:00:00.000Z",
        localDate: "2026-03-04",
        skipped: null,
      },
      {
        start: "2026-03-18T18:00:00.000Z",
        end: "2026-03-18T21:00:00.000Z",
        localDate: "2026-03-18",
        skipped: null,
      },
      {
        start: "2026-04-01T18:00:00.000Z",
        end: "2026-04-01T21:00:00.000Z",
        localDate: "2026-04-01",
        skipped: null,
      },
    ]);
    expect(wall(os[0]!.end, cfg.timezone)).toBe("Thu 2026-03-05 02:30 +05:30");
  });
});

describe("blackouts and deferrals", () => {
  const kolkata: MaintenanceWindowConfig = {
    weekday: 3,
    start: "23:30",
    durationMin: 180,
    timezone: "Asia/Kolkata",
    anchor: "2026-03-04",
  };
  const from = utc("2026-03-01T00:00:00Z");

  it("a fleet blackout on the start date skips the window", () => {
    const os = windowOccurrences(kolkata, from, 2, { fleetBlackouts: ["2026-03-04"] });
    expect(starts(os)).toEqual(["2026-03-18T18:00:00.000Z", "2026-04-01T18:00:00.000Z"]);
  });

  it("a customer blackout on the date a midnight-crossing window ends skips it too", () => {
    const os = windowOccurrences(kolkata, from, 1, { customerBlackouts: ["2026-03-05"] });
    expect(starts(os)).toEqual(["2026-03-18T18:00:00.000Z"]);
  });

  it("dates are local to the window's zone, not UTC", () => {
    // The 4 March window is 18:00-21:00 UTC on 4 March but ends on 5 March in Kolkata; a blackout on the UTC
    // date after (6 March) leaves it alone.
    const os = windowOccurrences(kolkata, from, 1, { customerBlackouts: ["2026-03-06"] });
    expect(starts(os)).toEqual(["2026-03-04T18:00:00.000Z"]);
  });

  it("a window ending exactly at midnight does not touch the next date", () => {
    const cfg: MaintenanceWindowConfig = { ...kolkata, start: "22:00", durationMin: 120 };
    const [o] = windowOccurrences(cfg, from, 1, { fleetBlackouts: ["2026-03-05"] });
    expect(iso(o!.start)).toBe("2026-03-04T16:30:00.000Z");
    expect(iso(o!.end)).toBe("2026-03-04T18:30:00.000Z");
  });

  it("with includeSkipped, lists `count` windows that happen plus the skipped ones between them, flagged", () => {
    const os = windowOccurrences(kolkata, from, 3, {
      fleetBlackouts: ["2026-03-18"],
      customerBlackouts: ["2026-04-02"],
      deferred: ["2026-04-15T18:00:00.000Z"],
      includeSkipped: true,
    });
    expect(os.map((o) => [o.localDate, o.skipped])).toEqual([
      ["2026-03-04", null],
      ["2026-03-18", "fleet_blackout"],
      ["2026-04-01", "customer_blackout"],
      ["2026-04-15", "deferred"],
      ["2026-04-29", null],
      ["2026-05-13", null],
    ]);
  });

  it("a fleet blackout wins over a customer blackout and a deferral of the same window", () => {
    const os = windowOccurrences(kolkata, from, 1, {
      fleetBlackouts: ["2026-03-04"],
      customerBlackouts: ["2026-03-04"],
      deferred: ["2026-03-04T18:00:00.000Z"],
      includeSkipped: true,
    });
    expect(os[0]!.skipped).toBe("fleet_blackout");
    const customer = windowOccurrences(kolkata, from, 1, {
      customerBlackouts: ["2026-03-04"],
      deferred: ["2026-03-04T18:00:00.000Z"],
      includeSkipped: true,
    });
    expect(customer[0]!.skipped).toBe("customer_blackout");
  });

  it("matches deferred starts by instant, whatever offset the ISO string was written in", () => {
    const os = windowOccurrences(kolkata, from, 1, { deferred: ["2026-03-04T23:30:00+05:30"] });
    expect(starts(os)).toEqual(["2026-03-18T18:00:00.000Z"]);
  });
});

describe("nextWindowOpening", () => {
  it("is the first window starting at or after the instant, not one in progress", () => {
    expect(iso(nextWindowOpening(berlinTuesday, utc("2026-01-13T01:00:00Z")).start)).toBe(
      "2026-01-13T01:00:00.000Z",
    );
    expect(iso(nextWindowOpening(berlinTuesday, utc("2026-01-13T01:00:00.001Z")).start)).toBe(
      "2026-01-27T01:00:00.000Z",
    );
  });

  it("passes over blackouts and deferred windows", () => {
    const o = nextWindowOpening(berlinTuesday, utc("2026-01-01T00:00:00Z"), {
      fleetBlackouts: ["2026-01-13"],
      deferred: ["2026-01-27T01:00:00.000Z"],
    });
    expect(shape([o])).toEqual([
      {
        start: "2026-02-10T01:00:00.000Z",
        end: "2026-02-10T05:00:00.000Z",
        localDate: "2026-02-10",
        skipped: null,
      },
    ]);
  });
});

describe("checkDeferral", () => {
  const now = utc("2026-01-01T00:00:00Z");
  const jan13 = utc("2026-01-13T01:00:00Z");
  const jan27 = utc("2026-01-27T01:00:00Z");
  const feb10 = utc("2026-02-10T01:00:00Z");

  it("allows an upcoming window", () => {
    expect(checkDeferral(berlinTuesday, jan13, now, {}, 2)).toEqual({ ok: true });
  });

  it("refuses an instant that is not a window start, saying to pick a listed window", () => {
    const r = checkDeferral(berlinTuesday, utc("2026-01-13T01:01:00Z"), now, {}, 2);
    expect(r).toEqual({
      ok: false,
      reason:
        "2026-01-13T01:01:00.000Z is not the start of one of this instance's maintenance windows; pick one of the upcoming windows listed",
    });
    // A Tuesday of the off week is not a window either.
    expect(checkDeferral(berlinTuesday, utc("2026-01-20T01:00:00Z"), now, {}, 2).ok).toBe(false);
  });

  it("refuses a window that has started", () => {
    const r = checkDeferral(berlinTuesday, jan13, utc("2026-01-13T01:00:00Z"), {}, 2);
    expect(r).toEqual({
      ok: false,
      reason:
        "the window of Tue 13 Jan 2026 02:00 has already started; only an upcoming window can be deferred",
    });
  });

  it("refuses a window already deferred or blacked out", () => {
    expect(checkDeferral(berlinTuesday, jan13, now, { deferred: [iso(jan13)] }, 2)).toEqual({
      ok: false,
      reason: "the window of Tue 13 Jan 2026 02:00 is already deferred",
    });
    const r = checkDeferral(berlinTuesday, jan13, now, { customerBlackouts: ["2026-01-13"] }, 2);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain("customer blackout date");
  });

  it("refuses once maxConsecutive windows in a row are deferred", () => {
    const r = checkDeferral(berlinTuesday, feb10, now, { deferred: [iso(jan13), iso(jan27)] }, 2);
    expect(r).toEqual({
      ok: false,
      reason:
        "2 windows are already deferred in a row next to the window of Tue 10 Feb 2026 02:00 (limit 2); let this one go ahead, or move the window to a better day or time",
    });
    expect(checkDeferral(berlinTuesday, feb10, now, { deferred: [iso(jan13), iso(jan27)] }, 3)).toEqual({
      ok: true,
    });
  });

  it("a window that went ahead breaks the run", () => {
    expect(checkDeferral(berlinTuesday, feb10, now, { deferred: [iso(jan13)] }, 1)).toEqual({ ok: true });
    expect(checkDeferral(berlinTuesday, jan27, now, { deferred: [iso(jan13)] }, 1).ok).toBe(false);
  });

  it("windows skipped for a blackout neither count nor break the run", () => {
    // 13 Jan deferred, 27 Jan blacked out: one deferral in the run before 10 Feb.
    const ex = { deferred: [iso(jan13)], fleetBlackouts: ["2026-01-27"] };
    expect(checkDeferral(berlinTuesday, feb10, now, ex, 2)).toEqual({ ok: true });
    expect(checkDeferral(berlinTuesday, feb10, now, ex, 1).ok).toBe(false);
    // Deferring 10 Feb too makes the run two: 24 Feb is refused at limit 2.
    const feb24 = utc("2026-02-24T01:00:00Z");
    expect(
      checkDeferral(berlinTuesday, feb24, now, { ...ex, deferred: [iso(jan13), iso(feb10)] }, 2).ok,
    ).toBe(false);
  });

  it("counts deferred windows right after this one, so a run cannot be stitched together backwards", () => {
    const r = checkDeferral(berlinTuesday, jan13, now, { deferred: [iso(jan27), iso(feb10)] }, 2);
    expect(r.ok).toBe(false);
    expect(checkDeferral(berlinTuesday, jan13, now, { deferred: [iso(feb10)] }, 1)).toEqual({ ok: true });
  });

  it("refuses everything when deferrals are turned off", () => {
    expect(checkDeferral(berlinTuesday, jan13, now, {}, 0)).toEqual({
      ok: false,
      reason: "deferring windows is turned off; move the window or set blackout dates instead",
    });
  });

  it("works on a spring-forward window whose start was moved by the gap", () => {
    const cfg: MaintenanceWindowConfig = {
      weekday: 7,
      start: "02:30",
      durationMin: 120,
      timezone: "America/New_York",
      anchor: "2026-03-08",
    };
    expect(checkDeferral(cfg, utc("2026-03-08T07:30:00Z"), now, {}, 2)).toEqual({ ok: true });
  });
});

describe("formatWindow", () => {
  const jan13 = { start: utc("2026-01-13T01:00:00Z"), end: utc("2026-01-13T05:00:00Z") };

  it("shows the window in its own zone", () => {
    expect(formatWindow(jan13, "Europe/Berlin")).toBe("Tue 13 Jan 2026, 02:00–06:00 CET");
  });

  it("shows it in the viewer's zone, with the day of the end when it crosses midnight", () => {
    expect(formatWindow(jan13, "America/New_York")).toBe("Mon 12 Jan 2026, 20:00 – Tue 00:00 EST");
    expect(formatWindow(jan13, "Asia/Kolkata")).toBe("Tue 13 Jan 2026, 06:30–10:30 IST");
    expect(formatWindow(jan13, "Australia/Sydney")).toBe("Tue 13 Jan 2026, 12:00–16:00 AEDT");
    expect(formatWindow(jan13, "Asia/Tokyo")).toBe("Tue 13 Jan 2026, 10:00–14:00 GMT+9");
    expect(formatWindow(jan13, "UTC")).toBe("Tue 13 Jan 2026, 01:00–05:00 UTC");
  });

  it("names both offsets when the window spans a daylight-saving change", () => {
    const o = { start: utc("2026-03-08T04:00:00Z"), end: utc("2026-03-08T08:00:00Z") };
    expect(formatWindow(o, "America/New_York")).toBe("Sat 7 Mar 2026, 23:00 EST – Sun 04:00 EDT");
  });

  it("refuses an unknown zone", () => {
    expect(() => formatWindow(jan13, "Mars/Base")).toThrow(
      'zone: "Mars/Base" is not an IANA time zone (e.g. Europe/Berlin)',
    );
  });
});

describe("ZMaintenanceWindowConfig and isValidTimeZone", () => {
  const messageOf = (input: unknown) => {
    const r = ZMaintenanceWindowConfig.safeParse(input);
    return r.success ? null : r.error.issues.map((i) => i.message);
  };

  it("accepts a valid window", () => {
    expect(ZMaintenanceWindowConfig.parse(berlinTuesday)).toEqual(berlinTuesday);
  });

  it("names the field and the fix", () => {
    expect(messageOf({ ...berlinTuesday, timezone: "Mars/Base" })).toEqual([
      'timezone: "Mars/Base" is not an IANA time zone (e.g. Europe/Berlin)',
    ]);
    expect(messageOf({ ...berlinTuesday, weekday: 0 })).toEqual([
      "weekday: use a number from 1 (Monday) to 7 (Sunday)",
    ]);
    expect(messageOf({ ...berlinTuesday, weekday: 8 })).toEqual([
      "weekday: use a number from 1 (Monday) to 7 (Sunday)",
    ]);
    expect(messageOf({ ...berlinTuesday, start: "24:00" })).toEqual([
      "start: use a 24-hour local time HH:MM, e.g. 02:00",
    ]);
    expect(messageOf({ ...berlinTuesday, start: "2:00" })).toEqual([
      "start: use a 24-hour local time HH:MM, e.g. 02:00",
    ]);
    expect(messageOf({ ...berlinTuesday, durationMin: 29 })).toEqual([
      "durationMin: must be at least 30 minutes",
    ]);
    expect(messageOf({ ...berlinTuesday, durationMin: 721 })).toEqual([
      "durationMin: must be at most 720 minutes (12 hours)",
    ]);
    expect(messageOf({ ...berlinTuesday, anchor: "2026-02-30" })).toEqual([
      'anchor: "2026-02-30" is not a date; use YYYY-MM-DD, e.g. 2026-01-13',
    ]);
    expect(messageOf({ ...berlinTuesday, anchor: "13.01.2026" })).toEqual([
      'anchor: "13.01.2026" is not a date; use YYYY-MM-DD, e.g. 2026-01-13',
    ]);
    expect(messageOf({ ...berlinTuesday, timezone: undefined })).toEqual([
      "timezone: use an IANA time zone (e.g. Europe/Berlin)",
    ]);
  });

  it("takes IANA names and refuses offsets and made-up names", () => {
    for (const ok of ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"])
      expect(isValidTimeZone(ok), ok).toBe(true);
    for (const bad of ["Mars/Base", "+02:00", "", "Europe/Berlinn"])
      expect(isValidTimeZone(bad), bad).toBe(false);
  });

  it("names weekdays with luxon's numbering", () => {
    expect(WEEKDAY_NAMES[1]).toBe("Monday");
    expect(WEEKDAY_NAMES[7]).toBe("Sunday");
    expect(WEEKDAY_NAMES[DateTime.fromISO("2026-01-13").weekday]).toBe("Tuesday");
  });

  it("functions refuse a bad zone rather than computing in UTC", () => {
    expect(() =>
      windowOccurrences({ ...berlinTuesday, timezone: "Mars/Base" }, utc("2026-01-01T00:00:00Z"), 1),
    ).toThrow(/timezone: "Mars\/Base" is not an IANA time zone/);
  });
});
