// Backup policy: the schedule and retention an org admin chooses within the limits staff set for the org, and the
// schedule's arithmetic (UTC; a backup runs at start time + k × interval each day).
import { z } from "zod";

export const BACKUP_INTERVALS = [6, 12, 24] as const;
export type BackupInterval = (typeof BACKUP_INTERVALS)[number];

/** Bounds staff may set (and that hold when they set nothing). */
export const BACKUP_LIMITS = {
  retentionDays: { min: 1, max: 365 },
  defaults: { retentionMinDays: 7, retentionMaxDays: 35, minIntervalHours: 24 },
  policy: { startTime: "03:00", intervalHours: 24, retentionDays: 14 },
} as const;

export const ZBackupStartTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day in UTC as "HH:MM", e.g. 03:00');

export const ZBackupPolicy = z.object({
  startTime: ZBackupStartTime,
  intervalHours: z.union(
    BACKUP_INTERVALS.map((h) => z.literal(h)) as unknown as [
      z.ZodLiteral<6>,
      z.ZodLiteral<12>,
      z.ZodLiteral<24>,
    ],
    { error: "must be 6, 12 or 24 (hours between backups)" },
  ),
  retentionDays: z
    .number({ error: "must be a whole number of days" })
    .int("must be a whole number of days")
    .min(BACKUP_LIMITS.retentionDays.min, `must be at least ${BACKUP_LIMITS.retentionDays.min} day`)
    .max(BACKUP_LIMITS.retentionDays.max, `must be at most ${BACKUP_LIMITS.retentionDays.max} days`),
});
export type BackupPolicy = z.infer<typeof ZBackupPolicy>;

export const ZBackupLimits = z
  .object({
    retentionMinDays: z.number().int().min(1).max(365),
    retentionMaxDays: z.number().int().min(1).max(365),
    minIntervalHours: z.union([z.literal(6), z.literal(12), z.literal(24)], {
      error: "must be 6, 12 or 24 (hours)",
    }),
  })
  .refine((l) => l.retentionMinDays <= l.retentionMaxDays, {
    message: "must not be above the maximum retention",
    path: ["retentionMinDays"],
  });
export type BackupLimits = z.infer<typeof ZBackupLimits>;

/** Why a policy breaks the org's limits, as "field: what to do" lines; empty when it fits. */
export function policyViolations(policy: BackupPolicy, limits: BackupLimits): string[] {
  const out: string[] = [];
  if (policy.retentionDays < limits.retentionMinDays || policy.retentionDays > limits.retentionMaxDays) {
    out.push(
      `retentionDays: must be between ${limits.retentionMinDays} and ${limits.retentionMaxDays} days for this organization`,
    );
  }
  if (policy.intervalHours < limits.minIntervalHours) {
    out.push(
      `intervalHours: this organization may back up at most every ${limits.minIntervalHours} hours; ask support to allow more often`,
    );
  }
  return out;
}

const parseTime = (hhmm: string): number => {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return (h * 60 + m) * 60_000;
};

/**
 * The first scheduled backup strictly after `after`: slots are start time + k × interval, every UTC day. Intervals
 * divide 24 hours, so the slots are the same each day.
 */
export function nextBackupAt(policy: Pick<BackupPolicy, "startTime" | "intervalHours">, after: Date): Date {
  const interval = policy.intervalHours * 3_600_000;
  const dayStart = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate());
  // The earliest slot of the previous day that is still a slot today, then step forward.
  let t = dayStart + (parseTime(policy.startTime) % interval) - interval;
  while (t <= after.getTime()) t += interval;
  return new Date(t);
}

/** A default start time spread over 01:00–04:50 UTC by the instance's id, so a fleet does not back up at once. */
export function defaultBackupStartTime(instanceId: string): string {
  let h = 0;
  for (const c of instanceId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const slot = h % 24; // 24 ten-minute slots
  const minutes = 60 + slot * 10;
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

export const BACKUP_KIND_LABELS = {
  scheduled: "Scheduled",
  manual: "Manual",
  pre_restore: "Before restore",
  pre_upgrade: "Before upgrade",
} as const;
