import { describe, expect, it } from "vitest";
import {
  ALL_TELEMETRY_SERIES,
  shiftTelemetryDay,
  telemetryDayProblem,
  telemetryIssues,
  ZTelemetryReport,
} from "./telemetry";

const counters = {
  userCount: 1,
  teamCount: 0,
  sweepCount: 0,
  runCount: 5,
  projectCount: 1,
  sweepRunCount: 0,
  artifactCount: 0,
  artifactStorageBytes: 0,
  artifactReferenceBytes: 0,
  artifactCollectionCount: 0,
  artifactTypeCount: 0,
  reportCount: 0,
  reportCommentCount: 0,
  computeHours: 0.25,
  storageBytes: 10,
  userStat: { activeDaily: 1, activeWeekly: 1, activeMonthly: 1 },
};

function issues(value: unknown) {
  const r = ZTelemetryReport.safeParse(value);
  expect(r.success).toBe(false);
  return r.success ? [] : telemetryIssues(r.error);
}

describe("ZTelemetryReport", () => {
  it("accepts a complete report", () => {
    expect(ZTelemetryReport.parse({ day: "2024-02-29", version: "0.66.0", counters })).toMatchObject({
      day: "2024-02-29",
    });
  });

  it("names unknown fields by their own path, at every level", () => {
    expect(
      issues({
        day: "2024-02-29",
        version: "0.66.0",
        extra: 1,
        counters: { ...counters, host: "x", userStat: { ...counters.userStat, email: "a@b" } },
      }).map((i) => i.path),
    ).toEqual(expect.arrayContaining(["extra", "counters.host", "counters.userStat.email"]));
  });

  it("refuses negative, fractional counts, Infinity-like values, missing fields and impossible days", () => {
    const got = issues({
      day: "2023-02-29",
      version: "1.0",
      counters: { ...counters, runCount: -1, teamCount: 1.5, storageBytes: 1e300, userCount: undefined },
    });
    const byPath = Object.fromEntries(got.map((i) => [i.path, i.message]));
    expect(byPath["counters.runCount"]).toMatch(/negative/);
    expect(byPath["counters.teamCount"]).toMatch(/whole/);
    expect(byPath["counters.storageBytes"]).toBeDefined();
    expect(byPath["counters.userCount"]).toBe("is required");
    expect(byPath.day).toMatch(/calendar day/);
    expect(byPath.version).toMatch(/MAJOR\.MINOR\.PATCH/);
  });
});

describe("telemetry days", () => {
  const now = new Date("2025-03-01T23:00:00Z");
  it("accepts today, tomorrow and 400 days back; refuses beyond", () => {
    expect(telemetryDayProblem("2025-03-01", now)).toBeNull();
    expect(telemetryDayProblem("2025-03-02", now)).toBeNull();
    expect(telemetryDayProblem("2025-03-03", now)).toMatch(/future/);
    expect(telemetryDayProblem(shiftTelemetryDay("2025-03-01", -400), now)).toBeNull();
    expect(telemetryDayProblem(shiftTelemetryDay("2025-03-01", -401), now)).toMatch(/400 days/);
  });
  it("lists every chartable series, userStat's flattened", () => {
    expect(ALL_TELEMETRY_SERIES).toHaveLength(18);
    expect(ALL_TELEMETRY_SERIES).toContain("userStat.activeWeekly");
  });
});
