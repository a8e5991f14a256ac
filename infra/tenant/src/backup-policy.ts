// The instance's backup policy (retention, daily start time) in the terms of each cloud's automated database backups.
// Pure functions: the programs apply them, the tests check the cloud's rules on them.
import type { TenantBackupPolicy } from "./input";

/** RDS keeps automated backups for 1 to 35 days (0 would turn them off). */
export const RDS_MAX_RETENTION_DAYS = 35;
/** Cloud SQL keeps 1 to 365 automated backups; it takes one a day, so a count of N keeps N days. */
export const CLOUD_SQL_MAX_RETAINED_BACKUPS = 365;
/** Cloud SQL for MySQL keeps 1 to 7 days of binary logs for point-in-time recovery. */
const CLOUD_SQL_MAX_LOG_DAYS = 7;
/** RDS windows are at least 30 minutes long. */
const WINDOW_MINUTES = 30;
/** The RDS maintenance window starts this long after the backup window starts, so the two never overlap. */
const MAINTENANCE_OFFSET_MINUTES = 60;
const DAY_MINUTES = 24 * 60;
const WEEK_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export interface RdsBackupSettings {
  backupRetentionPeriod: number;
  /** "hh24:mi-hh24:mi", UTC, daily. */
  preferredBackupWindow: string;
  /** "ddd:hh24:mi-ddd:hh24:mi", UTC, weekly: Sundays, an hour after the backup window starts. */
  preferredMaintenanceWindow: string;
  /** Set when the policy asks for more days than RDS keeps: what it asked for. */
  retentionCappedFrom?: number;
}

export interface CloudSqlBackupSettings {
  /** "HH:MM", UTC: the start of the daily backup window. */
  startTime: string;
  retainedBackups: number;
  transactionLogRetentionDays: number;
  /** Set when the policy asks for more backups than Cloud SQL keeps: what it asked for. */
  retentionCappedFrom?: number;
}

/**
 * RDS settings for the policy. The backup window opens at the policy's start time and lasts the minimum 30 minutes.
 * RDS refuses a maintenance window that overlaps the backup window and otherwise picks one at random, which may do
 * exactly that; so the program sets it too, on Sundays an hour after the backup starts. (The spec carries no
 * maintenance window of its own: the control plane schedules its updates itself and applies them immediately.)
 * Retention beyond 35 days is capped: the control plane's own snapshots (engine backups) cover longer retention.
 */
export function rdsBackupSettings(policy: TenantBackupPolicy): RdsBackupSettings {
  const start = startMinutes(policy);
  const days = retentionDays(policy);
  const backupWindow = `${clock(start)}-${clock(start + WINDOW_MINUTES)}`;
  const sunday = WEEK_DAYS.indexOf("sun") * DAY_MINUTES;
  const maintenanceStart = sunday + start + MAINTENANCE_OFFSET_MINUTES;
  const maintenanceWindow = `${weekClock(maintenanceStart)}-${weekClock(maintenanceStart + WINDOW_MINUTES)}`;
  return {
    backupRetentionPeriod: Math.min(days, RDS_MAX_RETENTION_DAYS),
    preferredBackupWindow: backupWindow,
    preferredMaintenanceWindow: maintenanceWindow,
    ...(days > RDS_MAX_RETENTION_DAYS ? { retentionCappedFrom: days } : {}),
  };
}

/**
 * Cloud SQL settings for the policy: one automated backup a day starting at the policy's time, as many kept as the
 * policy has days, and binary logs for point-in-time recovery over the same days up to Cloud SQL's 7.
 */
export function cloudSqlBackupSettings(policy: TenantBackupPolicy): CloudSqlBackupSettings {
  const start = startMinutes(policy);
  const days = retentionDays(policy);
  const retained = Math.min(days, CLOUD_SQL_MAX_RETAINED_BACKUPS);
  return {
    startTime: clock(start),
    retainedBackups: retained,
    transactionLogRetentionDays: Math.min(retained, CLOUD_SQL_MAX_LOG_DAYS),
    ...(days > CLOUD_SQL_MAX_RETAINED_BACKUPS ? { retentionCappedFrom: days } : {}),
  };
}

function startMinutes(policy: TenantBackupPolicy): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(policy.startTimeUtc);
  if (!match) {
    throw new Error(`backup.startTimeUtc must be "HH:MM" (UTC, 24-hour); got "${policy.startTimeUtc}"`);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

function retentionDays(policy: TenantBackupPolicy): number {
  if (!Number.isInteger(policy.retentionDays) || policy.retentionDays < 1) {
    throw new Error(
      `backup.retentionDays must be a whole number of days, at least 1; got ${policy.retentionDays}`,
    );
  }
  return policy.retentionDays;
}

/** "hh:mm" of a minute of the day (wrapping past midnight). */
function clock(minutes: number): string {
  const m = ((minutes % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/** "ddd:hh:mm" of a minute of the week, Monday 00:00 being 0 (wrapping past Sunday night). */
function weekClock(minutes: number): string {
  const week = WEEK_DAYS.length * DAY_MINUTES;
  const m = ((minutes % week) + week) % week;
  return `${WEEK_DAYS[Math.floor(m / DAY_MINUTES)]}:${clock(m)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
