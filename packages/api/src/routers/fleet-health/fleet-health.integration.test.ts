// The staff fleet health view: counts and the worst-first list over instances and open alerts inserted directly.
import { db } from "@cp/db";
import { beforeAll, describe, expect, it } from "vitest";
import {
  callerFor,
  createInstance,
  createOrg,
  createUser,
  settle,
  unique,
  type Caller,
  type TestOrg,
} from "../../testing/fixtures";

describe("fleetHealth", () => {
  let tag: string;
  let acme: TestOrg;
  let globex: TestOrg;
  let api: Caller;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    tag = unique("fh");
    [acme, globex] = await Promise.all([
      createOrg({ name: `Acme ${tag}` }),
      createOrg({ name: `Globex ${tag}` }),
    ]);
    const rule = await db().alertRule.create({
      data: {
        key: unique("rule"),
        name: `CPU high ${tag}`,
        metric: "db_cpu_percent",
        comparison: "gt",
        threshold: 80,
        resolveThreshold: 70,
        forSeconds: 60,
        severity: "critical",
        runbook: "https://runbooks.example.test/cpu",
      },
    });
    const infoRule = await db().alertRule.create({
      data: {
        key: unique("rule"),
        name: `Storage note ${tag}`,
        metric: "storage_percent",
        comparison: "gt",
        threshold: 50,
        resolveThreshold: 45,
        forSeconds: 60,
        severity: "info",
        runbook: "https://runbooks.example.test/storage",
      },
    });
    const specs = [
      { key: "a-calm", org: acme, cloud: "aws" as const, region: "eu-west-1", rank: 0, version: "0.63.0" },
      { key: "b-info", org: acme, cloud: "aws" as const, region: "eu-west-1", rank: 1, version: "0.64.0" },
      {
        key: "c-crit",
        org: globex,
        cloud: "gcp" as const,
        region: "us-central1",
        rank: 3,
        version: "0.64.0",
      },
      {
        key: "d-warn",
        org: globex,
        cloud: "gcp" as const,
        region: "us-central1",
        rank: 2,
        version: "0.63.0",
      },
      { key: "e-calm", org: globex, cloud: "aws" as const, region: "ap-south-1", rank: 0, version: "0.64.0" },
    ];
    for (const s of specs) {
      const inst = await createInstance({
        orgId: s.org.id,
        cloud: s.cloud,
        region: s.region,
        name: `${s.key} ${tag}`,
      });
      ids[s.key] = inst.id;
      await db().instance.update({
        where: { id: inst.id },
        data: {
          // Slugs in key order, so "then slug" is checkable.
          slug: `${tag}-${s.key}`,
          alertRank: s.rank,
          openAlerts: s.rank > 0 ? 1 : 0,
          version: s.version,
          healthStatus: s.rank === 3 ? "down" : "up",
          healthCheckedAt: new Date(),
        },
      });
    }
    const deleted = await createInstance({ orgId: acme.id, status: "deleted", name: `deleted ${tag}` });
    await db().instance.update({ where: { id: deleted.id }, data: { alertRank: 3, deletedAt: new Date() } });

    const open = (instanceId: string, orgId: string, r: { id: string; severity: "info" | "critical" }) =>
      db().alert.create({
        data: {
          ruleId: r.id,
          instanceId,
          orgId,
          state: r.severity === "critical" ? "firing" : "acknowledged",
          severity: r.severity,
          openKey: `${r.id}:${instanceId}`,
          value: 95,
          threshold: 80,
          pendingSince: new Date(Date.now() - 120_000),
          firedAt: new Date(Date.now() - 60_000),
          lastEvaluatedAt: new Date(),
        },
      });
    await open(ids["c-crit"]!, globex.id, { id: rule.id, severity: "critical" });
    await open(ids["c-crit"]!, globex.id, { id: infoRule.id, severity: "info" });
    await open(ids["b-info"]!, acme.id, { id: infoRule.id, severity: "info" });
    api = await callerFor(await createUser({ staffRole: "support" }));
  });

  it("lists live instances worst first, then by slug, with the top open alert's rule", async () => {
    const page = await api.fleetHealth.list({ q: tag });
    expect(page.total).toBe(5);
    expect(page.items.map((i) => i.id)).toEqual(
      ["c-crit", "d-warn", "b-info", "a-calm", "e-calm"].map((k) => ids[k]),
    );
    expect(page.items[0]).toMatchObject({
      orgName: globex.name,
      alertRank: 3,
      healthStatus: "down",
      topAlertRule: `CPU high ${tag}`,
    });
    expect(page.items[2]?.topAlertRule).toBe(`Storage note ${tag}`);
    expect(page.items[3]?.topAlertRule).toBeNull();
  });

  it("filters by severity, cloud, region, version, org and health; pages by offset with the total", async () => {
    const q = tag;
    expect((await api.fleetHealth.list({ q, severity: "none" })).items.map((i) => i.id)).toEqual([
      ids["a-calm"],
      ids["e-calm"],
    ]);
    expect((await api.fleetHealth.list({ q, cloud: "gcp" })).total).toBe(2);
    expect((await api.fleetHealth.list({ q, region: "eu-west-1" })).total).toBe(2);
    expect((await api.fleetHealth.list({ q, version: "0.64.0" })).total).toBe(3);
    expect((await api.fleetHealth.list({ orgId: acme.id })).total).toBe(2);
    expect((await api.fleetHealth.list({ q, health: "down" })).items.map((i) => i.id)).toEqual([
      ids["c-crit"],
    ]);
    const p2 = await api.fleetHealth.list({ q, page: 2, pageSize: 2 });
    expect(p2).toMatchObject({ total: 5, pages: 3, page: 2 });
    expect(p2.items.map((i) => i.id)).toEqual([ids["b-info"], ids["a-calm"]]);
    // LIKE wildcards in the search are literal.
    expect((await api.fleetHealth.list({ q: `${tag}%` })).total).toBe(0);
  });

  it("counts by severity, cloud, region, version and org, and open alerts by state", async () => {
    const s = await api.fleetHealth.summary({ q: tag });
    expect(s.total).toBe(5);
    expect(s.bySeverity).toEqual({ none: 2, info: 1, warning: 1, critical: 1 });
    expect(s.byCloud).toEqual([
      { cloud: "gcp", count: 2, worstRank: 3 },
      { cloud: "aws", count: 3, worstRank: 1 },
    ]);
    expect(s.byRegion[0]).toEqual({ cloud: "gcp", region: "us-central1", count: 2, worstRank: 3 });
    expect(s.byVersion).toEqual([
      { version: "0.64.0", count: 3, worstRank: 3 },
      { version: "0.63.0", count: 2, worstRank: 2 },
    ]);
    expect(s.byOrg.map((o) => [o.orgId, o.count, o.worstRank])).toEqual([
      [globex.id, 3, 3],
      [acme.id, 2, 1],
    ]);
    expect(s.alerts).toEqual({
      firing: { info: 0, warning: 0, critical: 1 },
      acknowledged: { info: 2, warning: 0, critical: 0 },
    });
  });

  it("names the field of a bad input; customers may not see fleet health", async () => {
    const bad = await settle(api.fleetHealth.list({ pageSize: 500 }));
    expect(bad.outcome).toBe("BAD_REQUEST");
    expect(bad.error?.message).toContain("must be at most 100");
    const customer = await callerFor(await createUser());
    expect((await settle(customer.fleetHealth.summary({}))).outcome).toBe("FORBIDDEN");
  });
});
