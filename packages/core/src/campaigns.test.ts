import { describe, expect, it } from "vitest";
import {
  ZCampaignSelector,
  ZCampaignStrategy,
  ZGateConfig,
  evaluateGate,
  matchesSelector,
  planSchedule,
  planWaves,
  type CampaignStrategy,
  type PlanInstance,
  type SelectableInstance,
} from "./campaigns";
import type { MaintenanceWindowConfig } from "./maintenance";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `i${i + 1}`);
const strategy = (s: Partial<CampaignStrategy>): CampaignStrategy => ({
  canary: 0,
  waves: [{ percent: 100 }],
  maxConcurrent: 3,
  failureThreshold: 1,
  ...s,
});
const sizes = <T>(waves: T[][]) => waves.map((w) => w.length);

describe("planWaves", () => {
  it("puts the canary first and splits the rest by percent, rounding up; the last wave takes the rest", () => {
    const waves = planWaves(ids(10), strategy({ canary: 1, waves: [{ percent: 50 }, { percent: 50 }] }));
    expect(waves).toEqual([["i1"], ["i2", "i3", "i4", "i5", "i6"], ["i7", "i8", "i9", "i10"]]);
  });

  it("splits by count (the integration scenario: 10 instances, a canary and two waves)", () => {
    const waves = planWaves(ids(10), strategy({ canary: 1, waves: [{ count: 3 }, { count: 3 }] }));
    expect(sizes(waves)).toEqual([1, 3, 6]);
    expect(waves.flat()).toEqual(ids(10));
  });

  it("gives every percent wave at least one instance", () => {
    const waves = planWaves(ids(7), strategy({ waves: [{ percent: 10 }, { percent: 1 }, { percent: 100 }] }));
    expect(sizes(waves)).toEqual([1, 1, 5]);
  });

  it("makes the last wave take everything left, whatever it says", () => {
    expect(sizes(planWaves(ids(10), strategy({ waves: [{ percent: 20 }, { percent: 20 }] })))).toEqual([
      2, 8,
    ]);
    expect(sizes(planWaves(ids(10), strategy({ canary: 2, waves: [{ count: 1 }] })))).toEqual([2, 8]);
  });

  it("leaves out waves that would be empty", () => {
    expect(sizes(planWaves(ids(3), strategy({ canary: 1, waves: [{ count: 5 }, { count: 5 }] })))).toEqual([
      1, 2,
    ]);
    expect(
      sizes(planWaves(ids(3), strategy({ canary: 3, waves: [{ percent: 50 }, { percent: 50 }] }))),
    ).toEqual([3]);
    expect(planWaves([], strategy({ canary: 1 }))).toEqual([]);
  });

  it("has only a canary wave when the canary covers everything", () => {
    expect(planWaves(ids(3), strategy({ canary: 5, waves: [{ percent: 50 }, { percent: 50 }] }))).toEqual([
      ["i1", "i2", "i3"],
    ]);
  });

  it("has no canary wave when the canary is 0", () => {
    expect(planWaves(ids(4), strategy({ canary: 0, waves: [{ percent: 50 }, { percent: 50 }] }))).toEqual([
      ["i1", "i2"],
      ["i3", "i4"],
    ]);
  });
});

describe("evaluateGate", () => {
  it("passes when healthy, with enough requests and an error rate not above before, giving the figures", () => {
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 240, errors: 0 },
        after: { requests: 236, errors: 0 },
        minRequests: 20,
      }),
    ).toEqual({
      passed: true,
      reason: "healthy; error rate 0.0% (0/236) during the soak, not above 0.0% (0/240) before the upgrade",
    });
    // Exactly equal rates pass.
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 300, errors: 3 },
        after: { requests: 100, errors: 1 },
        minRequests: 20,
      }).passed,
    ).toBe(true);
  });

  it("fails when the health check is red", () => {
    expect(
      evaluateGate({
        healthy: false,
        healthDetail: "/healthz answered 503",
        before: { requests: 240, errors: 0 },
        after: { requests: 240, errors: 0 },
        minRequests: 20,
      }),
    ).toEqual({ passed: false, reason: "health check failed: /healthz answered 503" });
    expect(
      evaluateGate({
        healthy: false,
        before: { requests: 0, errors: 0 },
        after: { requests: 0, errors: 0 },
        minRequests: 0,
      }).reason,
    ).toBe("health check failed");
  });

  it("never passes on too little traffic", () => {
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 240, errors: 0 },
        after: { requests: 0, errors: 0 },
        minRequests: 20,
      }),
    ).toEqual({ passed: false, reason: "only 0 requests during the soak; need at least 20" });
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 240, errors: 0 },
        after: { requests: 19, errors: 0 },
        minRequests: 20,
      }).passed,
    ).toBe(false);
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 240, errors: 0 },
        after: { requests: 20, errors: 0 },
        minRequests: 20,
      }).passed,
    ).toBe(true);
  });

  it("fails when the error rate rose", () => {
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 240, errors: 1 },
        after: { requests: 240, errors: 60 },
        minRequests: 20,
      }),
    ).toEqual({
      passed: false,
      reason: "error rate 25.0% (60/240) during the soak, above 0.4% (1/240) before the upgrade",
    });
    // A rate just above (2/199 > 1/100) fails; no floating-point slack either way.
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 100, errors: 1 },
        after: { requests: 199, errors: 2 },
        minRequests: 20,
      }).passed,
    ).toBe(false);
  });

  it("counts no requests before as a 0% rate", () => {
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 0, errors: 0 },
        after: { requests: 50, errors: 1 },
        minRequests: 20,
      }),
    ).toEqual({
      passed: false,
      reason: "error rate 2.0% (1/50) during the soak, above 0.0% (0/0) before the upgrade",
    });
    expect(
      evaluateGate({
        healthy: true,
        before: { requests: 0, errors: 0 },
        after: { requests: 50, errors: 0 },
        minRequests: 20,
      }).passed,
    ).toBe(true);
  });
});

describe("planSchedule", () => {
  const berlin: MaintenanceWindowConfig = {
    weekday: 2,
    start: "02:00",
    durationMin: 240,
    timezone: "Europe/Berlin",
    anchor: "2026-01-13",
  };
  const newYork: MaintenanceWindowConfig = { ...berlin, timezone: "America/New_York" };
  const kolkata: MaintenanceWindowConfig = {
    weekday: 3,
    start: "23:30",
    durationMin: 180,
    timezone: "Asia/Kolkata",
    anchor: "2026-01-14",
  };
  const plan = (
    instanceId: string,
    window: MaintenanceWindowConfig,
    fleetBlackouts: string[] = [],
  ): PlanInstance => ({
    instanceId,
    window,
    exclusions: { fleetBlackouts },
  });
  const waves = [
    [plan("a", berlin), plan("b", newYork)],
    [plan("c", berlin), plan("d", kolkata)],
    [plan("e", berlin, ["2026-02-10"])],
  ];
  const start = new Date("2026-01-12T00:00:00Z");
  const asIso = (ws: ReturnType<typeof planSchedule>) =>
    ws.map((w) => ({
      wave: w.wave,
      startsAfter: w.startsAfter.toISOString(),
      expectedEnd: w.expectedEnd.toISOString(),
      instances: w.instances.map((i) => [
        i.instanceId,
        i.plannedAt.toISOString(),
        i.windowEnd?.toISOString() ?? null,
      ]),
    }));

  it("places each instance in its next window after the previous wave is expected to end", () => {
    expect(asIso(planSchedule(waves, start, { urgent: false, perInstanceMinutes: 30 }))).toEqual([
      {
        wave: 0,
        startsAfter: "2026-01-12T00:00:00.000Z",
        // b's window opens at 02:00 New York = 07:00 UTC; + 30 minutes.
        expectedEnd: "2026-01-13T07:30:00.000Z",
        instances: [
          ["a", "2026-01-13T01:00:00.000Z", "2026-01-13T05:00:00.000Z"],
          ["b", "2026-01-13T07:00:00.000Z", "2026-01-13T11:00:00.000Z"],
        ],
      },
      {
        wave: 1,
        startsAfter: "2026-01-13T07:30:00.000Z",
        // c missed its 13 January window (the wave started after it opened): the next is 27 January.
        expectedEnd: "2026-01-27T01:30:00.000Z",
        instances: [
          ["c", "2026-01-27T01:00:00.000Z", "2026-01-27T05:00:00.000Z"],
          ["d", "2026-01-14T18:00:00.000Z", "2026-01-14T21:00:00.000Z"],
        ],
      },
      {
        wave: 2,
        startsAfter: "2026-01-27T01:30:00.000Z",
        // 10 February is a fleet blackout: 24 February.
        expectedEnd: "2026-02-24T01:30:00.000Z",
        instances: [["e", "2026-02-24T01:00:00.000Z", "2026-02-24T05:00:00.000Z"]],
      },
    ]);
  });

  it("ignores windows when urgent: each wave at once, one after the other", () => {
    expect(asIso(planSchedule(waves, start, { urgent: true, perInstanceMinutes: 10 }))).toEqual([
      {
        wave: 0,
        startsAfter: "2026-01-12T00:00:00.000Z",
        expectedEnd: "2026-01-12T00:10:00.000Z",
        instances: [
          ["a", "2026-01-12T00:00:00.000Z", null],
          ["b", "2026-01-12T00:00:00.000Z", null],
        ],
      },
      {
        wave: 1,
        startsAfter: "2026-01-12T00:10:00.000Z",
        expectedEnd: "2026-01-12T00:20:00.000Z",
        instances: [
          ["c", "2026-01-12T00:10:00.000Z", null],
          ["d", "2026-01-12T00:10:00.000Z", null],
        ],
      },
      {
        wave: 2,
        startsAfter: "2026-01-12T00:20:00.000Z",
        expectedEnd: "2026-01-12T00:30:00.000Z",
        instances: [["e", "2026-01-12T00:20:00.000Z", null]],
      },
    ]);
  });

  it("ends an empty wave when it starts", () => {
    const ws = planSchedule([[], [plan("a", berlin)]], start, { urgent: true, perInstanceMinutes: 5 });
    expect(ws[0]!.expectedEnd.toISOString()).toBe("2026-01-12T00:00:00.000Z");
    expect(ws[1]!.expectedEnd.toISOString()).toBe("2026-01-12T00:05:00.000Z");
  });
});

describe("ZCampaignStrategy, ZGateConfig, ZCampaignSelector", () => {
  const firstMessage = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
    r.error?.issues[0]?.message;
  const valid = { canary: 1, waves: [{ percent: 50 }, { count: 3 }], maxConcurrent: 3, failureThreshold: 1 };

  it("accepts a strategy and names the field of a bad one", () => {
    expect(ZCampaignStrategy.parse(valid)).toEqual(valid);
    expect(firstMessage(ZCampaignStrategy.safeParse({ ...valid, canary: -1 }))).toBe(
      "canary: use 0 for no canary, or a number of instances",
    );
    expect(firstMessage(ZCampaignStrategy.safeParse({ ...valid, waves: [] }))).toBe(
      "waves: add at least one wave, e.g. [{ percent: 100 }]",
    );
    expect(firstMessage(ZCampaignStrategy.safeParse({ ...valid, waves: [{ size: 3 }] }))).toBe(
      "waves: each wave is { percent: 1..100 } or { count: n }, e.g. { percent: 50 }",
    );
    expect(firstMessage(ZCampaignStrategy.safeParse({ ...valid, maxConcurrent: 0 }))).toBe(
      "maxConcurrent: must be at least 1",
    );
    expect(firstMessage(ZCampaignStrategy.safeParse({ ...valid, failureThreshold: 0 }))).toBe(
      "failureThreshold: must be at least 1",
    );
  });

  it("fills gate defaults", () => {
    expect(ZGateConfig.parse({})).toEqual({ enabled: true, soakSeconds: 60, minRequests: 20 });
    expect(ZGateConfig.parse({ enabled: false, soakSeconds: 0 })).toEqual({
      enabled: false,
      soakSeconds: 0,
      minRequests: 20,
    });
    expect(firstMessage(ZGateConfig.safeParse({ minRequests: -1 }))).toBe("minRequests: cannot be negative");
  });

  it("treats empty lists as no filter and checks the version range", () => {
    expect(ZCampaignSelector.parse({ clouds: [], regions: [], orgIds: ["o1"] })).toEqual({
      clouds: undefined,
      regions: undefined,
      orgIds: ["o1"],
      instanceIds: undefined,
    });
    expect(
      firstMessage(ZCampaignSelector.safeParse({ versionRange: { min: "0.60.0", max: "0.58.0" } })),
    ).toBe("versionRange: min must not be newer than max; swap them");
    expect(firstMessage(ZCampaignSelector.safeParse({ versionRange: { min: "0.60" } }))).toBe(
      "version: use MAJOR.MINOR.PATCH, e.g. 0.66.0",
    );
    expect(firstMessage(ZCampaignSelector.safeParse({ clouds: ["mars"] }))).toBe(
      "clouds: use aws, gcp or local (leave out to match every cloud)",
    );
  });
});

describe("matchesSelector", () => {
  const inst: SelectableInstance = {
    id: "i1",
    cloud: "local",
    region: "local-1",
    orgId: "o1",
    version: "0.60.0",
    channel: "stable",
  };

  it("matches everything with an empty selector and ANDs the parts that are set", () => {
    expect(matchesSelector(inst, {})).toBe(true);
    expect(
      matchesSelector(inst, { clouds: ["local"], regions: ["local-1"], orgIds: ["o1"], instanceIds: ["i1"] }),
    ).toBe(true);
    expect(matchesSelector(inst, { clouds: ["aws"] })).toBe(false);
    expect(matchesSelector(inst, { clouds: ["local"], orgIds: ["o2"] })).toBe(false);
    expect(matchesSelector(inst, { instanceIds: ["i2"] })).toBe(false);
    expect(matchesSelector(inst, { channel: "beta" })).toBe(false);
    expect(matchesSelector({ ...inst, channel: null }, { channel: "stable" })).toBe(false);
  });

  it("uses an inclusive version range in semver order", () => {
    expect(matchesSelector(inst, { versionRange: { min: "0.60.0", max: "0.60.0" } })).toBe(true);
    expect(matchesSelector(inst, { versionRange: { min: "0.9.0" } })).toBe(true);
    expect(matchesSelector(inst, { versionRange: { max: "0.59.0" } })).toBe(false);
    expect(matchesSelector(inst, { versionRange: { min: "0.61.0" } })).toBe(false);
    expect(matchesSelector({ ...inst, version: "unknown" }, { versionRange: { min: "0.1.0" } })).toBe(false);
  });
});
