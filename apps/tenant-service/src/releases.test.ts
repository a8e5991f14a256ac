import { describe, expect, it } from "vitest";
import { compareVersions, faultExempt, injectFault, targetSchemaVersion } from "./releases";

describe("compareVersions", () => {
  it("orders by number, not by text", () => {
    expect(compareVersions("0.66.0", "0.65.0")).toBe(1);
    expect(compareVersions("0.9.0", "0.10.0")).toBe(-1);
    expect(compareVersions("1.0.0", "0.66.0")).toBe(1);
    expect(compareVersions("0.66.0", "0.66.0")).toBe(0);
    expect(compareVersions("0.66", "0.66.0")).toBe(0);
  });

  it("puts a prerelease before its release, and an unnumbered build after everything", () => {
    expect(compareVersions("0.66.0-beta.1", "0.66.0")).toBe(-1);
    expect(compareVersions("0.66.0-beta.2", "0.66.0-beta.10")).toBe(-1);
    expect(compareVersions("dev", "9.9.9")).toBe(1);
    expect(compareVersions("9.9.9", "dev")).toBe(-1);
  });
});

describe("targetSchemaVersion", () => {
  it("adds the column from 0.66.0 on", () => {
    expect(targetSchemaVersion("0.64.3")).toBe(1);
    expect(targetSchemaVersion("0.65.0")).toBe(1);
    expect(targetSchemaVersion("0.66.0-rc.1")).toBe(1);
    expect(targetSchemaVersion("0.66.0")).toBe(2);
    expect(targetSchemaVersion("1.0.0")).toBe(2);
  });
});

describe("fault injection", () => {
  it("never touches the probes or the admin endpoints", () => {
    for (const p of ["/healthz", "/metrics", "/admin/errors", "/admin/load"]) {
      expect(faultExempt(p)).toBe(true);
      expect(injectFault(p, 1, 0)).toBe(false);
    }
  });

  it("fails the share of other requests given by the rate", () => {
    expect(injectFault("/api/ping", 0, 0)).toBe(false);
    expect(injectFault("/api/ping", 0.25, 0.2)).toBe(true);
    expect(injectFault("/api/ping", 0.25, 0.3)).toBe(false);
    expect(injectFault("/version", 1, 0.999)).toBe(true);
  });
});
