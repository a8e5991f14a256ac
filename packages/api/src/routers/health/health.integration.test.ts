// The tenant health page's data and alert handling through the API: series with the thresholds in force on the
// instance, alert periods, uptime; org scoping (a foreign instance id is NOT_FOUND); who may acknowledge and silence.
import { db } from "@cp/db";
import { insertSamples } from "@cp/services";
import { beforeAll, describe, expect, it } from "vitest";
import { createAlert, createAlertRule } from "../../testing/alert-fixtures";
import {
  callerFor,
  createInstance,
  createWorld,
  settle,
  type Caller,
  type World,
} from "../../testing/fixtures";

describe("health and alerts", () => {
  let world: World;
  let instanceId: string;
  let ruleId: string;
  let alertId: string;
  let customer: Caller;
  let sre: Caller;
  const now = new Date();

  beforeAll(async () => {
    world = await createWorld();
    instanceId = (await createInstance({ orgId: world.orgA.id })).id;
    await db().instance.update({
      where: { id: instanceId },
      data: { healthStatus: "degraded", healthCheckedAt: now },
    });
    await db().monitorState.create({
      data: {
        instanceId,
        nextPollAt: now,
        lastPolledAt: now,
        lastError: "latency probe timed out after 5 s",
      },
    });
    const rule = await createAlertRule({
      metric: "db_cpu_percent",
      severity: "critical",
      name: "DB CPU (test)",
    });
    ruleId = rule.id;
    await db().alertRuleOverride.create({
      data: { ruleId, instanceId, threshold: 50, resolveThreshold: 40, reason: "tight for the test" },
    });
    await insertSamples(
      [30, 20, 10, 5].map((minutesAgo, k) => ({
        instanceId,
        metric: "db_cpu_percent" as const,
        ts: new Date(now.getTime() - minutesAgo * 60_000),
        value: 40 + k * 10,
      })),
    );
    alertId = (await createAlert({ orgId: world.orgA.id, instanceId, ruleId, severity: "critical" })).id;
    customer = await callerFor(world.users.memberA);
    sre = await callerFor(world.users.sre);
  });

  it("shows the instance's series with its overridden threshold, the firing period, status and uptime", async () => {
    const h = await customer.health.instance({ orgId: world.orgA.id, instanceId, range: "1h" });
    expect(h.status).toMatchObject({
      healthStatus: "degraded",
      lastError: "latency probe timed out after 5 s",
      alertRank: 3,
      openAlerts: 1,
    });
    const cpu = h.metrics.find((m) => m.metric === "db_cpu_percent")!;
    expect(cpu.points.map((p) => p.v)).toEqual([40, 50, 60, 70]);
    expect(cpu.thresholds.find((t) => t.ruleId === ruleId)).toMatchObject({
      threshold: 50,
      resolveThreshold: 40,
      overridden: true,
      severity: "critical",
    });
    expect(h.alertPeriods).toEqual([
      expect.objectContaining({ alertId, metric: "db_cpu_percent", end: null }),
    ]);
    expect(h.uptime).toHaveLength(6);
    expect(h.metrics.map((m) => m.metric)).toContain("health_up");
  });

  it("answers NOT_FOUND for an instance of another org, even to someone who may read the org asked about", async () => {
    const other = (await createInstance({ orgId: world.orgB.id })).id;
    const adminA = await callerFor(world.users.adminA);
    const r = await settle(adminA.health.instance({ orgId: world.orgA.id, instanceId: other, range: "1h" }));
    expect(r.outcome).toBe("NOT_FOUND");
    const l = await settle(adminA.alerts.list({ orgId: world.orgA.id, instanceId: other }));
    expect(l.outcome).toBe("NOT_FOUND");
    const bad = await settle(
      customer.health.instance({ orgId: world.orgA.id, instanceId, range: "2h" as "1h" }),
    );
    expect(bad.outcome).toBe("BAD_REQUEST");
    expect(bad.error?.message).toContain("must be one of 1h, 6h, 24h, 7d, 30d");
  });

  it("customers see their instance's alert but may not acknowledge or silence it; an SRE may", async () => {
    const seen = await customer.alerts.list({ orgId: world.orgA.id, instanceId });
    expect(seen.map((a) => [a.id, a.state, a.rule.name])).toEqual([[alertId, "firing", "DB CPU (test)"]]);
    expect((await settle(customer.alerts.acknowledge({ alertId }))).outcome).toBe("FORBIDDEN");
    const support = await callerFor(world.users.support);
    expect((await settle(support.alerts.acknowledge({ alertId }))).outcome).toBe("FORBIDDEN");

    const acked = await sre.alerts.acknowledge({ alertId });
    expect(acked).toMatchObject({ id: alertId, state: "acknowledged" });
    const again = await settle(sre.alerts.acknowledge({ alertId }));
    expect(again.outcome).toBe("CONFLICT");

    expect(
      (await settle(customer.alerts.silence({ ruleId, instanceId, durationMinutes: 60, reason: "quiet" })))
        .outcome,
    ).toBe("FORBIDDEN");
    const s = await sre.alerts.silence({
      ruleId,
      instanceId,
      durationMinutes: 60,
      reason: "Load test until 3pm",
    });
    expect(s.active).toBe(true);
    expect(s.expiresAt.getTime() - s.startsAt.getTime()).toBe(3600_000);
    const [listed] = await customer.alerts.list({ orgId: world.orgA.id, instanceId });
    expect(listed).toMatchObject({ state: "acknowledged", silenced: true });
    const cancelled = await sre.alerts.cancelSilence({ silenceId: s.id });
    expect(cancelled.active).toBe(false);
  });

  it("a silence without a reason is refused naming the field", async () => {
    const r = await settle(sre.alerts.silence({ ruleId, instanceId, durationMinutes: 60, reason: "" }));
    expect(r.outcome).toBe("BAD_REQUEST");
    expect(r.error?.message).toContain("say why");
  });
});
