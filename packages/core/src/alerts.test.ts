import { describe, expect, it } from "vitest";
import {
  alertRuleProblems,
  DEFAULT_ALERT_RULES,
  effectiveAlertRule,
  evaluateAlertRule,
  findSilence,
  isSilenceActive,
  metricMaxAgeMs,
  thresholdsInForce,
  type AlertEvaluation,
  type AlertRuleValues,
  type OpenAlertStateName,
} from "./alerts";
import { isMetricName } from "./metrics";

const T0 = Date.parse("2026-11-27T12:00:00Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const MAX_AGE = 90_000;

function rule(key: string): AlertRuleValues {
  const r = DEFAULT_ALERT_RULES.find((x) => x.key === key);
  if (!r) throw new Error(`no default rule ${key}`);
  return { ...r, enabled: true };
}

/**
 * Plays samples (one per `step` seconds, evaluated when each arrives) through the evaluator, applying its
 * transitions as the service does, and returns what happened.
 */
function play(r: AlertRuleValues, values: number[], step = 30, baseline: number | null = null) {
  let alert: { state: OpenAlertStateName; pendingSince: Date } | null = null;
  const events: { at: number; transition: AlertEvaluation["transition"] }[] = [];
  values.forEach((value, i) => {
    const ts = at(i * step);
    const e = evaluateAlertRule({
      rule: r,
      alert,
      sample: { value, ts },
      baseline,
      now: ts,
      maxAgeMs: MAX_AGE,
    });
    if (e.transition !== "none") events.push({ at: i * step, transition: e.transition });
    if (e.transition === "pending") alert = { state: "pending", pendingSince: e.pendingSince };
    else if (e.transition === "fire") alert = { state: "firing", pendingSince: e.pendingSince };
    else if (e.transition === "cancel" || e.transition === "resolve") alert = null;
  });
  const count = (t: string) => events.filter((e) => e.transition === t).length;
  return { events, state: alert as { state: OpenAlertStateName } | null, count };
}

describe("default rules", () => {
  it("have unique keys, known metrics, consistent values and a runbook each", () => {
    const keys = DEFAULT_ALERT_RULES.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of DEFAULT_ALERT_RULES) {
      expect(isMetricName(r.metric), r.key).toBe(true);
      expect(alertRuleProblems(r), r.key).toEqual([]);
      expect(r.runbook.length, r.key).toBeGreaterThan(80);
    }
  });

  it("follow the provider's guidance", () => {
    const pick = (key: string) => {
      const r = rule(key);
      return [r.comparison, r.threshold, r.resolveThreshold, r.forSeconds, r.baselineFactor];
    };
    expect(pick("database_cpu_high")).toEqual(["gt", 70, 60, 600, null]);
    expect(pick("health_failing")).toEqual(["lt", 1, 1, 30, null]);
    expect(pick("storage_near_quota")).toEqual(["gt", 85, 80, 900, null]);
    expect(pick("error_rate_high")).toEqual(["gt", 5, 4, 300, 3]);
    expect(pick("latency_high")).toEqual(["gt", 2000, 1500, 600, null]);
    expect(pick("bucket_checks_failing")).toEqual(["lt", 1, 1, 0, null]);
    expect(DEFAULT_ALERT_RULES.find((r) => r.key === "database_cpu_high")?.runbook).toMatch(/next size/);
    expect(DEFAULT_ALERT_RULES.find((r) => r.key === "bucket_checks_failing")?.runbook).toMatch(
      /customer must fix/,
    );
  });
});

describe("for-durations", () => {
  it("goes pending on the first breach and fires once the condition has held for the for-duration", () => {
    // 10 minutes at 30 s polls: pending at 0, still pending at 570, firing at 600.
    const r = play(
      rule("database_cpu_high"),
      Array.from({ length: 22 }, () => 75),
    );
    expect(r.events).toEqual([
      { at: 0, transition: "pending" },
      { at: 600, transition: "fire" },
    ]);
    expect(r.state?.state).toBe("firing");
  });

  it("measures the duration by sample time, not by how often the evaluator runs", () => {
    const pending = { state: "pending" as const, pendingSince: at(0) };
    const base = { rule: rule("database_cpu_high"), alert: pending, baseline: null, maxAgeMs: MAX_AGE };
    // The last sample is 5 minutes in; evaluating it again 11 minutes in (within its max age) does not fire.
    const stillOld = evaluateAlertRule({ ...base, sample: { value: 80, ts: at(300) }, now: at(340) });
    expect(stillOld.transition).toBe("none");
    const held = evaluateAlertRule({ ...base, sample: { value: 80, ts: at(600) }, now: at(610) });
    expect(held).toMatchObject({ transition: "fire", pendingSince: at(0) });
  });

  it("fires at once when the for-duration is 0", () => {
    const r = play(rule("bucket_checks_failing"), [1, 0]);
    expect(r.events).toEqual([{ at: 30, transition: "fire" }]);
  });

  it("cancels a pending alert when the condition clears before the for-duration", () => {
    const r = play(rule("health_failing"), [1, 0, 1, 1]);
    expect(r.events).toEqual([
      { at: 30, transition: "pending" },
      { at: 60, transition: "cancel" },
    ]);
    expect(r.state).toBeNull();
  });

  it("counts a for-duration of one polling interval as held on the second breach, even if that poll came early", () => {
    const pending = { state: "pending" as const, pendingSince: at(0) };
    const base = { rule: rule("health_failing"), alert: pending, baseline: null, maxAgeMs: MAX_AGE };
    // 30 s rule, second failed poll 29.9 s after the first (scheduling jitter).
    const early = { ...base, sample: { value: 0, ts: new Date(T0 + 29_900) }, now: at(30) };
    expect(evaluateAlertRule(early).transition).toBe("none");
    expect(evaluateAlertRule({ ...early, sampleJitterMs: 15_000 })).toMatchObject({ transition: "fire" });
    // ... but not a breach that has lasted only half the duration.
    const half = { ...base, sample: { value: 0, ts: at(14) }, now: at(15), sampleJitterMs: 15_000 };
    expect(evaluateAlertRule(half).transition).toBe("none");
  });

  it("health fails after two failed probes 30 s apart", () => {
    const r = play(rule("health_failing"), [1, 0, 0]);
    expect(r.events.map((e) => e.transition)).toEqual(["pending", "fire"]);
  });
});

describe("hysteresis", () => {
  const firing = { state: "firing" as const, pendingSince: at(0) };
  const evalAt = (value: number, state: OpenAlertStateName = "firing") =>
    evaluateAlertRule({
      rule: rule("database_cpu_high"),
      alert: { ...firing, state },
      sample: { value, ts: at(900) },
      baseline: null,
      now: at(900),
      maxAgeMs: MAX_AGE,
    });

  it("keeps firing between the resolve threshold and the threshold", () => {
    expect(evalAt(69).transition).toBe("none");
    expect(evalAt(60.5).transition).toBe("none");
  });
  it("resolves at or below the resolve threshold", () => {
    expect(evalAt(60)).toMatchObject({ transition: "resolve", reason: "recovered" });
    expect(evalAt(12)).toMatchObject({ transition: "resolve", reason: "recovered" });
  });
  it("resolves an acknowledged alert the same way", () => {
    expect(evalAt(65, "acknowledged").transition).toBe("none");
    expect(evalAt(55, "acknowledged").transition).toBe("resolve");
  });
  it("a rule that fires below resolves at or above its resolve threshold", () => {
    const e = evaluateAlertRule({
      rule: rule("health_failing"),
      alert: firing,
      sample: { value: 1, ts: at(100) },
      baseline: null,
      now: at(100),
      maxAgeMs: MAX_AGE,
    });
    expect(e.transition).toBe("resolve");
  });
});

describe("flapping metrics", () => {
  it("a metric bouncing around the threshold never fires when no breach lasts the for-duration", () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 4 < 2 ? 71 : 69));
    const r = play(rule("database_cpu_high"), values);
    expect(r.count("fire")).toBe(0);
    expect(r.count("resolve")).toBe(0);
    expect(r.state?.state ?? null).not.toBe("firing");
  });

  it("once firing, bouncing around the threshold does not resolve and re-fire", () => {
    const values = [
      ...Array.from({ length: 21 }, () => 75),
      ...Array.from({ length: 200 }, (_, i) => 68 + (i % 5)),
    ];
    const r = play(rule("database_cpu_high"), values);
    expect(r.count("fire")).toBe(1);
    expect(r.count("resolve")).toBe(0);
    expect(r.state?.state).toBe("firing");
  });

  it("a clean recovery resolves exactly once", () => {
    const values = [...Array.from({ length: 21 }, () => 75), ...Array.from({ length: 50 }, () => 40)];
    const r = play(rule("database_cpu_high"), values);
    expect(r.count("fire")).toBe(1);
    expect(r.count("resolve")).toBe(1);
    expect(r.state).toBeNull();
  });
});

describe("baseline rules", () => {
  const errorRate = rule("error_rate_high");

  it("use the floor while the baseline is low or unknown", () => {
    expect(thresholdsInForce(errorRate, null)).toEqual({ threshold: 5, resolveThreshold: 4 });
    expect(thresholdsInForce(errorRate, 1)).toEqual({ threshold: 5, resolveThreshold: 4 });
  });

  it("fire above factor x baseline when that is higher, with the resolve threshold scaled alike", () => {
    expect(thresholdsInForce(errorRate, 4)).toEqual({ threshold: 12, resolveThreshold: 9.6 });
    // 8 % would page an instance that usually runs at 1 %, but not one that usually runs at 4 %.
    const quiet = play(
      errorRate,
      Array.from({ length: 12 }, () => 8),
      30,
      1,
    );
    expect(quiet.count("fire")).toBe(1);
    const noisy = play(
      errorRate,
      Array.from({ length: 12 }, () => 8),
      30,
      4,
    );
    expect(noisy.events).toEqual([]);
  });

  it("ignore the baseline for rules without a factor", () => {
    expect(thresholdsInForce(rule("database_cpu_high"), 50)).toEqual({ threshold: 70, resolveThreshold: 60 });
  });
});

describe("stale and missing data", () => {
  const base = { rule: rule("database_cpu_high"), baseline: null, now: at(1000), maxAgeMs: MAX_AGE };

  it("starts nothing without a fresh value", () => {
    expect(evaluateAlertRule({ ...base, alert: null, sample: null }).transition).toBe("none");
    const stale = evaluateAlertRule({ ...base, alert: null, sample: { value: 99, ts: at(1000 - 91) } });
    expect(stale).toMatchObject({ transition: "none", value: null });
    const nan = evaluateAlertRule({ ...base, alert: null, sample: { value: Number.NaN, ts: at(1000) } });
    expect(nan.transition).toBe("none");
  });

  it("never resolves a firing alert on a gap in the data", () => {
    for (const state of ["firing", "acknowledged"] as const) {
      const alert = { state, pendingSince: at(0) };
      expect(evaluateAlertRule({ ...base, alert, sample: null }).transition).toBe("none");
      expect(evaluateAlertRule({ ...base, alert, sample: { value: 10, ts: at(100) } }).transition).toBe(
        "none",
      );
    }
  });

  it("cancels a pending alert whose data went stale (documented exception)", () => {
    const alert = { state: "pending" as const, pendingSince: at(500) };
    expect(evaluateAlertRule({ ...base, alert, sample: { value: 99, ts: at(800) } })).toMatchObject({
      transition: "cancel",
      reason: "no_data",
    });
  });

  it("counts a sample exactly at the max age as fresh", () => {
    const e = evaluateAlertRule({ ...base, alert: null, sample: { value: 99, ts: at(1000 - 90) } });
    expect(e.transition).toBe("pending");
  });

  it("keeps a bucket check valid for two re-check intervals, polled metrics for three polls", () => {
    const cfg = { healthPollMs: 30_000, bucketRecheckHours: 24 };
    expect(metricMaxAgeMs("bucket_checks_ok", cfg)).toBe(48 * 3_600_000);
    expect(metricMaxAgeMs("db_cpu_percent", cfg)).toBe(90_000);
  });
});

describe("overrides and disabled rules", () => {
  it("take the override's non-null values", () => {
    const eff = effectiveAlertRule(rule("database_cpu_high"), {
      threshold: 90,
      resolveThreshold: 80,
      forSeconds: null,
    });
    expect(eff).toMatchObject({ threshold: 90, resolveThreshold: 80, forSeconds: 600, enabled: true });
    expect(effectiveAlertRule(rule("database_cpu_high"), null)).toMatchObject({ threshold: 70 });
  });

  it("pull a resolve threshold left on the wrong side back to the threshold", () => {
    expect(effectiveAlertRule(rule("database_cpu_high"), { threshold: 50 })).toMatchObject({
      threshold: 50,
      resolveThreshold: 50,
    });
    expect(effectiveAlertRule(rule("health_failing"), { resolveThreshold: 0 })).toMatchObject({
      resolveThreshold: 1,
    });
  });

  it("a disabled rule cancels its pending alert and resolves its firing one", () => {
    const off = effectiveAlertRule(rule("database_cpu_high"), { enabled: false });
    const base = {
      rule: off,
      baseline: null,
      sample: { value: 99, ts: at(0) },
      now: at(0),
      maxAgeMs: MAX_AGE,
    };
    expect(evaluateAlertRule({ ...base, alert: null }).transition).toBe("none");
    expect(evaluateAlertRule({ ...base, alert: { state: "pending", pendingSince: at(0) } })).toMatchObject({
      transition: "cancel",
      reason: "disabled",
    });
    expect(evaluateAlertRule({ ...base, alert: { state: "firing", pendingSince: at(0) } })).toMatchObject({
      transition: "resolve",
      reason: "disabled",
    });
  });
});

describe("silences", () => {
  const s = (
    o: Partial<Parameters<typeof isSilenceActive>[0]> & { ruleId?: string; instanceId?: string | null },
  ) => ({
    ruleId: "r1",
    instanceId: "i1" as string | null,
    startsAt: at(0),
    expiresAt: at(3600),
    cancelledAt: null as Date | null,
    ...o,
  });

  it("are active from startsAt until (not including) expiresAt, unless cancelled", () => {
    expect(isSilenceActive(s({}), at(-1))).toBe(false);
    expect(isSilenceActive(s({}), at(0))).toBe(true);
    expect(isSilenceActive(s({}), at(3599))).toBe(true);
    expect(isSilenceActive(s({}), at(3600))).toBe(false);
    expect(isSilenceActive(s({ cancelledAt: at(10) }), at(20))).toBe(false);
  });

  it("match their rule on their instance, or on every instance when fleet-wide", () => {
    const target = { ruleId: "r1", instanceId: "i1" };
    expect(findSilence([s({})], target, at(10))).toBeDefined();
    expect(findSilence([s({ instanceId: "i2" })], target, at(10))).toBeUndefined();
    expect(findSilence([s({ ruleId: "r2" })], target, at(10))).toBeUndefined();
    expect(findSilence([s({ instanceId: null })], target, at(10))).toBeDefined();
    expect(
      findSilence([s({ expiresAt: at(5) }), s({ instanceId: null })], target, at(10))?.instanceId,
    ).toBeNull();
  });
});

describe("alertRuleProblems", () => {
  it("names the field and the fix for a resolve threshold on the wrong side", () => {
    expect(
      alertRuleProblems({ comparison: "gt", threshold: 70, resolveThreshold: 75, forSeconds: 60 }),
    ).toEqual([
      "resolveThreshold: must be at or below the threshold (70) for a rule that fires above it; lower resolveThreshold or raise threshold",
    ]);
    expect(
      alertRuleProblems({ comparison: "lt", threshold: 1, resolveThreshold: 0.5, forSeconds: 0 })[0],
    ).toMatch(/^resolveThreshold: must be at or above the threshold \(1\)/);
  });
  it("bounds the for-duration", () => {
    expect(
      alertRuleProblems({ comparison: "gt", threshold: 1, resolveThreshold: 1, forSeconds: -1 })[0],
    ).toMatch(/^forSeconds:/);
    expect(
      alertRuleProblems({ comparison: "gt", threshold: 1, resolveThreshold: 1, forSeconds: 1.5 }),
    ).toHaveLength(1);
    expect(
      alertRuleProblems({ comparison: "gt", threshold: 1, resolveThreshold: 1, forSeconds: 86_400 }),
    ).toEqual([]);
  });
});
