// Threshold alerts against the real database: samples written straight into metric_series/metric_samples, then
// evaluation cycles at chosen times. Other test files share the database (and its SREs), so every assertion is
// scoped to this file's instances and people.
import { randomUUID } from "node:crypto";
import { AppError } from "@cp/core";
import { db } from "@cp/db";
import { beforeAll, describe, expect, it } from "vitest";
import type { ActingContext } from "../context";
import {
  clearAlertRuleOverride,
  ensureDefaultAlertRules,
  listAlertRules,
  setAlertRuleOverride,
  updateAlertRule,
} from "./alert-rules";
import { acknowledgeAlert, alertPeriods, listAlerts } from "./alerts";
import { evaluateAlerts } from "./evaluate-alerts";
import { cancelSilence, createSilence, listSilences } from "./silences";

const ruleIds: Record<string, string> = {};
let sre: { id: string; email: string };
let sreCtx: ActingContext;

beforeAll(async () => {
  await ensureDefaultAlertRules();
  for (const r of await db().alertRule.findMany()) ruleIds[r.key] = r.id;
  sre = await db().user.create({
    data: { email: `sre-alerts-${randomUUID().slice(0, 8)}@provider.example`, staffRole: "sre" },
  });
  sreCtx = {
    actor: { userId: sre.id, email: sre.email, staffRole: "sre", memberships: [] },
    ip: "203.0.113.7",
    userAgent: "test",
    requestId: randomUUID(),
  };
});

async function setup(options: { instances?: number; status?: string } = {}) {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Al ${suffix}`, slug: `al-${suffix}`, plan: "dedicated", instanceQuota: 10 },
  });
  const admin = await db().user.create({ data: { email: `admin-${suffix}@example.com` } });
  const member = await db().user.create({ data: { email: `member-${suffix}@example.com` } });
  await db().membership.create({ data: { orgId: org.id, userId: admin.id, role: "admin" } });
  await db().membership.create({ data: { orgId: org.id, userId: member.id, role: "member" } });
  const instances = [];
  for (let k = 0; k < (options.instances ?? 1); k++) {
    instances.push(
      await db().instance.create({
        data: {
          orgId: org.id,
          name: `inst-${suffix}-${k}`,
          slug: `inst-${suffix}-${k}`,
          cloud: "local",
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storageMode: "provider",
          status: (options.status ?? "running") as "running",
        },
      }),
    );
  }
  return { org, admin, member, instance: instances[0]!, instances };
}

/** Writes samples of one metric: [secondsAfterT0, value] pairs. */
async function samples(instanceId: string, metric: string, t0: number, points: [number, number][]) {
  const s = await db().metricSeries.upsert({
    where: { instanceId_metric: { instanceId, metric } },
    create: { instanceId, metric },
    update: {},
  });
  await db().$executeRaw`
    INSERT INTO metric_samples (series_id, ts, value)
    SELECT ${s.id}, t, v FROM unnest(${points.map(([sec]) => new Date(t0 + sec * 1000).toISOString())}::timestamptz[],
                                     ${points.map(([, v]) => v)}::float8[]) AS u(t, v)
    ON CONFLICT DO NOTHING`;
  return s.id;
}

const every30s = (from: number, to: number, value: number): [number, number][] =>
  Array.from({ length: Math.floor((to - from) / 30) + 1 }, (_, k) => [from + k * 30, value]);

const at = (t0: number, sec: number) => new Date(t0 + sec * 1000);

async function openAlert(ruleKey: string, instanceId: string) {
  return db().alert.findUnique({ where: { openKey: `${ruleIds[ruleKey]}:${instanceId}` } });
}

async function messagesOf(alertId: string) {
  return db().outboxMessage.findMany({
    where: { dedupeKey: { startsWith: `alert:${alertId}:` } },
    select: { channel: true, userId: true, toAddress: true, subject: true, bodyText: true, dedupeKey: true },
  });
}

async function expectAppError(p: Promise<unknown>, code: string, pattern?: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  if (pattern) expect((err as AppError).message).toMatch(pattern);
  return err as AppError;
}

describe("default rules", () => {
  it("inserts the missing ones by key and never overwrites a staff edit", async () => {
    await updateAlertRule(sreCtx, ruleIds.latency_high!, { threshold: 2500, resolveThreshold: 1800 });
    expect(await ensureDefaultAlertRules()).toBe(0);
    expect((await db().alertRule.findUniqueOrThrow({ where: { key: "latency_high" } })).threshold).toBe(2500);
    await updateAlertRule(sreCtx, ruleIds.latency_high!, { threshold: 2000, resolveThreshold: 1500 });
    const audit = await db().auditEvent.findFirst({
      where: { action: "alert_rule.update", targetId: ruleIds.latency_high },
      orderBy: { createdAt: "desc" },
    });
    expect(audit).toMatchObject({ actorId: sre.id, after: { key: "latency_high", threshold: 2000 } });
  });

  it("rejects a resolve threshold on the wrong side, naming the field and the fix", async () => {
    const err = await expectAppError(
      updateAlertRule(sreCtx, ruleIds.database_cpu_high!, { resolveThreshold: 80 }),
      "BAD_REQUEST",
      /lower resolveThreshold or raise threshold/,
    );
    expect(err.field).toBe("resolveThreshold");
    await expectAppError(updateAlertRule(sreCtx, "nope", { threshold: 1 }), "NOT_FOUND");
    await expectAppError(updateAlertRule(sreCtx, ruleIds.database_cpu_high!, {}), "BAD_REQUEST");
    await expectAppError(
      updateAlertRule(sreCtx, ruleIds.database_cpu_high!, { forSeconds: -5 }),
      "BAD_REQUEST",
      /^forSeconds:/,
    );
  });
});

describe("evaluation cycles", () => {
  it("goes pending, fires after the for-duration and notifies SREs and the org's admins once", async () => {
    const { instance, admin, member } = await setup();
    const t0 = Date.now();
    await samples(instance.id, "db_cpu_percent", t0, every30s(0, 600, 75));

    await evaluateAlerts(at(t0, 0));
    expect(await openAlert("database_cpu_high", instance.id)).toMatchObject({ state: "pending" });
    await evaluateAlerts(at(t0, 570));
    expect((await openAlert("database_cpu_high", instance.id))?.state).toBe("pending");
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).alertRank).toBe(0);

    const r = await evaluateAlerts(at(t0, 600));
    expect(r.fired).toBeGreaterThanOrEqual(1);
    const alert = await openAlert("database_cpu_high", instance.id);
    expect(alert).toMatchObject({ state: "firing", severity: "warning", value: 75, threshold: 70 });
    expect(alert?.firedAt?.getTime()).toBe(t0 + 600_000);
    expect(alert?.pendingSince.getTime()).toBe(t0);
    expect(alert?.notifiedAt).not.toBeNull();
    expect(await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).toMatchObject({
      alertRank: 2,
      openAlerts: 1,
    });

    const msgs = await messagesOf(alert!.id);
    const to = (u: { id: string; email: string }) =>
      msgs
        .filter((m) => m.userId === u.id || m.toAddress === u.email)
        .map((m) => m.channel)
        .sort();
    expect(to(sre)).toEqual(["console", "email"]);
    expect(to(admin)).toEqual(["console", "email"]);
    expect(to(member)).toEqual([]);
    const email = msgs.find((m) => m.toAddress === sre.email)!;
    expect(email.subject).toBe(`[warning] Database CPU high on ${instance.name}`);
    expect(email.bodyText).toContain("75 %, above the threshold of 70 %");
    expect(email.bodyText).toContain("next size");

    // A retried cycle at the same time changes and sends nothing.
    const again = await evaluateAlerts(at(t0, 600));
    expect(again).toMatchObject({ fired: 0, notified: 0, resolved: 0 });
    expect(await messagesOf(alert!.id)).toHaveLength(msgs.length);
  });

  it("resolves only past the resolve threshold (hysteresis), with a resolved notification", async () => {
    const { instance, admin } = await setup();
    const t0 = Date.now();
    await samples(instance.id, "db_cpu_percent", t0, [
      ...every30s(0, 600, 80),
      [630, 65],
      [660, 61],
      [690, 60],
    ]);
    await evaluateAlerts(at(t0, 0));
    await evaluateAlerts(at(t0, 600));
    const alert = (await openAlert("database_cpu_high", instance.id))!;
    expect(alert.state).toBe("firing");

    await evaluateAlerts(at(t0, 630));
    await evaluateAlerts(at(t0, 660));
    expect(await db().alert.findUniqueOrThrow({ where: { id: alert.id } })).toMatchObject({
      state: "firing",
      value: 61,
    });
    const r = await evaluateAlerts(at(t0, 690));
    expect(r.resolved).toBeGreaterThanOrEqual(1);
    const done = await db().alert.findUniqueOrThrow({ where: { id: alert.id } });
    expect(done).toMatchObject({ state: "resolved", openKey: null, value: 60 });
    expect(done.resolvedAt?.getTime()).toBe(t0 + 690_000);
    expect(await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).toMatchObject({
      alertRank: 0,
      openAlerts: 0,
    });
    const resolved = (await messagesOf(alert.id)).filter((m) => m.dedupeKey?.includes(":resolved:"));
    expect(resolved.filter((m) => m.channel === "email").map((m) => m.toAddress)).toEqual(
      expect.arrayContaining([sre.email, admin.email]),
    );
    expect(resolved[0]?.subject).toMatch(/^\[resolved\] Database CPU high/);

    expect(await alertPeriods(instance.id, at(t0, 0), at(t0, 3600))).toEqual([
      {
        alertId: alert.id,
        ruleKey: "database_cpu_high",
        metric: "db_cpu_percent",
        severity: "warning",
        start: at(t0, 600),
        end: at(t0, 690),
      },
    ]);
    expect(await alertPeriods(instance.id, at(t0, 700), at(t0, 3600))).toEqual([]);
  });

  it("cancels a pending alert when the value clears or the data goes stale", async () => {
    const { instances } = await setup({ instances: 2 });
    const [a, b] = [instances[0]!, instances[1]!];
    const t0 = Date.now();
    await samples(a.id, "db_cpu_percent", t0, [
      [0, 75],
      [30, 55],
    ]);
    await samples(b.id, "db_cpu_percent", t0, [[0, 75]]);
    await evaluateAlerts(at(t0, 0));
    expect((await openAlert("database_cpu_high", a.id))?.state).toBe("pending");
    expect((await openAlert("database_cpu_high", b.id))?.state).toBe("pending");
    await evaluateAlerts(at(t0, 30));
    expect(await openAlert("database_cpu_high", a.id)).toBeNull();
    expect((await openAlert("database_cpu_high", b.id))?.state).toBe("pending");
    await evaluateAlerts(at(t0, 200));
    expect(await openAlert("database_cpu_high", b.id)).toBeNull();
    expect(await db().alert.count({ where: { instanceId: { in: [a.id, b.id] } } })).toBe(0);
  });

  it("applies an instance's override and leaves other instances on the fleet default", async () => {
    const { instances } = await setup({ instances: 2 });
    const [a, b] = [instances[0]!, instances[1]!];
    await expectAppError(
      setAlertRuleOverride(sreCtx, {
        ruleId: ruleIds.database_cpu_high!,
        instanceId: b.id,
        threshold: 50,
        reason: "x",
      }),
      "BAD_REQUEST",
      /^reason:/,
    );
    const wrongSide = await expectAppError(
      setAlertRuleOverride(sreCtx, {
        ruleId: ruleIds.database_cpu_high!,
        instanceId: b.id,
        threshold: 50,
        reason: "batch jobs at night",
      }),
      "BAD_REQUEST",
      /set both thresholds in the override/,
    );
    expect(wrongSide.field).toBe("resolveThreshold");
    await setAlertRuleOverride(sreCtx, {
      ruleId: ruleIds.database_cpu_high!,
      instanceId: b.id,
      threshold: 90,
      resolveThreshold: 80,
      reason: "runs hot by design: nightly batch imports",
    });
    const rules = await listAlertRules(b.id);
    const cpu = rules.find((r) => r.key === "database_cpu_high")!;
    expect(cpu).toMatchObject({
      threshold: 70,
      override: { threshold: 90, resolveThreshold: 80, forSeconds: null },
      effective: { threshold: 90, resolveThreshold: 80, forSeconds: 600, enabled: true },
    });
    expect((await listAlertRules()).find((r) => r.key === "database_cpu_high")?.override).toBeNull();
    await expectAppError(listAlertRules("missing"), "NOT_FOUND");

    const t0 = Date.now();
    for (const i of [a, b]) await samples(i.id, "db_cpu_percent", t0, every30s(0, 600, 85));
    await evaluateAlerts(at(t0, 0));
    await evaluateAlerts(at(t0, 600));
    expect((await openAlert("database_cpu_high", a.id))?.state).toBe("firing");
    expect(await openAlert("database_cpu_high", b.id)).toBeNull();

    // Back to the default: b goes pending on its next fresh sample.
    expect(
      await clearAlertRuleOverride(sreCtx, { ruleId: ruleIds.database_cpu_high!, instanceId: b.id }),
    ).toEqual({
      cleared: true,
    });
    await evaluateAlerts(at(t0, 610));
    expect((await openAlert("database_cpu_high", b.id))?.state).toBe("pending");
    const audit = await db().auditEvent.findMany({
      where: { targetId: b.id, action: { startsWith: "alert_rule.override" } },
      select: { action: true },
    });
    expect(audit.map((x) => x.action).sort()).toEqual([
      "alert_rule.override_clear",
      "alert_rule.override_set",
    ]);
  });

  it("a silence mutes the notification; the alert notifies when the silence ends if still firing", async () => {
    const { instance, admin } = await setup();
    await expectAppError(
      createSilence(sreCtx, {
        ruleId: ruleIds.health_failing!,
        instanceId: instance.id,
        durationMinutes: 0,
        reason: "deploy",
      }),
      "BAD_REQUEST",
      /^durationMinutes:/,
    );
    await expectAppError(
      createSilence(sreCtx, {
        ruleId: ruleIds.health_failing!,
        instanceId: "missing",
        durationMinutes: 5,
        reason: "deploy",
      }),
      "NOT_FOUND",
    );
    const silence = await createSilence(sreCtx, {
      ruleId: ruleIds.health_failing!,
      instanceId: instance.id,
      durationMinutes: 1,
      reason: "planned database failover",
    });
    expect(silence).toMatchObject({
      active: true,
      createdByEmail: sre.email,
      instance: { slug: instance.slug },
    });
    const t0 = silence.startsAt.getTime() + 1000;
    await samples(instance.id, "health_up", t0, every30s(0, 120, 0));
    await evaluateAlerts(at(t0, 0));
    const r = await evaluateAlerts(at(t0, 30));
    expect(r.fired).toBeGreaterThanOrEqual(1);
    const alert = (await openAlert("health_failing", instance.id))!;
    expect(alert).toMatchObject({ state: "firing", severity: "critical", notifiedAt: null });
    expect(await messagesOf(alert.id)).toEqual([]);
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).alertRank).toBe(3);
    const listed = await listAlerts({ instanceId: instance.id });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ silenced: true, rule: { key: "health_failing" } });

    // The silence expired a minute after it started: the still-firing alert notifies now, once.
    await evaluateAlerts(at(t0, 90));
    const notified = await db().alert.findUniqueOrThrow({ where: { id: alert.id } });
    expect(notified.notifiedAt?.getTime()).toBe(t0 + 90_000);
    const emails = (await messagesOf(alert.id)).filter((m) => m.channel === "email").map((m) => m.toAddress);
    expect(emails).toEqual(expect.arrayContaining([sre.email, admin.email]));
    await evaluateAlerts(at(t0, 120));
    expect((await messagesOf(alert.id)).filter((m) => m.channel === "email")).toHaveLength(emails.length);
  });

  it("a fleet-wide silence, cancelled early, lets notifications out again", async () => {
    const { instance } = await setup();
    const silence = await createSilence(sreCtx, {
      ruleId: ruleIds.bucket_checks_failing!,
      instanceId: null,
      durationMinutes: 60,
      reason: "bucket checker outage",
    });
    expect((await listSilences({ instanceId: instance.id, activeOnly: true })).map((s) => s.id)).toContain(
      silence.id,
    );
    const t0 = silence.startsAt.getTime() + 1000;
    await samples(instance.id, "bucket_checks_ok", t0, [[0, 0]]);
    await evaluateAlerts(at(t0, 0));
    const alert = (await openAlert("bucket_checks_failing", instance.id))!;
    expect(alert).toMatchObject({ state: "firing", notifiedAt: null });

    const cancelled = await cancelSilence(sreCtx, silence.id);
    expect(cancelled).toMatchObject({ active: false, cancelledByEmail: sre.email });
    await expectAppError(cancelSilence(sreCtx, silence.id), "CONFLICT");
    expect(
      (await listSilences({ instanceId: instance.id, activeOnly: true })).map((s) => s.id),
    ).not.toContain(silence.id);
    await evaluateAlerts(at(t0, 5 + (Date.now() - t0) / 1000));
    expect((await db().alert.findUniqueOrThrow({ where: { id: alert.id } })).notifiedAt).not.toBeNull();
    expect((await messagesOf(alert.id)).some((m) => m.toAddress === sre.email)).toBe(true);
  });

  it("two cycles at once fire and notify once", async () => {
    const { instance, admin } = await setup();
    const t0 = Date.now();
    await samples(instance.id, "bucket_checks_ok", t0, [[0, 0]]);
    const results = await Promise.all([
      evaluateAlerts(at(t0, 1)),
      evaluateAlerts(at(t0, 1)),
      evaluateAlerts(at(t0, 1)),
    ]);
    expect(results.filter((r) => r.skipped).length).toBeLessThanOrEqual(2);
    expect(await db().alert.count({ where: { instanceId: instance.id } })).toBe(1);
    const alert = (await openAlert("bucket_checks_failing", instance.id))!;
    const msgs = await messagesOf(alert.id);
    expect(msgs.filter((m) => m.toAddress === admin.email)).toHaveLength(1);
    expect(msgs.filter((m) => m.toAddress === sre.email)).toHaveLength(1);
    expect(msgs.filter((m) => m.userId === sre.id)).toHaveLength(1);
  });

  it("a storm sends each person one digest instead of a message per alert", async () => {
    const { org, admin, instances } = await setup({ instances: 12 });
    const t0 = Date.now();
    for (const i of instances) await samples(i.id, "bucket_checks_ok", t0, [[0, 0]]);
    const r = await evaluateAlerts(at(t0, 0));
    expect(r.fired).toBeGreaterThanOrEqual(12);
    const alerts = await db().alert.findMany({ where: { orgId: org.id, state: "firing" } });
    expect(alerts).toHaveLength(12);
    expect(alerts.every((a) => a.notifiedAt !== null)).toBe(true);
    // No per-alert messages to the people who got the digest.
    const perAlert = await db().outboxMessage.count({
      where: { OR: alerts.map((a) => ({ dedupeKey: { startsWith: `alert:${a.id}:` } })) },
    });
    expect(perAlert).toBe(0);
    const digests = await db().outboxMessage.findMany({
      where: {
        dedupeKey: { startsWith: `alert-digest:firing:${at(t0, 0).toISOString()}:` },
        OR: [{ userId: { in: [admin.id, sre.id] } }, { toAddress: { in: [admin.email, sre.email] } }],
      },
    });
    expect(digests.map((d) => d.channel).sort()).toEqual(["console", "console", "email", "email"]);
    const adminMail = digests.find((d) => d.toAddress === admin.email)!;
    expect(adminMail.subject).toBe("[firing] 12 alerts firing");
    expect(
      adminMail.bodyText.split("\n").filter((l) => l.startsWith("- [critical] Customer bucket checks")),
    ).toHaveLength(12);
    expect(adminMail.bodyText).toContain(`/orgs/${org.id}`);
  });

  it("queues alert webhooks for the org's endpoints", async () => {
    const { org, instance } = await setup();
    const endpoint = await db().webhookEndpoint.create({
      data: {
        orgId: org.id,
        url: "https://hooks.example.com/x",
        secretCiphertext: "test",
        createdById: sre.id,
        events: ["alert.firing", "alert.resolved"],
      },
    });
    const t0 = Date.now();
    await samples(instance.id, "bucket_checks_ok", t0, [
      [0, 0],
      [60, 1],
    ]);
    await evaluateAlerts(at(t0, 0));
    const alert = (await openAlert("bucket_checks_failing", instance.id))!;
    await evaluateAlerts(at(t0, 60));
    const hooks = await db().outboxMessage.findMany({
      where: { channel: "webhook", webhookId: endpoint.id },
      orderBy: { createdAt: "asc" },
    });
    expect(hooks.map((h) => h.dedupeKey)).toEqual([
      `alert:${alert.id}:firing:${endpoint.id}`,
      `alert:${alert.id}:resolved:${endpoint.id}`,
    ]);
    expect(hooks[0]?.payload).toMatchObject({
      type: "alert.firing",
      data: { alertId: alert.id, rule: { key: "bucket_checks_failing" }, instance: { slug: instance.slug } },
    });
  });

  it("closes the open alerts of a deprovisioned instance quietly", async () => {
    const { instance } = await setup();
    const t0 = Date.now();
    await samples(instance.id, "bucket_checks_ok", t0, [[0, 0]]);
    await evaluateAlerts(at(t0, 0));
    const alert = (await openAlert("bucket_checks_failing", instance.id))!;
    const before = (await messagesOf(alert.id)).length;
    await db().instance.update({
      where: { id: instance.id },
      data: { status: "deleted", deletedAt: new Date() },
    });
    await evaluateAlerts(at(t0, 10));
    expect((await db().alert.findUniqueOrThrow({ where: { id: alert.id } })).state).toBe("resolved");
    expect(await messagesOf(alert.id)).toHaveLength(before);
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).alertRank).toBe(0);
  });
});

describe("acknowledging", () => {
  it("takes only a firing alert, records who, and it still resolves", async () => {
    const { org, instance } = await setup();
    const t0 = Date.now();
    await samples(instance.id, "health_up", t0, [
      [0, 0],
      [30, 0],
      [60, 1],
    ]);
    await evaluateAlerts(at(t0, 0));
    const pending = (await openAlert("health_failing", instance.id))!;
    await expectAppError(acknowledgeAlert(sreCtx, pending.id), "CONFLICT", /only a firing alert/);
    await expectAppError(acknowledgeAlert(sreCtx, "missing"), "NOT_FOUND");
    await evaluateAlerts(at(t0, 30));
    const acked = await acknowledgeAlert(sreCtx, pending.id);
    expect(acked).toMatchObject({ state: "acknowledged", acknowledgedByEmail: sre.email });
    await expectAppError(acknowledgeAlert(sreCtx, pending.id), "CONFLICT", /already acknowledged/);
    const listed = await listAlerts({ orgId: org.id, states: ["acknowledged"] });
    expect(listed.map((a) => [a.id, a.acknowledgedByEmail])).toEqual([[pending.id, sre.email]]);
    expect(
      await db().auditEvent.count({
        where: { action: "alert.acknowledge", targetId: pending.id, actorId: sre.id },
      }),
    ).toBe(1);
    // Acknowledged still counts as open on the instance.
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).openAlerts).toBe(1);

    await evaluateAlerts(at(t0, 60));
    expect((await db().alert.findUniqueOrThrow({ where: { id: pending.id } })).state).toBe("resolved");
    expect((await db().instance.findUniqueOrThrow({ where: { id: instance.id } })).openAlerts).toBe(0);
    expect(await listAlerts({ instanceId: instance.id, states: ["firing", "acknowledged"] })).toEqual([]);
  });
});
