// Support: severities, plans (SLA targets and business hours) and the kinds of a tenant's timeline. The plans are
// configuration: DEFAULT_SUPPORT_PLANS unless CP_SUPPORT_PLANS replaces them (parseSupportPlans says which field
// is wrong). The clock arithmetic lives in ./sla.ts.
import { z } from "zod";

export const SUPPORT_SEVERITIES = ["P1", "P2", "P3", "P4"] as const;
export type SupportSeverity = (typeof SUPPORT_SEVERITIES)[number];

export const SUPPORT_SEVERITY_LABELS: Record<SupportSeverity, string> = {
  P1: "P1: production down",
  P2: "P2: major impairment",
  P3: "P3: minor issue",
  P4: "P4: question or request",
};

export const SUPPORT_REQUEST_STATUSES = ["open", "waiting_on_customer", "resolved"] as const;
export type SupportRequestStatus = (typeof SUPPORT_REQUEST_STATUSES)[number];

export const SUPPORT_ASSIGNMENT_ROLES = ["primary", "secondary"] as const;
export type SupportAssignmentRole = (typeof SUPPORT_ASSIGNMENT_ROLES)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour)");

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const businessHoursSchema = z
  .object({
    /** IANA time zone the hours are in, e.g. "America/New_York" (daylight saving follows it). */
    timeZone: z.string().refine(isTimeZone, "must be an IANA time zone such as America/New_York"),
    /** ISO weekdays the clock runs on: 1 = Monday ... 7 = Sunday. */
    days: z.array(z.number().int().min(1).max(7)).min(1, "needs at least one weekday"),
    start: hhmm,
    end: hhmm,
  })
  .refine((h) => h.start < h.end, { message: "start must be before end", path: ["end"] });
export type BusinessHours = z.infer<typeof businessHoursSchema>;

const target = z.object({
  firstResponseMinutes: z.number().int().positive(),
  resolutionMinutes: z.number().int().positive(),
});
export type SupportTarget = z.infer<typeof target>;

export const supportPlanSchema = z.object({
  name: z.string().min(1),
  /** null: the clocks run around the clock. */
  businessHours: businessHoursSchema.nullable(),
  /** Severities whose clocks run around the clock even on a business-hours plan. */
  allHoursSeverities: z.array(z.enum(SUPPORT_SEVERITIES)).default([]),
  targets: z.object({ P1: target, P2: target, P3: target, P4: target }),
  /** A request is highlighted as near breach once this share (%) of a target's time has elapsed. */
  nearBreachPercent: z.number().min(1).max(99).default(75),
});
export type SupportPlan = z.infer<typeof supportPlanSchema>;

export const supportPlansSchema = z
  .record(z.string().regex(/^[a-z0-9_-]{1,32}$/, "plan keys are lower-case words"), supportPlanSchema)
  .refine((p) => Object.keys(p).length > 0, "needs at least one plan");

export const DEFAULT_SUPPORT_PLANS: Record<string, SupportPlan> = {
  standard: {
    name: "Standard (business hours)",
    businessHours: { timeZone: "America/New_York", days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
    allHoursSeverities: ["P1"],
    targets: {
      P1: { firstResponseMinutes: 60, resolutionMinutes: 8 * 60 },
      P2: { firstResponseMinutes: 4 * 60, resolutionMinutes: 3 * 8 * 60 },
      P3: { firstResponseMinutes: 8 * 60, resolutionMinutes: 5 * 8 * 60 },
      P4: { firstResponseMinutes: 2 * 8 * 60, resolutionMinutes: 10 * 8 * 60 },
    },
    nearBreachPercent: 75,
  },
  premium: {
    name: "Premium (24x7)",
    businessHours: null,
    allHoursSeverities: [],
    targets: {
      P1: { firstResponseMinutes: 15, resolutionMinutes: 4 * 60 },
      P2: { firstResponseMinutes: 60, resolutionMinutes: 24 * 60 },
      P3: { firstResponseMinutes: 4 * 60, resolutionMinutes: 3 * 24 * 60 },
      P4: { firstResponseMinutes: 24 * 60, resolutionMinutes: 7 * 24 * 60 },
    },
    nearBreachPercent: 75,
  },
};

/** The plans in force: the JSON of CP_SUPPORT_PLANS when given, else the defaults. Errors name the field. */
export function parseSupportPlans(json: string | undefined): Record<string, SupportPlan> {
  if (json === undefined) return DEFAULT_SUPPORT_PLANS;
  const parsed = supportPlansSchema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`CP_SUPPORT_PLANS.${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/** The hours a request's clocks count: none (around the clock) for all-hours severities. */
export function clockHours(plan: SupportPlan, severity: SupportSeverity): BusinessHours | null {
  return plan.allHoursSeverities.includes(severity) ? null : plan.businessHours;
}

/** What a tenant's timeline merges, in the order of its filter chips. */
export const TIMELINE_KINDS = [
  "operation",
  "backup",
  "alert",
  "audit",
  "support_request",
  "channel_post",
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const TIMELINE_KIND_LABELS: Record<TimelineKind, string> = {
  operation: "Operations and upgrades",
  backup: "Backups",
  alert: "Alerts",
  audit: "Audit events",
  support_request: "Support requests",
  channel_post: "Channel posts",
};

/** Kinds of channel posts (what caused them). */
export const CHANNEL_POST_KINDS = [
  "setup",
  "alert",
  "maintenance",
  "upgrade",
  "operation",
  "support",
] as const;
export type ChannelPostKind = (typeof CHANNEL_POST_KINDS)[number];

/**
 * A Slack channel name for an instance: lower case, letters, digits, hyphens and underscores, at most 80
 * characters (Slack's rules), from the org's slug and the instance's slug.
 */
export function supportChannelName(orgSlug: string, instanceSlug: string): string {
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "");
  const org = clean(orgSlug);
  const inst = clean(instanceSlug);
  const name = inst.startsWith(`${org}-`) || inst === org ? `support-${inst}` : `support-${org}-${inst}`;
  return name.slice(0, 80).replace(/-$/, "");
}
