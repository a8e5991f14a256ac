// Schemas the support procedures share: the SLA clocks of a request and a request as lists show it.
import {
  businessHoursSchema,
  SUPPORT_ASSIGNMENT_ROLES,
  SUPPORT_REQUEST_STATUSES,
  SUPPORT_SEVERITIES,
} from "@cp/core";
import { z } from "zod";

export const ZSupportSeverity = z.enum(SUPPORT_SEVERITIES, {
  error: `must be one of ${SUPPORT_SEVERITIES.join(", ")}`,
});
export const ZSupportStatus = z.enum(SUPPORT_REQUEST_STATUSES, {
  error: `must be one of ${SUPPORT_REQUEST_STATUSES.join(", ")}`,
});
export const ZSupportAssignmentRole = z.enum(SUPPORT_ASSIGNMENT_ROLES, {
  error: `must be one of ${SUPPORT_ASSIGNMENT_ROLES.join(", ")}`,
});
export const ZSupportSubject = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(200, "must be at most 200 characters");
export const ZSupportBody = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(20_000, "must be at most 20000 characters");

const ZSlaState = z.enum(["ok", "near", "breached", "met"]);
const ZClock = z.object({
  dueAt: z.date(),
  stoppedAt: z.date().nullable(),
  breachedAt: z.date().nullable(),
  state: ZSlaState,
  /** Business minutes to the due time (negative once past it). */
  remainingMinutes: z.number().int(),
});

export const ZSupportClocks = z.object({
  businessHours: businessHoursSchema.nullable(),
  nearBreachPercent: z.number(),
  slaState: ZSlaState,
  firstResponse: ZClock,
  resolution: ZClock,
});

export const ZSupportRequestRow = z.object({
  id: z.string(),
  number: z.number().int(),
  orgId: z.string(),
  orgName: z.string(),
  instance: z.object({ id: z.string(), name: z.string(), slug: z.string() }).nullable(),
  subject: z.string(),
  severity: ZSupportSeverity,
  status: ZSupportStatus,
  plan: z.string(),
  assigneeId: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  firstRespondedAt: z.date().nullable(),
  resolvedAt: z.date().nullable(),
  clocks: ZSupportClocks,
});

const ZStaffPerson = z.object({ userId: z.string(), email: z.string(), name: z.string().nullable() });
export const ZSupportAssignments = z.object({
  orgId: z.string(),
  plan: z.object({ key: z.string(), name: z.string() }),
  primary: ZStaffPerson.nullable(),
  secondary: ZStaffPerson.nullable(),
});
