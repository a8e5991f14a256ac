// Fleet upgrade campaigns: which instances a selector picks, how they split into waves, when each is expected to
// run given its maintenance window, and the health gate that decides whether an upgrade may count as good.
import { z } from "zod";
import { nextWindowOpening, type MaintenanceWindowConfig, type WindowExclusions } from "./maintenance";
import { compareVersions, ZVersion } from "./releases";

export interface CampaignSelector {
  clouds?: ("aws" | "gcp" | "local")[];
  regions?: string[];
  orgIds?: string[];
  /** Inclusive, on the instance's current version. */
  versionRange?: { min?: string; max?: string };
  /** The channel of the instance's current release. */
  channel?: "stable" | "beta";
  /** Explicit list (combined with the rest by AND). */
  instanceIds?: string[];
}

/** An empty list from a form means "no filter", not "match nothing": it becomes undefined. */
const optionalList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .optional()
    .transform((a) => (a && a.length > 0 ? a : undefined));

export const ZCampaignSelector = z
  .object({
    clouds: optionalList(
      z.enum(["aws", "gcp", "local"], {
        error: "clouds: use aws, gcp or local (leave out to match every cloud)",
      }),
    ),
    regions: optionalList(
      z.string().trim().min(1, "regions: a region name cannot be empty, e.g. eu-central-1"),
    ),
    orgIds: optionalList(z.string().min(1, "orgIds: an organization id cannot be empty")),
    versionRange: z
      .object({ min: ZVersion.optional(), max: ZVersion.optional() })
      .optional()
      .refine((r) => !r?.min || !r.max || compareVersions(r.min, r.max) <= 0, {
        error: "versionRange: min must not be newer than max; swap them",
      }),
    channel: z.enum(["stable", "beta"], { error: "channel: use stable or beta" }).optional(),
    instanceIds: optionalList(z.string().min(1, "instanceIds: an instance id cannot be empty")),
  })
  .strict();

/** What a selector looks at on one instance. `channel` is that of its current release (null when unknown). */
export interface SelectableInstance {
  id: string;
  cloud: string;
  region: string;
  orgId: string;
  version: string;
  channel: "stable" | "beta" | null;
}

function inRange(version: string, min: string | undefined, max: string | undefined): boolean {
  try {
    return (!min || compareVersions(version, min) >= 0) && (!max || compareVersions(version, max) <= 0);
  } catch {
    // A version that does not parse cannot be placed in a range.
    return false;
  }
}

/** Whether an instance matches every part of the selector that is set (an empty selector matches all). */
export function matchesSelector(i: SelectableInstance, s: CampaignSelector): boolean {
  if (s.clouds?.length && !(s.clouds as string[]).includes(i.cloud)) return false;
  if (s.regions?.length && !s.regions.includes(i.region)) return false;
  if (s.orgIds?.length && !s.orgIds.includes(i.orgId)) return false;
  if (s.instanceIds?.length && !s.instanceIds.includes(i.id)) return false;
  if (s.channel && i.channel !== s.channel) return false;
  const { min, max } = s.versionRange ?? {};
  if ((min || max) && !inRange(i.version, min, max)) return false;
  return true;
}

export interface CampaignStrategy {
  /** Instances in wave 0 (0 = no canary). */
  canary: number;
  /** Of the instances after the canary; the last wave takes the rest. */
  waves: ({ percent: number } | { count: number })[];
  /** Upgrades running at once in a wave (>=1). */
  maxConcurrent: number;
  /** Failed instances that pause the campaign (>=1). */
  failureThreshold: number;
}

const ZWave = z.union(
  [
    z.object({
      percent: z
        .number()
        .gt(0, "waves: a percent wave must be more than 0%")
        .max(100, "waves: a percent wave can be at most 100%"),
    }),
    z.object({
      count: z.number().int("waves: a count must be whole").min(1, "waves: a count wave needs at least 1"),
    }),
  ],
  { error: "waves: each wave is { percent: 1..100 } or { count: n }, e.g. { percent: 50 }" },
);

export const ZCampaignStrategy = z.object({
  canary: z
    .number({ error: "canary: use a number of instances (0 for no canary)" })
    .int("canary: use a whole number of instances")
    .min(0, "canary: use 0 for no canary, or a number of instances"),
  waves: z
    .array(ZWave, { error: "waves: give a list of waves, e.g. [{ percent: 50 }, { percent: 100 }]" })
    .min(1, "waves: add at least one wave, e.g. [{ percent: 100 }]"),
  maxConcurrent: z
    .number({ error: "maxConcurrent: use a number of upgrades at once, e.g. 3" })
    .int("maxConcurrent: use a whole number, e.g. 3")
    .min(1, "maxConcurrent: must be at least 1"),
  failureThreshold: z
    .number({ error: "failureThreshold: use a number of failed instances, e.g. 1" })
    .int("failureThreshold: use a whole number, e.g. 1")
    .min(1, "failureThreshold: must be at least 1"),
});

export interface GateConfig {
  enabled: boolean;
  soakSeconds: number;
  minRequests: number;
}

export const ZGateConfig = z.object({
  enabled: z.boolean({ error: "enabled: use true or false" }).default(true),
  soakSeconds: z
    .number({ error: "soakSeconds: use a number of seconds, e.g. 60" })
    .int("soakSeconds: use whole seconds, e.g. 60")
    .min(0, "soakSeconds: cannot be negative")
    .max(24 * 60 * 60, "soakSeconds: at most a day (86400)")
    .default(60),
  minRequests: z
    .number({ error: "minRequests: use a number of requests, e.g. 20" })
    .int("minRequests: use a whole number, e.g. 20")
    .min(0, "minRequests: cannot be negative")
    .default(20),
});

/**
 * Splits `items` (in their order) into waves: the canary first, then each wave of the strategy. Percent waves are
 * of the instances after the canary, rounded up, at least 1; the last wave takes whatever is left; waves that
 * would be empty are left out (so there may be fewer waves than the strategy lists).
 */
export function planWaves<T>(items: readonly T[], strategy: CampaignStrategy): T[][] {
  const out: T[][] = [];
  const canary = Math.max(0, Math.min(strategy.canary, items.length));
  if (canary > 0) out.push(items.slice(0, canary));
  const rest = items.length - canary;
  let at = canary;
  strategy.waves.forEach((w, i) => {
    const left = items.length - at;
    if (left <= 0) return;
    const last = i === strategy.waves.length - 1;
    const want = "percent" in w ? Math.ceil((rest * w.percent) / 100) : w.count;
    const size = last ? left : Math.min(left, Math.max(1, want));
    out.push(items.slice(at, at + size));
    at += size;
  });
  return out;
}

export interface TrafficSample {
  requests: number;
  errors: number;
}

const rateText = (s: TrafficSample) =>
  `${s.requests > 0 ? ((s.errors / s.requests) * 100).toFixed(1) : "0.0"}% (${s.errors}/${s.requests})`;

/**
 * The health gate after one upgrade: healthy, enough requests during the soak, and an error rate during the soak
 * not above the rate over the same span before the upgrade (no requests before counts as 0%). The reason gives
 * the figures whether it passed or not.
 */
export function evaluateGate(i: {
  healthy: boolean;
  healthDetail?: string;
  before: TrafficSample;
  after: TrafficSample;
  minRequests: number;
}): { passed: boolean; reason: string } {
  if (!i.healthy)
    return { passed: false, reason: `health check failed${i.healthDetail ? `: ${i.healthDetail}` : ""}` };
  if (i.after.requests < i.minRequests)
    return {
      passed: false,
      reason: `only ${i.after.requests} requests during the soak; need at least ${i.minRequests}`,
    };
  // Cross-multiplied so that equal rates compare equal without floating-point noise.
  const afterAbove =
    i.before.requests === 0
      ? i.after.errors > 0
      : i.after.errors * i.before.requests > i.before.errors * i.after.requests;
  const figures = `error rate ${rateText(i.after)} during the soak, ${afterAbove ? "above" : "not above"} ${rateText(i.before)} before the upgrade`;
  return afterAbove ? { passed: false, reason: figures } : { passed: true, reason: `healthy; ${figures}` };
}

export interface PlanInstance {
  instanceId: string;
  window: MaintenanceWindowConfig;
  exclusions: WindowExclusions;
}

export interface PlannedWave {
  wave: number;
  startsAfter: Date;
  instances: { instanceId: string; plannedAt: Date; windowEnd: Date | null }[];
  expectedEnd: Date;
}

/**
 * Projected schedule: wave 0 instances at their next window opening at/after `start` (urgent: at `start`,
 * windowEnd null); wave k starts after wave k-1's expectedEnd = max(plannedAt) + perInstanceMinutes (concurrency
 * ignored in windows). An empty wave ends when it starts.
 */
export function planSchedule(
  waves: readonly PlanInstance[][],
  start: Date,
  o: { urgent: boolean; perInstanceMinutes: number },
): PlannedWave[] {
  const out: PlannedWave[] = [];
  let startsAfter = start;
  waves.forEach((wave, index) => {
    const instances = wave.map((p) => {
      if (o.urgent) return { instanceId: p.instanceId, plannedAt: startsAfter, windowEnd: null };
      const w = nextWindowOpening(p.window, startsAfter, p.exclusions);
      return { instanceId: p.instanceId, plannedAt: w.start, windowEnd: w.end };
    });
    const last = instances.reduce((m, i) => Math.max(m, i.plannedAt.getTime()), startsAfter.getTime());
    const expectedEnd = new Date(
      instances.length ? last + o.perInstanceMinutes * 60_000 : startsAfter.getTime(),
    );
    out.push({ wave: index, startsAfter, instances, expectedEnd });
    startsAfter = expectedEnd;
  });
  return out;
}
