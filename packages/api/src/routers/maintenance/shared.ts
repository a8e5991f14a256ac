// Schemas the maintenance procedures share: a window, its occurrences and an instance's maintenance view.
import { z } from "zod";

/**
 * Only the shapes here: the use case validates the values with @cp/core's rules, whose messages name the field
 * ("timezone: \"Mars/Base\" is not an IANA time zone (e.g. Europe/Berlin)").
 */
export const ZWindowInput = z.object({
  /** 1 Monday .. 7 Sunday. */
  weekday: z.number(),
  /** "HH:MM" local. */
  start: z.string(),
  durationMin: z.number(),
  /** IANA zone. */
  timezone: z.string(),
  /** "YYYY-MM-DD" local: the first window is the first `weekday` on or after it, then every 14 days. */
  anchor: z.string(),
});

export const ZWindow = ZWindowInput.extend({ weekday: z.number().int(), durationMin: z.number().int() });

export const ZSkipReason = z.enum(["fleet_blackout", "customer_blackout", "deferred"]);

export const ZMaintenanceView = z.object({
  instanceId: z.string(),
  window: ZWindow,
  blackouts: z.array(z.string()),
  fleetBlackouts: z.array(z.object({ date: z.string(), reason: z.string() })),
  deferred: z.array(z.date()),
  /** The next three windows that take place, and the skipped ones between them (skipped set). */
  next: z.array(
    z.object({ start: z.date(), end: z.date(), localDate: z.string(), skipped: ZSkipReason.nullable() }),
  ),
  maxDeferrals: z.number().int(),
  remainingDeferrals: z.number().int(),
  plannedWork: z.string().nullable(),
  mayChange: z.boolean(),
});

export const ZLocalDateInput = z.string().trim().max(10, "use a date YYYY-MM-DD, e.g. 2026-12-24");

export const ZFleetBlackout = z.object({
  date: z.string(),
  reason: z.string(),
  createdAt: z.date(),
  createdBy: z.string().nullable(),
});
