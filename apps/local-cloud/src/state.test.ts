import { describe, expect, it } from "vitest";
import type { StoredInstance } from "./schemas";
import { emptyState, parseState, serializeState, StateFileError } from "./state";

const instance = (slug: string): StoredInstance => ({
  slug,
  instanceId: `i-${slug}`,
  desired: {
    instanceId: `i-${slug}`,
    version: "1.0.0",
    mysqlVersion: "8.0",
    size: "small",
    maxConnections: 20,
    rateLimits: { filestream: 20, graphql: 200 },
    externalRedis: false,
    sso: { mode: "provider" },
    storage: { mode: "provider" },
  },
  generation: 2,
  observedGeneration: 2,
  suspended: false,
  deleting: false,
  restoring: false,
  publicPort: 4401,
  dbPassword: "0123456789abcdef-db",
  adminToken: "0123456789abcdef-admin",
  sessionSecret: "0123456789abcdef-session",
  pid: 1234,
  runningVersion: "1.0.0",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

describe("state file format", () => {
  it("round-trips, sorted by slug", () => {
    const state = emptyState();
    state.instances.zeta = instance("zeta");
    state.instances.alpha = instance("alpha");
    const text = serializeState(state);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(parseState(text)).toEqual(state);
  });

  it("defaults fields added later (deleting) when reading an older file", () => {
    const { deleting: _omit, ...old } = instance("acme");
    const parsed = parseState(JSON.stringify({ format: 1, instances: { acme: old } }));
    expect(parsed.instances.acme?.deleting).toBe(false);
  });

  it("refuses a corrupt file with the path of the problem, rather than starting empty", () => {
    expect(() => parseState("{not json", "/x/state.json")).toThrow(StateFileError);
    expect(() => parseState(JSON.stringify({ format: 2, instances: {} }))).toThrow(/format/);
    const bad = { format: 1, instances: { acme: { ...instance("acme"), publicPort: "x" } } };
    expect(() => parseState(JSON.stringify(bad))).toThrow(/instances\.acme\.publicPort/);
    const mismatched = { format: 1, instances: { acme: instance("other") } };
    expect(() => parseState(JSON.stringify(mismatched))).toThrow(/does not match its key/);
  });
});
