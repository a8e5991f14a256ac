import { ALERT_COMPARISONS, ALERT_SEVERITIES, ALERT_STATES } from "@cp/core";
import { z } from "zod";

export const ZAlertStates = z
  .array(z.enum(ALERT_STATES, { error: `must be one of ${ALERT_STATES.join(", ")}` }))
  .max(ALERT_STATES.length, `must list at most ${ALERT_STATES.length} states`);

export const ZAlertLimit = z
  .number()
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(500, "must be at most 500");

/** An alert as lists show it (no runbook: staff read it on the rules page). */
export const ZAlert = z.object({
  id: z.string(),
  orgId: z.string(),
  state: z.enum(ALERT_STATES),
  severity: z.enum(ALERT_SEVERITIES),
  value: z.number(),
  threshold: z.number(),
  pendingSince: z.date(),
  firedAt: z.date().nullable(),
  acknowledgedAt: z.date().nullable(),
  acknowledgedByEmail: z.string().nullable(),
  resolvedAt: z.date().nullable(),
  lastEvaluatedAt: z.date(),
  rule: z.object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    metric: z.string(),
    comparison: z.enum(ALERT_COMPARISONS),
  }),
  instance: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  silenced: z.boolean(),
});

export const ZSilence = z.object({
  id: z.string(),
  rule: z.object({ id: z.string(), key: z.string(), name: z.string() }),
  instance: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable(),
  instanceId: z.string().nullable(),
  reason: z.string(),
  startsAt: z.date(),
  expiresAt: z.date(),
  createdByEmail: z.string().nullable(),
  cancelledAt: z.date().nullable(),
  cancelledByEmail: z.string().nullable(),
  createdAt: z.date(),
  active: z.boolean(),
});

/** A rule's override on one instance; null values keep the fleet default. */
export const ZOverride = z.object({
  threshold: z.number().nullable(),
  resolveThreshold: z.number().nullable(),
  forSeconds: z.number().int().nullable(),
  enabled: z.boolean().nullable(),
  reason: z.string().nullable(),
  updatedAt: z.date(),
});

export const ZAlertRule = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  metric: z.string(),
  comparison: z.enum(ALERT_COMPARISONS),
  threshold: z.number(),
  resolveThreshold: z.number(),
  baselineFactor: z.number().nullable(),
  forSeconds: z.number().int(),
  severity: z.enum(ALERT_SEVERITIES),
  runbook: z.string(),
  notifyCustomer: z.boolean(),
  enabled: z.boolean(),
  updatedAt: z.date(),
  override: ZOverride.nullable(),
  effective: z.object({
    threshold: z.number(),
    resolveThreshold: z.number(),
    forSeconds: z.number().int(),
    enabled: z.boolean(),
  }),
});
