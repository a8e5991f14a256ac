// The release catalog against the real database: staff admins add, update and withdraw releases (errors name the
// field), upgrade paths through required steps for an instance, the version new orders get, and the fleet summary.
// The catalog is one table for the whole run, so this file uses versions of a major of its own and removes them.
import { randomUUID } from "node:crypto";
import { DEFAULT_APP_VERSION, type StaffRole } from "@cp/core";
import { db } from "@cp/db";
import { afterAll, describe, expect, it } from "vitest";
import { createTestInstance } from "../testing/instances";
import {
  chooseOrderVersion,
  createRelease,
  fleetReleaseSummary,
  listReleases,
  loadReleaseInfos,
  updateRelease,
  upgradePathFor,
  withdrawRelease,
} from "./releases";
import { ctxFor } from "../testing/context";

const DAY = 86_400_000;
/** A major no other test file uses, newest in the catalog during this file. */
const M = 700 + Math.floor(Math.random() * 200);
const v = (minor: number, patch = 0) => `${M}.${minor}.${patch}`;

async function people() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Rel ${suffix}`, slug: `rel-${suffix}`, plan: "dedicated" },
  });
  const mk = (name: string, staffRole: StaffRole) =>
    db().user.create({ data: { email: `${name}-${suffix}@example.com`, staffRole } });
  const [admin, sre, customer, outsider] = await Promise.all([
    mk("admin", "admin"),
    mk("sre", "sre"),
    mk("cust", "none"),
    mk("out", "none"),
  ]);
  await db().membership.create({ data: { orgId: org.id, userId: customer.id, role: "admin" } });
  return {
    org,
    suffix,
    adminCtx: ctxFor(admin, "admin"),
    sreCtx: ctxFor(sre, "sre"),
    customerCtx: ctxFor(customer, "none", [{ orgId: org.id, role: "admin" }]),
    outsiderCtx: ctxFor(outsider, "none"),
  };
}

afterAll(async () => {
  await db().upgradeCampaign.deleteMany({ where: { targetVersion: { startsWith: `${M}.` } } });
  await db().release.deleteMany({ where: { version: { startsWith: `${M}.` } } });
});

describe("release catalog", () => {
  it("staff admins add a release, audited; the catalog lists it newest first with its support state", async () => {
    const p = await people();
    const now = Date.now();
    const created = await createRelease(p.adminCtx, {
      version: v(1),
      releasedAt: new Date(now - 10 * DAY),
      notes: "Faster dashboards.",
      endOfSupportAt: new Date(now + 10 * DAY),
    });
    expect(created).toMatchObject({
      version: v(1),
      channel: "stable",
      supportState: "ending",
      orderable: true,
      instanceCount: 0,
      withdrawnAt: null,
    });
    await createRelease(p.adminCtx, { version: v(2), releasedAt: new Date(now - 5 * DAY), channel: "beta" });
    const audit = await db().auditEvent.findMany({ where: { action: "release.create", targetId: v(1) } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      targetType: "release",
      actorId: p.adminCtx.actor.userId,
      viaStaff: false,
    });
    expect(audit[0]!.after).toMatchObject({ version: v(1), notes: "Faster dashboards." });

    const list = await listReleases(p.customerCtx.actor);
    const mine = list.filter((r) => r.version.startsWith(`${M}.`)).map((r) => r.version);
    expect(mine.slice(0, 2)).toEqual([v(2), v(1)]);
    // Newest first over the whole catalog (version order, not insertion order).
    expect(list[0]!.version.startsWith(`${M}.`)).toBe(true);
  });

  it("refuses bad input with errors that name the field, and non-admins", async () => {
    const p = await people();
    await createRelease(p.adminCtx, { version: v(10), releasedAt: new Date(Date.now() - DAY) });
    await expect(createRelease(p.adminCtx, { version: "1.2" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "version",
      message: "version: use MAJOR.MINOR.PATCH, e.g. 0.66.0",
    });
    await expect(createRelease(p.adminCtx, { version: v(10) })).rejects.toMatchObject({
      code: "CONFLICT",
      field: "version",
    });
    await expect(
      createRelease(p.adminCtx, { version: v(11), requiresVersion: v(9, 9) }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "requiresVersion",
      message: expect.stringContaining("is not in the catalog"),
    });
    await expect(createRelease(p.adminCtx, { version: v(11), requiresVersion: v(12) })).rejects.toMatchObject(
      {
        code: "BAD_REQUEST",
        field: "requiresVersion",
        message: expect.stringContaining("must be older than"),
      },
    );
    await expect(
      createRelease(p.adminCtx, {
        version: v(11),
        releasedAt: new Date("2026-03-01T00:00:00Z"),
        endOfSupportAt: new Date("2026-02-01T00:00:00Z"),
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "endOfSupportAt" });
    await expect(createRelease(p.sreCtx, { version: v(11) })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(createRelease(p.customerCtx, { version: v(11) })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await db().release.findUnique({ where: { version: v(11) } })).toBeNull();
  });

  it("updates the end of support and notes, audited with before and after", async () => {
    const p = await people();
    await createRelease(p.adminCtx, { version: v(20), releasedAt: new Date(Date.now() - 3 * DAY) });
    const eos = new Date(Date.now() - DAY);
    const updated = await updateRelease(p.adminCtx, { version: v(20), endOfSupportAt: eos, notes: "Old." });
    expect(updated).toMatchObject({ supportState: "ended", orderable: false, notes: "Old." });
    await expect(
      updateRelease(p.adminCtx, { version: v(20), endOfSupportAt: new Date(Date.now() - 10 * DAY) }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "endOfSupportAt" });
    await expect(updateRelease(p.adminCtx, { version: v(21) })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "release.update", targetId: v(20) },
    });
    expect(audit.before).toMatchObject({ endOfSupportAt: null });
    expect(audit.after).toMatchObject({ endOfSupportAt: eos.toISOString() });
  });

  it("withdraws with a reason, not while an unfinished campaign targets it; withdrawn releases are hidden by default", async () => {
    const p = await people();
    await createRelease(p.adminCtx, { version: v(30), releasedAt: new Date(Date.now() - DAY) });
    await expect(withdrawRelease(p.adminCtx, { version: v(30), reason: "" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "reason",
    });
    const campaign = await db().upgradeCampaign.create({
      data: {
        name: `to ${v(30)}`,
        targetVersion: v(30),
        selector: {},
        strategy: {},
        gate: {},
        status: "running",
        createdById: p.sreCtx.actor.userId,
      },
    });
    await expect(
      withdrawRelease(p.adminCtx, { version: v(30), reason: "Corrupts exports" }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining(campaign.name) });
    await db().upgradeCampaign.update({ where: { id: campaign.id }, data: { status: "aborted" } });

    await expect(
      withdrawRelease(p.sreCtx, { version: v(30), reason: "Corrupts exports" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const withdrawn = await withdrawRelease(p.adminCtx, { version: v(30), reason: "Corrupts exports" });
    expect(withdrawn).toMatchObject({ withdrawnReason: "Corrupts exports", orderable: false });
    expect(withdrawn.withdrawnAt).toBeInstanceOf(Date);
    await expect(
      withdrawRelease(p.adminCtx, { version: v(30), reason: "Corrupts exports" }),
    ).rejects.toMatchObject({ code: "CONFLICT", field: "version" });
    await expect(withdrawRelease(p.adminCtx, { version: v(31), reason: "Nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await listReleases(p.customerCtx.actor)).some((r) => r.version === v(30))).toBe(false);
    expect(
      (await listReleases(p.customerCtx.actor, { includeWithdrawn: true })).some((r) => r.version === v(30)),
    ).toBe(true);
    expect(await db().auditEvent.count({ where: { action: "release.withdraw", targetId: v(30) } })).toBe(1);
  });

  it("gives an instance's upgrade path through the required steps; a foreign instance is not found", async () => {
    const p = await people();
    const t = Date.now() - 100 * DAY;
    for (const [minor, requires] of [
      [40, null],
      [41, null],
      [42, v(41)],
      [43, null],
      [44, v(43)],
      [45, null],
    ] as const) {
      await createRelease(p.adminCtx, {
        version: v(minor),
        releasedAt: new Date(t + minor * DAY),
        requiresVersion: requires,
      });
    }
    const instance = await createTestInstance(p.org.id, `rel-${p.suffix}`, { version: v(40) });
    const path = await upgradePathFor(p.customerCtx.actor, {
      orgId: p.org.id,
      instanceId: instance.id,
      toVersion: v(45),
    });
    expect(path).toMatchObject({ ok: true, fromVersion: v(40), hops: [v(41), v(43), v(45)], reason: null });
    const newer = await createTestInstance(p.org.id, `rel2-${p.suffix}`, { version: v(43) });
    const down = await upgradePathFor(p.customerCtx.actor, {
      orgId: p.org.id,
      instanceId: newer.id,
      toVersion: v(41),
    });
    expect(down).toMatchObject({ ok: false, hops: [], reason: expect.stringContaining("downgrade") });
    await expect(
      upgradePathFor(p.outsiderCtx.actor, { orgId: p.org.id, instanceId: instance.id, toVersion: v(45) }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const elsewhere = await db().organization.create({
      data: { name: `Else ${p.suffix}`, slug: `else-${p.suffix}`, plan: "dedicated" },
    });
    await expect(
      upgradePathFor(p.sreCtx.actor, { orgId: elsewhere.id, instanceId: instance.id, toVersion: v(45) }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      upgradePathFor(p.customerCtx.actor, { orgId: p.org.id, instanceId: instance.id, toVersion: "latest" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "toVersion" });

    // Counted per version in the catalog and in the staff's fleet summary.
    const listed = (await listReleases(p.customerCtx.actor)).find((r) => r.version === v(40));
    expect(listed?.instanceCount).toBe(1);
    await updateRelease(p.adminCtx, { version: v(40), endOfSupportAt: new Date(Date.now() - DAY) });
    const summary = await fleetReleaseSummary(p.sreCtx.actor);
    expect(summary.byVersion.find((b) => b.version === v(40))).toMatchObject({
      count: 1,
      supportState: "ended",
      inCatalog: true,
    });
    expect(summary.pastEndOfSupport).toBe(summary.bySupport.ended);
    expect(summary.pastEndOfSupport).toBeGreaterThanOrEqual(1);
    await expect(fleetReleaseSummary(p.customerCtx.actor)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("new orders get the newest orderable stable release, never a withdrawn, ended, beta or future one", async () => {
    const p = await people();
    const now = new Date();
    await createRelease(p.adminCtx, { version: v(90), releasedAt: new Date(now.getTime() - 20 * DAY) });
    await createRelease(p.adminCtx, {
      version: v(91),
      releasedAt: new Date(now.getTime() - 30 * DAY),
      endOfSupportAt: new Date(now.getTime() - DAY),
    });
    await createRelease(p.adminCtx, {
      version: v(92),
      releasedAt: new Date(now.getTime() - 10 * DAY),
      channel: "beta",
    });
    await createRelease(p.adminCtx, { version: v(93), releasedAt: new Date(now.getTime() - 5 * DAY) });
    await withdrawRelease(p.adminCtx, { version: v(93), reason: "Broken migration" });
    await createRelease(p.adminCtx, { version: v(94), releasedAt: new Date(now.getTime() + 5 * DAY) });

    expect(await chooseOrderVersion({ now })).toBe(v(90));
    await expect(chooseOrderVersion({ now, requested: v(93) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "version",
      message: expect.stringContaining("was withdrawn"),
    });
    await expect(chooseOrderVersion({ now, requested: v(91) })).rejects.toMatchObject({
      message: expect.stringContaining("past its end of support"),
    });
    expect(await chooseOrderVersion({ now, requested: v(92) })).toBe(v(92));
    // The catalog as core's rules take it holds every row, withdrawn ones too (they matter for paths).
    expect((await loadReleaseInfos()).some((r) => r.version === v(93) && r.withdrawnAt)).toBe(true);
  });

  it("falls back to the built-in default version when the catalog is empty", async () => {
    // An empty catalog seen through a transaction that hides every row (rolled back, so nothing is lost).
    const version = await db()
      .$transaction(async (tx) => {
        await tx.$executeRaw`DELETE FROM "Release"`;
        const picked = await chooseOrderVersion({}, tx);
        throw Object.assign(new Error("rollback"), { picked });
      })
      .catch((err: { picked?: string }) => err.picked);
    expect(version).toBe(DEFAULT_APP_VERSION);
    expect(await db().release.count({ where: { version: { startsWith: `${M}.` } } })).toBeGreaterThan(0);
  });
});
