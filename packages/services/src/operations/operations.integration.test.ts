import { resetEnvCache } from "@cp/config";
import { db } from "@cp/db";
import { EngineError } from "@cp/engine";
import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOperationTx } from "./operations";
import { claimNextOperation } from "./operations";
import { reconcileOperations } from "./reconcile";
import { processInstanceQueue } from "./run-operation";
import { ScriptedEngine } from "./testing/scripted-engine";

/* eslint-disable no-restricted-properties -- the test sets the timing configuration the runner reads */
beforeAll(() => {
  Object.assign(process.env, {
    CP_OPERATION_HEARTBEAT_MS: "50",
    CP_OPERATION_LEASE_MS: "1000",
    CP_OPERATION_CANCEL_GRACE_MS: "300",
    CP_OPERATION_MAX_ATTEMPTS: "3",
    CP_DELETE_RETENTION_HOURS: "0",
  });
  resetEnvCache();
});

let engine: ScriptedEngine;
beforeEach(() => {
  engine = new ScriptedEngine();
});
const deps = (workerId = "w1") => ({ engines: { local: engine }, workerId });

async function newInstance(status: "provisioning" | "running" = "provisioning") {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Ops ${suffix}`, slug: `ops-${suffix}`, plan: "dedicated" },
  });
  return db().instance.create({
    data: {
      orgId: org.id,
      name: `inst-${suffix}`,
      slug: `inst-${suffix}`,
      cloud: "local",
      region: "local",
      size: "small",
      mysqlVersion: "8.0",
      storageMode: "provider",
      status,
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
    },
  });
}

const queue = (instanceId: string, kind: "provision" | "update" | "deprovision" | "destroy", params = {}) =>
  createOperationTx(db(), { instanceId, kind, params });

describe("operations", () => {
  it("runs one instance's operations one after another, in order, whichever worker claims them", async () => {
    const i = await newInstance();
    const a = await queue(i.id, "provision");
    const b = await queue(i.id, "update", { reliability: { rateLimits: { graphql: 300 } } });
    const c = await queue(i.id, "update", { size: "recommended" });
    // Three workers race for the same instance.
    await Promise.all([
      processInstanceQueue(i.id, deps("w1")),
      processInstanceQueue(i.id, deps("w2")),
      processInstanceQueue(i.id, deps("w3")),
    ]);
    const all = await db().operation.findMany({ where: { instanceId: i.id }, orderBy: { startedAt: "asc" } });
    // A successful provision queues the support channel's setup behind what was already waiting.
    expect(all.at(-1)).toMatchObject({ kind: "channel_setup", status: "succeeded" });
    const ops = all.filter((o) => o.kind !== "channel_setup");
    expect(ops.map((o) => o.id)).toEqual([a.id, b.id, c.id]);
    expect(ops.every((o) => o.status === "succeeded")).toBe(true);
    const applies = engine.calls.filter((x) => x.slug === i.slug);
    expect(applies).toHaveLength(3);
    for (let n = 1; n < applies.length; n++)
      expect(applies[n]!.at).toBeGreaterThanOrEqual(applies[n - 1]!.endedAt!);
    const after = await db().instance.findUniqueOrThrow({ where: { id: i.id } });
    expect(after).toMatchObject({
      status: "running",
      size: "recommended",
      url: `https://${i.slug}.example.test`,
    });
    expect(
      (after.config as { reliability: { rateLimits: { graphql: number } } }).reliability.rateLimits.graphql,
    ).toBe(300);
    const logs = await db().operationLog.count({ where: { operationId: a.id } });
    expect(logs).toBeGreaterThan(3);
    expect((ops[0]!.steps as { name: string; status: string }[]).map((s) => s.status)).toEqual([
      "done",
      "done",
      "done",
    ]);
  });

  it("lets exactly one of many concurrent claims win", async () => {
    const i = await newInstance();
    await queue(i.id, "provision");
    await queue(i.id, "update");
    const claims = await Promise.all(Array.from({ length: 8 }, (_, n) => claimNextOperation(i.id, `w${n}`)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it("retries a retryable failure after a backoff and then succeeds", async () => {
    const i = await newInstance();
    const op = await queue(i.id, "provision");
    engine.failures.push(new EngineError("FAILED", "The cloud hiccuped.", true));
    await processInstanceQueue(i.id, deps());
    let row = await db().operation.findUniqueOrThrow({ where: { id: op.id } });
    expect(row).toMatchObject({ status: "queued", attempts: 1, error: "The cloud hiccuped." });
    expect(row.notBefore.getTime()).toBeGreaterThan(Date.now());
    await db().operation.update({ where: { id: op.id }, data: { notBefore: new Date() } });
    await processInstanceQueue(i.id, deps());
    row = await db().operation.findUniqueOrThrow({ where: { id: op.id } });
    expect(row).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("fails for good on a non-retryable error, with a reason and a next step", async () => {
    const i = await newInstance();
    const op = await queue(i.id, "provision");
    engine.failures.push(new EngineError("FAILED", "Quota exceeded for m6i.xlarge in us-east-1.", false));
    await processInstanceQueue(i.id, deps());
    expect(await db().operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({
      status: "failed",
      error: "Quota exceeded for m6i.xlarge in us-east-1.",
    });
    const inst = await db().instance.findUniqueOrThrow({ where: { id: i.id } });
    expect(inst.status).toBe("failed");
    expect(inst.statusReason).toContain("Quota exceeded");
    expect(inst.statusReason).toContain("Retry");
  });

  it("cancels cooperatively: the driver stops and the operation ends cancelled", async () => {
    const i = await newInstance();
    const op = await queue(i.id, "provision");
    engine.applyMs = 5_000;
    const run = processInstanceQueue(i.id, deps());
    await new Promise((r) => setTimeout(r, 200));
    await db().operation.update({ where: { id: op.id }, data: { cancelRequestedAt: new Date() } });
    const started = Date.now();
    await run;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await db().operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({
      status: "cancelled",
    });
    expect((await db().instance.findUniqueOrThrow({ where: { id: i.id } })).statusReason).toContain(
      "was cancelled",
    );
  });

  it("forces a cancel the driver ignores, after the grace period", async () => {
    const i = await newInstance();
    const op = await queue(i.id, "provision");
    engine.applyMs = 3_000;
    engine.ignoreAbort = true;
    const run = processInstanceQueue(i.id, deps());
    await new Promise((r) => setTimeout(r, 100));
    await db().operation.update({
      where: { id: op.id },
      data: { cancelRequestedAt: new Date(Date.now() - 1_000) },
    });
    const report = await reconcileOperations();
    expect(report.forcedCancels).toBeGreaterThanOrEqual(1);
    expect(await db().operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({
      status: "cancelled",
      leaseOwner: null,
    });
    await run;
    // The stuck worker lost its lease: it must not overwrite the forced outcome.
    expect(await db().operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({
      status: "cancelled",
    });
  });

  it("resumes an operation whose worker died (lease expired), and fails it after the last attempt", async () => {
    const i = await newInstance();
    const op = await queue(i.id, "provision");
    // A worker claimed it and vanished.
    expect(await claimNextOperation(i.id, "dead-worker")).not.toBeNull();
    await db().operation.update({ where: { id: op.id }, data: { leaseExpiresAt: new Date(Date.now() - 1) } });
    expect((await reconcileOperations()).expiredLeases).toBeGreaterThanOrEqual(1);
    expect(await db().operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({
      status: "queued",
      leaseOwner: null,
    });
    await processInstanceQueue(i.id, deps());
    expect(await db().operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({
      status: "succeeded",
      attempts: 2,
    });

    const j = await newInstance();
    const op2 = await queue(j.id, "provision");
    for (let n = 0; n < 3; n++) {
      await claimNextOperation(j.id, `dead-${n}`);
      await db().operation.update({
        where: { id: op2.id },
        data: { leaseExpiresAt: new Date(Date.now() - 1) },
      });
      await reconcileOperations();
    }
    expect(await db().operation.findUniqueOrThrow({ where: { id: op2.id } })).toMatchObject({
      status: "failed",
      attempts: 3,
    });
    expect((await db().instance.findUniqueOrThrow({ where: { id: j.id } })).status).toBe("failed");
  });

  it("deprovisions with retention, then destroys when it ends", async () => {
    const i = await newInstance("running");
    await db().instance.update({ where: { id: i.id }, data: { url: "https://x.example.test" } });
    await queue(i.id, "deprovision");
    await processInstanceQueue(i.id, deps());
    const inst = await db().instance.findUniqueOrThrow({ where: { id: i.id } });
    expect(inst.status).toBe("deleted");
    expect(inst.retentionUntil).not.toBeNull();
    // Retention is 0 hours in this test: the destroy is due at once.
    await processInstanceQueue(i.id, deps());
    const destroy = await db().operation.findFirstOrThrow({ where: { instanceId: i.id, kind: "destroy" } });
    expect(destroy.status).toBe("succeeded");
    expect((await db().instance.findUniqueOrThrow({ where: { id: i.id } })).destroyedAt).not.toBeNull();
    expect(engine.calls.map((c) => c.method)).toEqual(["suspend", "destroy"]);
  });
});
