// The campaign driver without processes: window-aware planning at a chosen "now" (next window after the wave
// started, a missed window moves to the next, deferred windows skipped), and campaigns run to the end by the real
// operation runner over a scripted engine (waves, concurrency, failure threshold, resume, abort, rollback).
import { randomUUID } from "node:crypto";
import { resetEnvCache } from "@cp/config";
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { EngineError, type BackupArtifact } from "@cp/engine";
import { beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "../context";
import { processInstanceQueue } from "../operations/run-operation";
import { ScriptedEngine } from "../operations/testing/scripted-engine";
import { createTestInstance } from "../testing/instances";
import {
  abortCampaign,
  createCampaign,
  getCampaign,
  previewCampaign,
  resumeCampaign,
  rollbackInstance,
  startCampaign,
  upgradeInstance,
} from "./campaigns";
import { advanceCampaigns } from "./driver";

/* eslint-disable no-restricted-properties -- the test sets the timing configuration the runner reads */
beforeAll(() => {
  Object.assign(process.env, { CP_OPERATION_HEARTBEAT_MS: "50", CP_OPERATION_LEASE_MS: "2000" });
  resetEnvCache();
});

// Versions of their own, so releases other files add never become hops here.
const MINOR = 100 + Math.floor(Math.random() * 800);
const FROM = `5.${MINOR}.0`;
const TO = `5.${MINOR}.1`;

let orgId: string;
let ctx: ServiceContext;

beforeAll(async () => {
  const tag = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Campaigns ${tag}`, slug: `campaigns-${tag}`, plan: "dedicated" },
  });
  orgId = org.id;
  const sre = await db().user.create({ data: { email: `sre-${tag}@example.test`, staffRole: "sre" } });
  ctx = {
    actor: { userId: sre.id, email: sre.email, staffRole: "sre", memberships: [] },
    ip: "127.0.0.1",
    userAgent: "vitest",
    requestId: `req-${tag}`,
    log: logger(),
  };
  await db().release.createMany({
    data: [
      { version: FROM, releasedAt: new Date("2099-12-01T00:00:00Z") },
      { version: TO, releasedAt: new Date("2099-12-15T00:00:00Z") },
    ],
  });
});

const instance = (name: string, data: Parameters<typeof createTestInstance>[2] = {}) =>
  createTestInstance(orgId, `${name}-${randomUUID().slice(0, 6)}`, {
    version: FROM,
    url: `https://${name}.example.test`,
    // Mondays 02:00–06:00 UTC every two weeks from 5 January 2026: 5 Jan, 19 Jan, 2 Feb, 16 Feb...
    maintenanceWeekday: 1,
    maintenanceStart: "02:00",
    maintenanceDurationMin: 240,
    maintenanceTimezone: "UTC",
    maintenanceAnchor: "2026-01-05",
    config: {
      cloud: "local",
      region: "local",
      size: "small",
      mysqlVersion: "8.0",
      storage: { mode: "provider" },
      sso: { mode: "provider" },
      reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
      ipAllowlist: [],
    },
    ...data,
  });

const at = (iso: string) => new Date(iso);

async function targets(campaignId: string) {
  const c = await getCampaign(ctx.actor, campaignId);
  return new Map(c.targets.map((t) => [t.instanceId, t]));
}

describe("window-aware planning", () => {
  it("plans each target at its next window after the wave start, skips deferred ones, moves missed ones on", async () => {
    const a = await instance("win-a");
    // Its window on 19 January is deferred: the next one is 2 February.
    const b = await instance("win-b", { maintenanceDeferred: ["2026-01-19T02:00:00.000Z"] });
    // Tuesdays from 6 January: 6 Jan, 20 Jan, 3 Feb...
    const c = await instance("win-c", { maintenanceWeekday: 2, maintenanceAnchor: "2026-01-06" });

    const preview = await previewCampaign(ctx.actor, {
      targetVersion: TO,
      selector: { instanceIds: [a.id, b.id, c.id] },
      strategy: { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1, failureThreshold: 1 },
      gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
      urgent: false,
    });
    expect(preview.instances).toBe(3);
    expect(preview.waves).toHaveLength(1);

    const { id } = await createCampaign(ctx, {
      name: "windows",
      targetVersion: TO,
      selector: { instanceIds: [a.id, b.id, c.id] },
      strategy: { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1, failureThreshold: 1 },
      gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
    });
    await startCampaign(ctx, id);
    // The wave "started" on Monday 12 January at midnight.
    await db().upgradeCampaign.update({ where: { id }, data: { waveStartedAt: at("2026-01-12T00:00:00Z") } });

    let r = await advanceCampaigns(id, { now: at("2026-01-12T00:00:00Z") });
    expect(r.started).toBe(0);
    let t = await targets(id);
    expect(t.get(a.id)).toMatchObject({ status: "scheduled", plannedAt: at("2026-01-19T02:00:00Z") });
    expect(t.get(b.id)).toMatchObject({ status: "scheduled", plannedAt: at("2026-02-02T02:00:00Z") });
    expect(t.get(c.id)).toMatchObject({ status: "scheduled", plannedAt: at("2026-01-20T02:00:00Z") });

    // Inside a's window: a starts; nothing else is due.
    r = await advanceCampaigns(id, { now: at("2026-01-19T03:00:00Z") });
    expect(r.started).toBe(1);
    t = await targets(id);
    expect(t.get(a.id)?.status).toBe("upgrading");
    const op = await db().operation.findUniqueOrThrow({ where: { id: t.get(a.id)!.operationId! } });
    expect(op).toMatchObject({ kind: "upgrade", status: "queued" });
    expect(op.params).toMatchObject({ toVersion: TO, fromVersion: FROM, hops: [TO], campaignId: id });

    // c's window opens while a still holds the only slot, and closes unused: c moves to its next window.
    r = await advanceCampaigns(id, { now: at("2026-01-20T03:00:00Z") });
    expect(r.started).toBe(0);
    r = await advanceCampaigns(id, { now: at("2026-01-20T07:00:00Z") });
    t = await targets(id);
    expect(t.get(c.id)).toMatchObject({ status: "scheduled", plannedAt: at("2026-02-03T02:00:00Z") });

    // Abort: a's queued upgrade is cancelled, the rest skipped.
    await abortCampaign(ctx, id);
    t = await targets(id);
    expect([...t.values()].map((x) => x.status)).toEqual(["skipped", "skipped", "skipped"]);
    expect((await db().operation.findUniqueOrThrow({ where: { id: op.id } })).status).toBe("cancelled");
    expect((await getCampaign(ctx.actor, id)).status).toBe("aborted");
  });

  it("refuses an urgent campaign without a reason, naming the field", async () => {
    const a = await instance("urgent");
    await expect(
      createCampaign(ctx, {
        name: "urgent without reason",
        targetVersion: TO,
        selector: { instanceIds: [a.id] },
        strategy: { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1, failureThreshold: 1 },
        gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
        urgent: true,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "urgentReason" });
  });
});

describe("campaigns run by the operation runner (scripted engine)", () => {
  /** Advances the campaign and runs every queued operation of its instances until nothing moves. */
  async function drive(campaignId: string, engine: ScriptedEngine, instanceIds: string[]) {
    const deps = { engines: { local: engine }, workerId: "campaign-test" };
    for (let round = 0; round < 50; round += 1) {
      const advanced = await advanceCampaigns(campaignId);
      const ran = await Promise.all(instanceIds.map((id) => processInstanceQueue(id, deps)));
      const c = await db().upgradeCampaign.findUniqueOrThrow({ where: { id: campaignId } });
      if (c.status !== "running" || (advanced.started === 0 && ran.every((n) => n === 0))) return c;
    }
    return db().upgradeCampaign.findUniqueOrThrow({ where: { id: campaignId } });
  }

  it("upgrades in waves, pauses on a failure, resumes without re-pausing, and rolls one back", async () => {
    const engine = new ScriptedEngine();
    engine.applyMs = 5;
    const all = await Promise.all(["r1", "r2", "r3", "r4", "r5"].map((n) => instance(n)));
    const ids = all.map((i) => i.id);
    const { id } = await createCampaign(ctx, {
      name: "scripted",
      targetVersion: TO,
      selector: { instanceIds: ids },
      strategy: {
        canary: 1,
        waves: [{ percent: 50 }, { percent: 100 }],
        maxConcurrent: 2,
        failureThreshold: 1,
      },
      gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
      urgent: true,
      urgentReason: "security fix for CVE-2026-0001",
    });
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "campaign.create", targetId: id },
    });
    expect(audit.after).toMatchObject({ urgent: true, urgentReason: "security fix for CVE-2026-0001" });
    await startCampaign(ctx, id);

    // The canary's upgrade fails for good: the campaign pauses with the reason.
    engine.failures.push(new EngineError("FAILED", "the new release did not start", false));
    let c = await drive(id, engine, ids);
    expect(c.status).toBe("paused");
    expect(c.pausedReason).toMatch(/1 upgrade failed \(threshold 1\).*did not start/);
    let t = await targets(id);
    const canary = [...t.values()].find((x) => x.wave === 0)!;
    expect(canary.status).toBe("failed");
    expect(await db().instance.findUniqueOrThrow({ where: { id: canary.instanceId } })).toMatchObject({
      version: FROM,
      status: "running",
    });

    // Resume: the old failure does not pause it again; the rest complete.
    await resumeCampaign(ctx, id);
    c = await drive(id, engine, ids);
    expect(c.status).toBe("completed");
    t = await targets(id);
    const rest = [...t.values()].filter((x) => x.wave > 0);
    expect(rest.map((x) => x.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    // Waves in order: no wave-2 upgrade started before every wave-1 upgrade ended.
    const w1 = rest.filter((x) => x.wave === 1);
    const w2 = rest.filter((x) => x.wave === 2);
    const w1End = Math.max(...w1.map((x) => x.finishedAt!.getTime()));
    expect(Math.min(...w2.map((x) => x.startedAt!.getTime()))).toBeGreaterThanOrEqual(w1End);
    const upgraded = rest[0]!.instanceId;
    expect(await db().instance.findUniqueOrThrow({ where: { id: upgraded } })).toMatchObject({
      version: TO,
      previousVersion: FROM,
      status: "running",
    });

    // Rollback of one instance: back on FROM, target rolled back.
    const { operationId } = await rollbackInstance(ctx, orgId, upgraded);
    await processInstanceQueue(upgraded, { engines: { local: engine }, workerId: "campaign-test" });
    expect(await db().operation.findUniqueOrThrow({ where: { id: operationId } })).toMatchObject({
      status: "succeeded",
    });
    expect(await db().instance.findUniqueOrThrow({ where: { id: upgraded } })).toMatchObject({
      version: FROM,
      previousVersion: null,
      status: "running",
    });
    expect((await targets(id)).get(upgraded)?.status).toBe("rolled_back");
    // An ordinary release goes back by version alone: no backup before its upgrade, no restore in its rollback.
    expect(await db().backup.count({ where: { instanceId: upgraded, kind: "pre_upgrade" } })).toBe(0);
    const slug = all.find((x) => x.id === upgraded)!.slug;
    expect(engine.calls.filter((x) => x.slug === slug).map((x) => x.method)).toEqual(["apply", "apply"]);
    // Only one step back: a second rollback is refused.
    await expect(rollbackInstance(ctx, orgId, upgraded)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });

  it("backs up before upgrading to a no-rollback release and restores that backup to roll it back", async () => {
    const A = `5.${MINOR}.2`;
    const B = `5.${MINOR}.3`;
    await db().release.createMany({
      data: [
        { version: A, releasedAt: new Date("2099-12-20T00:00:00Z") },
        { version: B, releasedAt: new Date("2099-12-27T00:00:00Z"), noRollback: true },
      ],
    });
    const { log, restored, deps } = recordingEngine();
    const i = await instance("one-way", { version: A });

    const up = await upgradeInstance(ctx, orgId, i.id, B, { gate: { enabled: false } });
    expect(up.hops).toEqual([B]);
    await processInstanceQueue(i.id, deps);
    expect(await db().operation.findUniqueOrThrow({ where: { id: up.operationId } })).toMatchObject({
      status: "succeeded",
    });
    const backups = await db().backup.findMany({ where: { instanceId: i.id, kind: "pre_upgrade" } });
    expect(backups).toHaveLength(1);
    const pre = backups[0]!;
    const location = `scripted://${i.slug}/${pre.id}`;
    expect(pre).toMatchObject({ status: "completed", operationId: up.operationId });
    expect(pre.artifact).toMatchObject({ location });
    // The backup was stored before B was applied.
    expect(log).toEqual([`backup ${location}`, `apply ${B}`]);
    expect(await db().instance.findUniqueOrThrow({ where: { id: i.id } })).toMatchObject({
      version: B,
      previousVersion: A,
      status: "running",
    });

    // Rollback: the pre-upgrade backup is restored, then A applied.
    const { operationId, toVersion } = await rollbackInstance(ctx, orgId, i.id);
    expect(toVersion).toBe(A);
    await processInstanceQueue(i.id, deps);
    expect(await db().operation.findUniqueOrThrow({ where: { id: operationId } })).toMatchObject({
      status: "succeeded",
    });
    expect(log).toEqual([`backup ${location}`, `apply ${B}`, `restore ${location}`, `apply ${A}`]);
    expect(restored).toEqual([pre.artifact]);
    expect(await db().instance.findUniqueOrThrow({ where: { id: i.id } })).toMatchObject({
      version: A,
      previousVersion: null,
      status: "running",
    });
  });

  it("restores the pre-upgrade backup when a no-rollback release was a hop in the middle of the upgrade", async () => {
    const A = `5.${MINOR}.4`;
    const X = `5.${MINOR}.5`;
    const B = `5.${MINOR}.6`;
    await db().release.createMany({
      data: [
        { version: A, releasedAt: new Date("2099-12-20T00:00:00Z") },
        { version: X, releasedAt: new Date("2099-12-21T00:00:00Z"), noRollback: true },
        { version: B, releasedAt: new Date("2099-12-22T00:00:00Z"), requiresVersion: X },
      ],
    });
    const { log, restored, deps } = recordingEngine();
    const i = await instance("one-way-hop", { version: A });
    const up = await upgradeInstance(ctx, orgId, i.id, B, { gate: { enabled: false } });
    expect(up.hops).toEqual([X, B]);
    await processInstanceQueue(i.id, deps);
    const pre = await db().backup.findFirstOrThrow({ where: { instanceId: i.id, kind: "pre_upgrade" } });
    const location = `scripted://${i.slug}/${pre.id}`;
    expect(log).toEqual([`backup ${location}`, `apply ${X}`, `apply ${B}`]);

    // B itself can be rolled back, but the schema went through X: the backup is restored first.
    const { operationId } = await rollbackInstance(ctx, orgId, i.id);
    await processInstanceQueue(i.id, deps);
    expect(await db().operation.findUniqueOrThrow({ where: { id: operationId } })).toMatchObject({
      status: "succeeded",
    });
    expect(log.slice(3)).toEqual([`restore ${location}`, `apply ${A}`]);
    expect(restored).toEqual([pre.artifact]);
    expect(await db().instance.findUniqueOrThrow({ where: { id: i.id } })).toMatchObject({
      version: A,
      previousVersion: null,
    });
  });

  it("fails a gate that cannot read traffic instead of passing it", async () => {
    const engine = new ScriptedEngine();
    engine.applyMs = 5;
    const i = await instance("gate-aws", { cloud: "aws", region: "eu-west-1" });
    const { id } = await createCampaign(ctx, {
      name: "gate without counters",
      targetVersion: TO,
      selector: { instanceIds: [i.id] },
      strategy: { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1, failureThreshold: 1 },
      gate: { enabled: true, soakSeconds: 0, minRequests: 1 },
      urgent: true,
      urgentReason: "testing the gate on aws",
    });
    await startCampaign(ctx, id);
    await advanceCampaigns(id);
    await processInstanceQueue(i.id, { engines: { aws: engine }, workerId: "campaign-test" });
    const t = (await targets(id)).get(i.id)!;
    expect(t.status).toBe("failed");
    expect(t.error).toMatch(/request counters are not available for instances on aws/);
    // Nothing was changed: the gate's baseline comes before any hop.
    expect(await db().instance.findUniqueOrThrow({ where: { id: i.id } })).toMatchObject({ version: FROM });
  });
});

/** A scripted engine that logs, in order, each version applied and each backup stored or restored. */
function recordingEngine() {
  const engine = new ScriptedEngine();
  engine.applyMs = 5;
  const log: string[] = [];
  const restored: BackupArtifact[] = [];
  const apply = engine.apply.bind(engine);
  engine.apply = async (spec, hooks) => {
    log.push(`apply ${spec.version}`);
    return apply(spec, hooks);
  };
  const backup = engine.backup.bind(engine);
  engine.backup = async (ref, req, hooks) => {
    const artifact = await backup(ref, req, hooks);
    log.push(`backup ${artifact.location}`);
    return artifact;
  };
  const restore = engine.restore.bind(engine);
  engine.restore = async (target, artifact, o, hooks) => {
    log.push(`restore ${artifact.location}`);
    restored.push(artifact);
    return restore(target, artifact, o, hooks);
  };
  return { engine, log, restored, deps: { engines: { local: engine }, workerId: "campaign-test" } };
}
