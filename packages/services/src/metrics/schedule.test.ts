import { METRIC_RANGE_IDS, METRIC_RANGES } from "@cp/core";
import { describe, expect, it } from "vitest";
import { nextPollSlot, pollPhaseMs } from "./poll";
import { chartStepSeconds, MAX_CHART_POINTS } from "./samples";

describe("poll slots", () => {
  const interval = 30_000;

  it("gives each instance a stable phase, spread over the interval", () => {
    expect(pollPhaseMs("inst-a", interval)).toBe(pollPhaseMs("inst-a", interval));
    const phases = Array.from({ length: 1000 }, (_, n) => pollPhaseMs(`inst-${n}`, interval));
    expect(Math.min(...phases)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...phases)).toBeLessThan(interval);
    // Ten slices of the interval each get a fair share (100 expected; a bad hash would bunch them).
    const slices = new Array<number>(10).fill(0);
    for (const p of phases) slices[Math.floor(p / (interval / 10))]! += 1;
    expect(Math.min(...slices)).toBeGreaterThan(60);
    expect(Math.max(...slices)).toBeLessThan(140);
  });

  it("is the first slot strictly after the given time, keeping the phase", () => {
    const phase = pollPhaseMs("inst-a", interval);
    const base = Date.UTC(2026, 0, 1); // a multiple of the interval
    expect(nextPollSlot("inst-a", new Date(base), interval).getTime()).toBe(
      phase === 0 ? base + interval : base + phase,
    );
    expect(nextPollSlot("inst-a", new Date(base + phase), interval).getTime()).toBe(base + phase + interval);
    expect(nextPollSlot("inst-a", new Date(base + phase - 1), interval).getTime()).toBe(base + phase);
    // Late by several intervals: the next slot, not a burst of missed ones.
    expect(nextPollSlot("inst-a", new Date(base + phase + 5 * interval + 7), interval).getTime()).toBe(
      base + phase + 6 * interval,
    );
  });
});

describe("chart steps", () => {
  it("keep every range within the point budget, on its resolution's grid", () => {
    for (const range of METRIC_RANGE_IDS) {
      const { seconds, resolution } = METRIC_RANGES[range];
      const step = chartStepSeconds(range);
      expect(seconds / step).toBeLessThanOrEqual(MAX_CHART_POINTS);
      if (resolution) expect(step % resolution).toBe(0);
    }
    expect(chartStepSeconds("1h")).toBe(5);
    expect(chartStepSeconds("24h")).toBe(300);
    expect(chartStepSeconds("7d")).toBe(900);
    expect(chartStepSeconds("30d")).toBe(3600);
  });
});
