// The backup policy in each cloud's terms, checked against the clouds' own rules.
import { describe, expect, it } from "vitest";
import { cloudSqlBackupSettings, rdsBackupSettings } from "./backup-policy";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** [start, end) in minutes of the week, for "ddd:hh:mm-ddd:hh:mm" (end may wrap past Sunday night). */
function weekly(window: string): [number, number] {
  const [from, to] = window.split("-").map((part) => {
    const [day, h, m] = part.split(":");
    return DAYS.indexOf(day!) * 1440 + Number(h) * 60 + Number(m);
  }) as [number, number];
  return [from, to < from ? to + 7 * 1440 : to];
}

/** Every day's [start, end) of "hh:mm-hh:mm", in minutes of the week. */
function daily(window: string): [number, number][] {
  const [from, to] = window.split("-").map((part) => {
    const [h, m] = part.split(":");
    return Number(h) * 60 + Number(m);
  }) as [number, number];
  const length = to < from ? to + 1440 - from : to - from;
  return Array.from({ length: 8 }, (_, day) => [day * 1440 + from, day * 1440 + from + length]);
}

function overlaps(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

describe("RDS backup settings", () => {
  it("opens the backup window at the policy's start for the minimum 30 minutes", () => {
    expect(rdsBackupSettings({ retentionDays: 14, startTimeUtc: "03:00" })).toEqual({
      backupRetentionPeriod: 14,
      preferredBackupWindow: "03:00-03:30",
      preferredMaintenanceWindow: "sun:04:00-sun:04:30",
    });
    expect(rdsBackupSettings({ retentionDays: 1, startTimeUtc: "23:50" }).preferredBackupWindow).toBe(
      "23:50-00:20",
    );
  });

  it("never lets the maintenance window overlap any day's backup window, at any start time", () => {
    for (let minute = 0; minute < 1440; minute += 5) {
      const start = `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
      const settings = rdsBackupSettings({ retentionDays: 7, startTimeUtc: start });
      expect(settings.preferredBackupWindow).toMatch(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/);
      expect(settings.preferredMaintenanceWindow).toMatch(
        /^(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d-(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d$/,
      );
      const maintenance = weekly(settings.preferredMaintenanceWindow);
      expect(maintenance[1] - maintenance[0]).toBe(30);
      // The week wraps: compare against the backup windows of every day, shifted by a week too.
      for (const backup of daily(settings.preferredBackupWindow)) {
        for (const shift of [0, 7 * 1440]) {
          expect(overlaps([maintenance[0] + shift, maintenance[1] + shift], backup), start).toBe(false);
        }
      }
    }
  });

  it("caps retention at RDS's 35 days and says so", () => {
    expect(
      rdsBackupSettings({ retentionDays: 35, startTimeUtc: "03:00" }).retentionCappedFrom,
    ).toBeUndefined();
    const capped = rdsBackupSettings({ retentionDays: 90, startTimeUtc: "03:00" });
    expect(capped.backupRetentionPeriod).toBe(35);
    expect(capped.retentionCappedFrom).toBe(90);
  });

  it("refuses what is not a policy", () => {
    expect(() => rdsBackupSettings({ retentionDays: 7, startTimeUtc: "24:00" })).toThrow(/HH:MM/);
    expect(() => rdsBackupSettings({ retentionDays: 7, startTimeUtc: "3:00" })).toThrow(/HH:MM/);
    expect(() => rdsBackupSettings({ retentionDays: 0, startTimeUtc: "03:00" })).toThrow(/at least 1/);
    expect(() => rdsBackupSettings({ retentionDays: 1.5, startTimeUtc: "03:00" })).toThrow(/whole number/);
  });
});

describe("Cloud SQL backup settings", () => {
  it("starts at the policy's time, keeps a backup per day, and logs no longer than the backups last", () => {
    expect(cloudSqlBackupSettings({ retentionDays: 14, startTimeUtc: "03:00" })).toEqual({
      startTime: "03:00",
      retainedBackups: 14,
      transactionLogRetentionDays: 7,
    });
    expect(cloudSqlBackupSettings({ retentionDays: 2, startTimeUtc: "18:45" })).toEqual({
      startTime: "18:45",
      retainedBackups: 2,
      transactionLogRetentionDays: 2,
    });
  });

  it("caps retention at Cloud SQL's 365 backups and says so", () => {
    expect(cloudSqlBackupSettings({ retentionDays: 400, startTimeUtc: "03:00" })).toMatchObject({
      retainedBackups: 365,
      retentionCappedFrom: 400,
    });
    expect(() => cloudSqlBackupSettings({ retentionDays: 7, startTimeUtc: "03:00Z" })).toThrow(/HH:MM/);
  });
});
