import { describe, expect, it } from "vitest";
import {
  defaultBackupStartTime,
  nextBackupAt,
  policyViolations,
  ZBackupLimits,
  ZBackupPolicy,
} from "./backups";

const at = (iso: string) => new Date(iso);

describe("nextBackupAt", () => {
  it("is today's start time when it is still ahead", () => {
    expect(
      nextBackupAt({ startTime: "03:00", intervalHours: 24 }, at("2026-11-27T01:00:00Z")).toISOString(),
    ).toBe("2026-11-27T03:00:00.000Z");
  });
  it("is tomorrow's when today's has passed, including exactly at the slot", () => {
    expect(
      nextBackupAt({ startTime: "03:00", intervalHours: 24 }, at("2026-11-27T03:00:00Z")).toISOString(),
    ).toBe("2026-11-28T03:00:00.000Z");
  });
  it("steps through the day by the interval, wrapping slots before the start time", () => {
    const p = { startTime: "22:30", intervalHours: 6 } as const;
    expect(nextBackupAt(p, at("2026-11-27T00:00:00Z")).toISOString()).toBe("2026-11-27T04:30:00.000Z");
    expect(nextBackupAt(p, at("2026-11-27T04:30:00Z")).toISOString()).toBe("2026-11-27T10:30:00.000Z");
    expect(nextBackupAt(p, at("2026-11-27T23:59:00Z")).toISOString()).toBe("2026-11-28T04:30:00.000Z");
  });
  it("crosses month and year ends", () => {
    expect(
      nextBackupAt({ startTime: "00:00", intervalHours: 12 }, at("2026-12-31T12:00:00Z")).toISOString(),
    ).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe("policy validation", () => {
  const limits = { retentionMinDays: 7, retentionMaxDays: 35, minIntervalHours: 24 } as const;
  it("names the field and the fix when the org's limits are broken", () => {
    expect(policyViolations({ startTime: "03:00", intervalHours: 6, retentionDays: 3 }, limits)).toEqual([
      "retentionDays: must be between 7 and 35 days for this organization",
      "intervalHours: this organization may back up at most every 24 hours; ask support to allow more often",
    ]);
    expect(policyViolations({ startTime: "03:00", intervalHours: 24, retentionDays: 14 }, limits)).toEqual(
      [],
    );
  });
  it("rejects malformed times and intervals with messages that say what is expected", () => {
    const r = ZBackupPolicy.safeParse({ startTime: "3am", intervalHours: 8, retentionDays: 0 });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toContain('startTime: must be a time of day in UTC as "HH:MM", e.g. 03:00');
    expect(messages).toContain("intervalHours: must be 6, 12 or 24 (hours between backups)");
    expect(messages).toContain("retentionDays: must be at least 1 day");
  });
  it("refuses limits whose minimum exceeds the maximum", () => {
    const r = ZBackupLimits.safeParse({ retentionMinDays: 40, retentionMaxDays: 35, minIntervalHours: 24 });
    expect(r.error?.issues[0]?.path).toEqual(["retentionMinDays"]);
  });
});

describe("defaultBackupStartTime", () => {
  it("spreads instances over 01:00-04:50 UTC deterministically", () => {
    const times = new Set(Array.from({ length: 200 }, (_, i) => defaultBackupStartTime(`inst-${i}`)));
    expect(times.size).toBeGreaterThan(10);
    for (const t of times) expect(t >= "01:00" && t <= "04:50").toBe(true);
    expect(defaultBackupStartTime("abc")).toBe(defaultBackupStartTime("abc"));
  });
});
