// Usage views over stored reports: a deployment's series (its org only), the fleet's sums per day, version lag
// against the newest stable release, and deployments that stopped reporting. Reports here are dated in 2199, and the
// clock is set just after, so other files' reports (dated today) never fall in the windows. Releases use a major of
// their own and are removed at the end.
import { randomUUID } from "node:crypto";
import { AppError, type Actor, type StaffRole, type TelemetryCounters } from "@cp/core";
import { db } from "@cp/db";
import { afterAll, describe, expect, it } from "vitest";
import {
  releasesBehind,
  telemetryDeploymentSeries,
  telemetryFleetSeries,
  telemetryStaleDeployments,
  telemetryVersionLag,
} from "./usage";

const DAY_MS = 86_400_000;
const NOW = new Date("2200-01-01T12:00:00Z");
const M = 900 + Math.floor(Math.random() * 90);

function actor(staffRole: StaffRole, memberships: Actor["memberships"] = []): Actor {
  return { userId: randomUUID(), email: `${randomUUID()}@example.com`, staffRole, memberships };
}

function counters(runCount: number, activeDaily = 1): TelemetryCounters {
  return {
    userCount: 10,
    teamCount: 1,
    sweepCount: 0,
    runCount,
    projectCount: 2,
    sweepRunCount: 0,
    artifactCount: 0,
    artifactStorageBytes: 0,
    artifactReferenceBytes: 0,
    artifactCollectionCount: 0,
    artifactTypeCount: 0,
    reportCount: 0,
    reportCommentCount: 0,
    computeHours: 1.5,
    storageBytes: 1000,
    userStat: { activeDaily, activeWeekly: 2, activeMonthly: 3 },
  };
}

async function setup() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Use ${suffix}`, slug: `use-${suffix}`, plan: "customer_managed" },
  });
  const other = await db().organization.create({
    data: { name: `Oth ${suffix}`, slug: `oth-${suffix}`, plan: "customer_managed" },
  });
  const mk = (orgId: string, name: string, version: string, lastReportAt: Date | null = null) =>
    db().customerDeployment.create({
      data: {
        orgId,
        name: `${name}-${suffix}`,
        platform: "gcp",
        contactName: "Ops",
        contactEmail: "ops@example.com",
        version,
        lastReportAt,
      },
    });
  const a = await mk(org.id, "a", `${M}.1.0`, new Date(NOW.getTime() - 3600_000));
  const b = await mk(other.id, "b", `${M}.3.0`, new Date(NOW.getTime() - 10 * DAY_MS));
  const c = await mk(org.id, "c", "not-semver");
  const report = (
    deploymentId: string,
    orgId: string,
    day: string,
    cs: TelemetryCounters,
    replacements = 0,
  ) =>
    db().telemetryReport.create({
      data: { deploymentId, orgId, licenseId: "none", day, version: `${M}.1.0`, counters: cs, replacements },
    });
  await report(a.id, org.id, "2199-12-29", counters(10, 4));
  await report(a.id, org.id, "2199-12-31", counters(30, 6), 2);
  await report(b.id, other.id, "2199-12-31", counters(100, 1));
  await report(b.id, other.id, "2199-12-30", counters(50, 1));
  // Outside a 7-day window.
  await report(b.id, other.id, "2199-12-01", counters(999, 9));
  return { org, other, a, b, c };
}

afterAll(async () => {
  await db().release.deleteMany({ where: { version: { startsWith: `${M}.` } } });
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return "ok";
}

describe("usage views", () => {
  it("a deployment's series: its org's members see the days in the window and the latest report", async () => {
    const { org, other, a, b } = await setup();
    const member = actor("none", [{ orgId: org.id, role: "member" }]);
    const s = await telemetryDeploymentSeries(
      member,
      { orgId: org.id, deploymentId: a.id, counters: ["runCount", "userStat.activeDaily"], days: 7 },
      NOW,
    );
    expect(s.from).toBe("2199-12-26");
    expect(s.to).toBe("2200-01-01");
    expect(s.points).toEqual([
      { day: "2199-12-29", values: { runCount: 10, "userStat.activeDaily": 4 } },
      { day: "2199-12-31", values: { runCount: 30, "userStat.activeDaily": 6 } },
    ]);
    expect(s.latest).toMatchObject({ day: "2199-12-31", replacements: 2 });
    expect(s.latest?.values).toMatchObject({ runCount: 30, computeHours: 1.5, "userStat.activeMonthly": 3 });

    // Another org's deployment, even under one's own org id, and another org altogether: NOT_FOUND.
    expect(await refusal(telemetryDeploymentSeries(member, { orgId: org.id, deploymentId: b.id }, NOW))).toBe(
      "NOT_FOUND",
    );
    expect(
      await refusal(telemetryDeploymentSeries(member, { orgId: other.id, deploymentId: b.id }, NOW)),
    ).toBe("NOT_FOUND");
    // Staff read any org's.
    const staff = await telemetryDeploymentSeries(
      actor("support"),
      { orgId: other.id, deploymentId: b.id, days: 7 },
      NOW,
    );
    expect(staff.points.map((p) => p.day)).toEqual(["2199-12-30", "2199-12-31"]);
    expect(
      await refusal(telemetryDeploymentSeries(member, { orgId: org.id, deploymentId: a.id, days: 401 }, NOW)),
    ).toBe("BAD_REQUEST");
  });

  it("the fleet series sums the counters per day (staff only)", async () => {
    await setup();
    const s = await telemetryFleetSeries(
      actor("sre"),
      { days: 7, counters: ["runCount", "computeHours"] },
      NOW,
    );
    // Other runs of setup() in this file add rows too; the sums are per day over every deployment.
    const byDay = Object.fromEntries(s.points.map((p) => [p.day, p]));
    const created = await db().telemetryReport.groupBy({
      by: ["day"],
      where: { day: { gte: "2199-12-26" } },
      _count: { _all: true },
    });
    expect(Object.keys(byDay).sort()).toEqual(created.map((g) => g.day).sort());
    const d31 = byDay["2199-12-31"]!;
    expect(d31.deployments % 2).toBe(0);
    // Each setup() adds 30 + 100 runs on the 31st and 1.5 compute hours per report.
    expect(d31.values.runCount).toBe((130 * d31.deployments) / 2);
    expect(d31.values.computeHours).toBeCloseTo(1.5 * d31.deployments);
    expect(byDay["2199-12-01"]).toBeUndefined();
    expect(await refusal(telemetryFleetSeries(actor("none"), {}, NOW))).toBe("FORBIDDEN");
  });

  it("version lag counts stable released releases between a deployment's version and the latest", async () => {
    const { a, b, c } = await setup();
    const past = new Date(NOW.getTime() - 100 * DAY_MS);
    await db().release.createMany({
      data: [
        { version: `${M}.1.0`, releasedAt: past, channel: "stable" },
        { version: `${M}.2.0`, releasedAt: past, channel: "stable" },
        { version: `${M}.2.5`, releasedAt: past, channel: "beta" },
        { version: `${M}.2.7`, releasedAt: past, channel: "stable", withdrawnAt: past },
        { version: `${M}.3.0`, releasedAt: past, channel: "stable" },
      ],
    });
    const lag = await telemetryVersionLag(actor("admin"), NOW);
    expect(lag.latestVersion).toBe(`${M}.3.0`);
    const mine = lag.deployments.filter((d) => [a.id, b.id, c.id].includes(d.deploymentId));
    expect(mine.map((d) => [d.deploymentId, d.releasesBehind])).toEqual([
      [a.id, 2],
      [b.id, 0],
      [c.id, null],
    ]);
    // Sorted most behind first overall.
    const behind = lag.deployments.map((d) => d.releasesBehind ?? -1);
    expect(behind).toEqual([...behind].sort((x, y) => y - x));
    expect(await refusal(telemetryVersionLag(actor("none"), NOW))).toBe("FORBIDDEN");
    expect(releasesBehind("0.1.0", `${M}.3.0`, [], NOW)).toBe(0);
  });

  it("stale lists deployments silent for CP_TELEMETRY_STALE_DAYS or never heard from", async () => {
    const { a, b, c } = await setup();
    const s = await telemetryStaleDeployments(actor("support"), NOW);
    expect(s.staleDays).toBe(3);
    const ids = s.deployments.map((d) => d.deploymentId);
    expect(ids).toContain(b.id);
    expect(ids).toContain(c.id);
    expect(ids).not.toContain(a.id);
    expect(s.deployments.find((d) => d.deploymentId === b.id)?.silentDays).toBe(10);
    expect(s.deployments.find((d) => d.deploymentId === c.id)?.silentDays).toBeNull();
    // Never-reported first.
    const firstReported = s.deployments.findIndex((d) => d.lastReportAt !== null);
    expect(s.deployments.slice(firstReported).every((d) => d.lastReportAt !== null)).toBe(true);
    expect(await refusal(telemetryStaleDeployments(actor("none"), NOW))).toBe("FORBIDDEN");
  });
});
