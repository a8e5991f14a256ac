import { describe, expect, it } from "vitest";
import {
  ZVersion,
  checkRollback,
  compareVersions,
  defaultOrderRelease,
  orderableReleases,
  supportState,
  upgradePath,
  type ReleaseInfo,
} from "./releases";

const DAY = 24 * 60 * 60 * 1000;
const FIRST = Date.parse("2025-08-05T10:00:00Z");

/** Required steps of the catalog below: release → the version it must be reached through. */
const REQUIRES: Record<string, string> = {
  "0.55.0": "0.53.0",
  "0.60.0": "0.58.0",
  "0.63.0": "0.61.0",
  "0.65.0": "0.63.0",
  "0.67.0-beta.1": "0.66.0",
};

/**
 * A release every two weeks from 0.52.0 (5 Aug 2025) to 0.66.0 (17 Feb 2026), a beta on 3 Mar and a stable 0.67.0
 * planned for 17 Mar 2026; 0.62.0 was withdrawn; 0.52-0.55 reached end of support on 1 Jan 2026 and 0.56.0 ends on
 * 1 Apr 2026.
 */
function catalog(): ReleaseInfo[] {
  const out: ReleaseInfo[] = [];
  for (let minor = 52; minor <= 66; minor += 1) {
    const version = `0.${minor}.0`;
    out.push({
      version,
      releasedAt: new Date(FIRST + (minor - 52) * 14 * DAY),
      channel: "stable",
      requiresVersion: REQUIRES[version] ?? null,
      endOfSupportAt:
        minor <= 55
          ? new Date("2026-01-01T00:00:00Z")
          : minor === 56
            ? new Date("2026-04-01T00:00:00Z")
            : null,
      noRollback: version === "0.60.0",
      withdrawnAt: version === "0.62.0" ? new Date("2025-12-17T00:00:00Z") : null,
    });
  }
  out.push({
    version: "0.67.0-beta.1",
    releasedAt: new Date(FIRST + 15 * 14 * DAY),
    channel: "beta",
    requiresVersion: REQUIRES["0.67.0-beta.1"]!,
    endOfSupportAt: null,
    noRollback: false,
    withdrawnAt: null,
  });
  out.push({
    version: "0.67.0",
    releasedAt: new Date(FIRST + 16 * 14 * DAY),
    channel: "stable",
    requiresVersion: null,
    endOfSupportAt: null,
    noRollback: false,
    withdrawnAt: null,
  });
  return out;
}

const hops = (from: string, to: string, releases = catalog()) => {
  const r = upgradePath(releases, from, to);
  return r.ok ? r.hops : r.reason;
};

describe("compareVersions", () => {
  it("orders by number, not text, and pre-releases before their release (semver)", () => {
    const ordered = [
      "0.9.0",
      "0.10.0",
      "0.10.1",
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
      "1.2.0",
      "10.0.0",
    ];
    const shuffled = [...ordered].reverse();
    shuffled.push(shuffled.shift()!, shuffled.shift()!);
    expect(shuffled.sort(compareVersions)).toEqual(ordered);
  });

  it("returns the sign of the difference", () => {
    expect(compareVersions("0.60.0", "0.58.0")).toBe(1);
    expect(compareVersions("0.58.0", "0.60.0")).toBe(-1);
    expect(compareVersions("0.60.0", "0.60.0")).toBe(0);
    expect(compareVersions("0.67.0-beta.1", "0.66.0")).toBe(1);
    expect(compareVersions("0.67.0-beta.1", "0.67.0")).toBe(-1);
  });

  it("throws on what is not a version, naming the fix", () => {
    expect(() => compareVersions("latest", "1.0.0")).toThrow('version: "latest" is not MAJOR.MINOR.PATCH');
  });
});

describe("ZVersion", () => {
  it("accepts releases and pre-releases", () => {
    for (const ok of ["0.66.0", "1.2.3", "0.67.0-beta.1", "10.20.30-rc.1"])
      expect(ZVersion.parse(ok)).toBe(ok);
    expect(ZVersion.parse(" 0.66.0 ")).toBe("0.66.0");
  });

  it("refuses anything else with the format and an example", () => {
    for (const bad of ["0.66", "v0.66.0", "0.66.0.1", "01.2.3", "0.66.0-", "latest", ""]) {
      const r = ZVersion.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.message, bad).toBe("version: use MAJOR.MINOR.PATCH, e.g. 0.66.0");
    }
  });
});

describe("upgradePath over a realistic catalog", () => {
  it("goes through every required step, in version order, from the oldest release to the newest", () => {
    expect(hops("0.52.0", "0.66.0")).toEqual(["0.53.0", "0.58.0", "0.61.0", "0.63.0", "0.66.0"]);
  });

  it("drops steps the instance is already at or past", () => {
    expect(hops("0.53.0", "0.66.0")).toEqual(["0.58.0", "0.61.0", "0.63.0", "0.66.0"]);
    expect(hops("0.58.0", "0.66.0")).toEqual(["0.61.0", "0.63.0", "0.66.0"]);
    expect(hops("0.63.0", "0.66.0")).toEqual(["0.66.0"]);
  });

  it("applies the rule again from each step: 0.65.0 needs 0.63.0, which needs 0.61.0", () => {
    expect(hops("0.59.0", "0.65.0")).toEqual(["0.61.0", "0.63.0", "0.65.0"]);
    expect(hops("0.61.0", "0.65.0")).toEqual(["0.63.0", "0.65.0"]);
  });

  it("ignores requirements of releases above the target", () => {
    // 0.60.0 requires 0.58.0, but the target is 0.59.0.
    expect(hops("0.57.0", "0.59.0")).toEqual(["0.59.0"]);
    // Going to a required version itself is one hop.
    expect(hops("0.57.0", "0.58.0")).toEqual(["0.58.0"]);
    // 0.63.0 requires 0.61.0, 0.64.0 does not require anything new.
    expect(hops("0.59.0", "0.64.0")).toEqual(["0.61.0", "0.64.0"]);
  });

  it("places an instance older than the catalog by version order", () => {
    expect(hops("0.40.0", "0.54.0")).toEqual(["0.54.0"]);
    expect(hops("0.40.0", "0.56.0")).toEqual(["0.53.0", "0.56.0"]);
  });

  it("starts from a withdrawn release an instance is still on", () => {
    expect(hops("0.62.0", "0.66.0")).toEqual(["0.63.0", "0.66.0"]);
  });

  it("reaches a beta through its required stable release", () => {
    expect(hops("0.65.0", "0.67.0-beta.1")).toEqual(["0.66.0", "0.67.0-beta.1"]);
    expect(hops("0.66.0", "0.67.0-beta.1")).toEqual(["0.67.0-beta.1"]);
    // The beta's requirement also holds for the stable 0.67.0 above it.
    expect(hops("0.64.0", "0.67.0")).toEqual(["0.66.0", "0.67.0"]);
  });

  it("refuses an unknown or withdrawn target, the same version and a downgrade", () => {
    expect(hops("0.60.0", "0.70.0")).toBe("0.70.0 is not in the release catalog; pick a listed release");
    expect(hops("0.60.0", "0.62.0")).toBe(
      "0.62.0 was withdrawn; pick another release (the newest stable one is safest)",
    );
    expect(hops("0.60.0", "0.60.0")).toBe("already on 0.60.0; nothing to upgrade");
    expect(hops("0.60.0", "0.59.0")).toBe(
      "downgrade: 0.59.0 is older than 0.60.0; only a rollback to the version the instance had before is allowed",
    );
    expect(hops("0.67.0", "0.67.0-beta.1")).toMatch(/^downgrade: /);
    expect(hops("latest", "0.60.0")).toBe('from: "latest" is not MAJOR.MINOR.PATCH, e.g. 0.66.0');
  });

  it("refuses a path through a withdrawn or unknown required step, naming who requires it", () => {
    const withdrawn = catalog().map((r) =>
      r.version === "0.58.0" ? { ...r, withdrawnAt: new Date("2025-11-01T00:00:00Z") } : r,
    );
    expect(hops("0.57.0", "0.60.0", withdrawn)).toBe(
      "0.60.0 requires passing through 0.58.0, which was withdrawn; publish a fixed 0.58.0 release or a new required step first",
    );
    const unknown = catalog().map((r) => (r.version === "0.60.0" ? { ...r, requiresVersion: "0.57.5" } : r));
    expect(hops("0.57.0", "0.61.0", unknown)).toBe(
      "0.60.0 requires passing through 0.57.5, which is not in the release catalog; add 0.57.5 to the catalog first",
    );
    // Already past the missing step: no problem.
    expect(hops("0.58.0", "0.61.0", unknown)).toEqual(["0.61.0"]);
  });

  it("ignores the requirements of withdrawn releases: nobody upgrades through them", () => {
    const releases = catalog().map((r) => (r.version === "0.62.0" ? { ...r, requiresVersion: "0.59.0" } : r));
    expect(hops("0.57.0", "0.64.0", releases)).toEqual(["0.58.0", "0.61.0", "0.64.0"]);
    // Were 0.62.0 live, 0.59.0 would be a step.
    const live = releases.map((r) => (r.version === "0.62.0" ? { ...r, withdrawnAt: null } : r));
    expect(hops("0.57.0", "0.64.0", live)).toEqual(["0.58.0", "0.59.0", "0.61.0", "0.64.0"]);
  });
});

describe("checkRollback", () => {
  it("allows only a return to the previous, older version", () => {
    expect(checkRollback("0.66.0", "0.65.0", "0.65.0")).toEqual({ ok: true });
    expect(checkRollback("0.66.0", "0.65.0", "0.64.0")).toEqual({
      ok: false,
      reason: "a rollback can only return to the previous version 0.65.0, not 0.64.0",
    });
    expect(checkRollback("0.66.0", null, "0.65.0")).toEqual({
      ok: false,
      reason: "no earlier version is recorded for this instance; upgrade instead",
    });
    expect(checkRollback("0.65.0", "0.66.0", "0.66.0")).toEqual({
      ok: false,
      reason: "the previous version 0.66.0 is not older than the current 0.65.0; nothing to roll back",
    });
    expect(checkRollback("0.66.0", "0.66.0", "0.66.0").ok).toBe(false);
  });
});

describe("supportState", () => {
  const end = new Date("2026-03-01T00:00:00Z");
  it("is supported without an end date or a release, ending within the notice days, ended from the end on", () => {
    expect(supportState(null, end, 30)).toBe("supported");
    expect(supportState(undefined, end, 30)).toBe("supported");
    expect(supportState({ endOfSupportAt: null }, end, 30)).toBe("supported");
    expect(supportState({ endOfSupportAt: end }, new Date(end.getTime() - 30 * DAY - 1), 30)).toBe(
      "supported",
    );
    expect(supportState({ endOfSupportAt: end }, new Date(end.getTime() - 30 * DAY), 30)).toBe("ending");
    expect(supportState({ endOfSupportAt: end }, new Date(end.getTime() - 1), 30)).toBe("ending");
    expect(supportState({ endOfSupportAt: end }, end, 30)).toBe("ended");
    expect(supportState({ endOfSupportAt: end }, new Date(end.getTime() + DAY), 30)).toBe("ended");
  });
});

describe("orderableReleases and defaultOrderRelease", () => {
  // 5 Mar 2026: 0.66.0 (17 Feb) and the beta (3 Mar) are out, 0.67.0 (17 Mar) is not; 0.52-0.55 have ended.
  const now = new Date("2026-03-05T00:00:00Z");

  it("lists released, live, supported releases newest first", () => {
    expect(orderableReleases(catalog(), now).map((r) => r.version)).toEqual([
      "0.67.0-beta.1",
      "0.66.0",
      "0.65.0",
      "0.64.0",
      "0.63.0",
      "0.61.0",
      "0.60.0",
      "0.59.0",
      "0.58.0",
      "0.57.0",
      "0.56.0",
    ]);
  });

  it("defaults new orders to the newest stable one", () => {
    expect(defaultOrderRelease(catalog(), now)?.version).toBe("0.66.0");
    // Once 0.67.0 is out it becomes the default.
    expect(defaultOrderRelease(catalog(), new Date("2026-03-17T10:00:00Z"))?.version).toBe("0.67.0");
    // Withdraw every stable release: no default.
    const noStable = catalog().map((r) => (r.channel === "stable" ? { ...r, withdrawnAt: now } : r));
    expect(defaultOrderRelease(noStable, now)).toBeNull();
  });

  it("drops a release the moment its support ends", () => {
    const versions = (at: string) => orderableReleases(catalog(), new Date(at)).map((r) => r.version);
    expect(versions("2026-03-31T23:59:59Z")).toContain("0.56.0");
    expect(versions("2026-04-01T00:00:00Z")).not.toContain("0.56.0");
  });
});
