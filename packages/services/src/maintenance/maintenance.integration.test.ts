// Maintenance windows against the real database: the view customers see (next three windows, skipped ones flagged),
// window changes with field-named errors, blackouts, the deferral limit, fleet blackouts, and the notices tick
// (each notice once, to the org's admins by console and e-mail plus a channel post, none for windows without work;
// end-of-support notices once).
import { randomUUID } from "node:crypto";
import { nextWindowOpening, windowOccurrences, type MaintenanceWindowConfig, type StaffRole } from "@cp/core";
import { db } from "@cp/db";
import { afterAll, describe, expect, it } from "vitest";
import { createTestInstance } from "../testing/instances";
import {
  addFleetBlackout,
  deferMaintenanceWindow,
  getMaintenance,
  listFleetBlackouts,
  removeFleetBlackout,
  setInstanceBlackouts,
  setMaintenanceWindow,
} from "./maintenance";
import { runMaintenanceNoticesTick } from "./notices";
import { ctxFor } from "../testing/context";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Versions of a major no other file uses (the catalog is shared by the run). */
const M = 600 + Math.floor(Math.random() * 90);

const BERLIN: MaintenanceWindowConfig = {
  weekday: 2,
  start: "02:00",
  durationMin: 240,
  timezone: "Europe/Berlin",
  anchor: "2026-01-06",
};

async function setup() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Mnt ${suffix}`, slug: `mnt-${suffix}`, plan: "dedicated" },
  });
  const other = await db().organization.create({
    data: { name: `Oth ${suffix}`, slug: `oth-${suffix}`, plan: "dedicated" },
  });
  const mk = (name: string, staffRole: StaffRole = "none") =>
    db().user.create({ data: { email: `${name}-${suffix}@example.com`, staffRole } });
  const [admin, admin2, member, outsider, support, sre] = await Promise.all([
    mk("admin"),
    mk("admin2"),
    mk("member"),
    mk("outsider"),
    mk("support", "support"),
    mk("sre", "sre"),
  ]);
  await db().membership.createMany({
    data: [
      { orgId: org.id, userId: admin.id, role: "admin" },
      { orgId: org.id, userId: admin2.id, role: "admin" },
      { orgId: org.id, userId: member.id, role: "member" },
      { orgId: other.id, userId: outsider.id, role: "admin" },
    ],
  });
  const instance = await createTestInstance(org.id, `mnt-${suffix}`, {
    maintenanceWeekday: BERLIN.weekday,
    maintenanceStart: BERLIN.start,
    maintenanceDurationMin: BERLIN.durationMin,
    maintenanceTimezone: BERLIN.timezone,
    maintenanceAnchor: BERLIN.anchor,
  });
  return {
    suffix,
    org,
    other,
    instance,
    admin,
    admin2,
    member,
    adminCtx: ctxFor(admin, "none", [{ orgId: org.id, role: "admin" }]),
    memberCtx: ctxFor(member, "none", [{ orgId: org.id, role: "member" }]),
    outsiderCtx: ctxFor(outsider, "none", [{ orgId: other.id, role: "admin" }]),
    supportCtx: ctxFor(support, "support"),
    sreCtx: ctxFor(sre, "sre"),
  };
}

const campaigns: string[] = [];
async function campaignFor(
  instanceId: string,
  o: { status?: "draft" | "running" | "paused"; urgent?: boolean; name?: string; createdById: string },
) {
  const c = await db().upgradeCampaign.create({
    data: {
      name: o.name ?? `Rollout ${randomUUID().slice(0, 6)}`,
      targetVersion: "0.66.0",
      selector: {},
      strategy: {},
      gate: {},
      status: o.status ?? "running",
      urgent: o.urgent ?? false,
      urgentReason: o.urgent ? "security fix" : null,
      createdById: o.createdById,
    },
  });
  campaigns.push(c.id);
  await db().campaignTarget.create({ data: { campaignId: c.id, instanceId, wave: 0, position: 0 } });
  return c;
}

afterAll(async () => {
  // Running campaigns left behind would be advanced by later files' campaign ticks.
  await db().upgradeCampaign.deleteMany({ where: { id: { in: campaigns } } });
  await db().release.deleteMany({ where: { version: { startsWith: `${M}.` } } });
  await db().maintenanceBlackout.deleteMany({ where: { reason: { startsWith: "test:" } } });
});

describe("maintenance windows", () => {
  it("shows the next three windows, skipped ones between them flagged, to members; foreign ids are not found", async () => {
    const s = await setup();
    const now = new Date();
    const upcoming = windowOccurrences(BERLIN, now, 3);
    // The customer blacks out the second window's date: it is listed, flagged, and a fourth window takes its place.
    await setInstanceBlackouts(s.adminCtx, s.org.id, s.instance.id, [upcoming[1]!.localDate]);
    const view = await getMaintenance(s.memberCtx.actor, s.org.id, s.instance.id, now);
    expect(view.window).toEqual(BERLIN);
    expect(view.next).toHaveLength(4);
    expect(view.next.map((o) => o.skipped)).toEqual([null, "customer_blackout", null, null]);
    expect(view.next[0]!.start).toEqual(upcoming[0]!.start);
    expect(view.next[1]!.start).toEqual(upcoming[1]!.start);
    // 02:00 Berlin is 01:00 or 00:00 UTC depending on the season: the API returns instants.
    expect([0, 1]).toContain(view.next[0]!.start.getUTCHours());
    expect(view).toMatchObject({
      blackouts: [upcoming[1]!.localDate],
      maxDeferrals: 2,
      remainingDeferrals: 2,
      plannedWork: null,
      mayChange: false,
    });
    expect((await getMaintenance(s.adminCtx.actor, s.org.id, s.instance.id)).mayChange).toBe(true);
    expect((await getMaintenance(s.supportCtx.actor, s.org.id, s.instance.id)).mayChange).toBe(false);

    await expect(getMaintenance(s.outsiderCtx.actor, s.org.id, s.instance.id)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(getMaintenance(s.sreCtx.actor, s.other.id, s.instance.id)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    const c = await campaignFor(s.instance.id, { name: "Q4 rollout", createdById: s.admin.id });
    expect((await getMaintenance(s.memberCtx.actor, s.org.id, s.instance.id)).plannedWork).toBe(
      "Upgrade to 0.66.0 (campaign Q4 rollout)",
    );
    await db().upgradeCampaign.update({ where: { id: c.id }, data: { status: "completed" } });
    expect((await getMaintenance(s.memberCtx.actor, s.org.id, s.instance.id)).plannedWork).toBeNull();
  });

  it("changes the window (audited), refusing a bad zone with an error naming the field; members may not", async () => {
    const s = await setup();
    const tokyo = {
      weekday: 4,
      start: "23:00",
      durationMin: 180,
      timezone: "Asia/Tokyo",
      anchor: "2026-02-05",
    };
    const view = await setMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, tokyo);
    expect(view.window).toEqual(tokyo);
    expect(view.next.filter((o) => !o.skipped)).toHaveLength(3);
    // Crossing midnight: 23:00 Thursday to 02:00 Friday, Tokyo time (UTC+9, no daylight saving).
    expect(view.next[0]!.start.getUTCHours()).toBe(14);
    expect(view.next[0]!.end.getTime() - view.next[0]!.start.getTime()).toBe(3 * HOUR);
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "maintenance.window_change", targetId: s.instance.id },
    });
    expect(audit.before).toMatchObject({ timezone: "Europe/Berlin", weekday: 2 });
    expect(audit.after).toMatchObject({ timezone: "Asia/Tokyo", weekday: 4 });
    expect(audit.orgId).toBe(s.org.id);

    await expect(
      setMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, { ...tokyo, timezone: "Mars/Base" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "timezone",
      message: 'timezone: "Mars/Base" is not an IANA time zone (e.g. Europe/Berlin)',
    });
    await expect(
      setMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, { ...tokyo, durationMin: 10 }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "durationMin" });
    await expect(setMaintenanceWindow(s.memberCtx, s.org.id, s.instance.id, BERLIN)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(setMaintenanceWindow(s.supportCtx, s.org.id, s.instance.id, BERLIN)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(setMaintenanceWindow(s.outsiderCtx, s.org.id, s.instance.id, BERLIN)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // SREs may change it for the customer.
    await setMaintenanceWindow(s.sreCtx, s.org.id, s.instance.id, BERLIN);
    expect(
      await db().auditEvent.count({
        where: { action: "maintenance.window_change", targetId: s.instance.id },
      }),
    ).toBe(2);
  });

  it("defers up to the limit in a row, each recorded and audited; the deferred window is skipped", async () => {
    const s = await setup();
    const now = new Date();
    const [first, second, third] = windowOccurrences(BERLIN, now, 4).filter((o) => o.start > now);
    let view = await deferMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, first!.start, now);
    expect(view.remainingDeferrals).toBe(1);
    expect(view.next[0]).toMatchObject({ start: first!.start, skipped: "deferred" });
    expect(view.deferred).toEqual([first!.start]);
    await expect(
      deferMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, first!.start, now),
    ).rejects.toMatchObject({ code: "CONFLICT", field: "windowStart" });
    view = await deferMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, second!.start, now);
    expect(view.remainingDeferrals).toBe(0);
    await expect(
      deferMaintenanceWindow(s.adminCtx, s.org.id, s.instance.id, third!.start, now),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "windowStart",
      message: expect.stringContaining("already deferred in a row"),
    });
    // Not a window start at all.
    await expect(
      deferMaintenanceWindow(
        s.adminCtx,
        s.org.id,
        s.instance.id,
        new Date(third!.start.getTime() + 60_000),
        now,
      ),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "windowStart" });
    await expect(
      deferMaintenanceWindow(s.memberCtx, s.org.id, s.instance.id, third!.start, now),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    const row = await db().instance.findUniqueOrThrow({ where: { id: s.instance.id } });
    expect(row.maintenanceDeferred).toEqual([first!.start.toISOString(), second!.start.toISOString()]);
    // What a campaign planning now would pick: the third window.
    expect(
      nextWindowOpening(BERLIN, now, { deferred: row.maintenanceDeferred, fleetBlackouts: [] }).start,
    ).toEqual(third!.start);
    const audits = await db().auditEvent.findMany({
      where: { action: "maintenance.defer", targetId: s.instance.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audits).toHaveLength(2);
    expect(audits[0]!.after).toMatchObject({ windowStart: first!.start.toISOString() });
  });

  it("sets customer blackout dates, refusing invalid and past ones", async () => {
    const s = await setup();
    await expect(
      setInstanceBlackouts(s.adminCtx, s.org.id, s.instance.id, ["2026-02-30"]),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "dates.0" });
    await expect(
      setInstanceBlackouts(s.adminCtx, s.org.id, s.instance.id, ["2031-01-01", "24.12.2031"]),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "dates.1" });
    await expect(
      setInstanceBlackouts(s.adminCtx, s.org.id, s.instance.id, ["2020-01-01"]),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "dates",
      message: expect.stringContaining("in the past"),
    });
    const view = await setInstanceBlackouts(s.adminCtx, s.org.id, s.instance.id, [
      "2031-12-24",
      "2031-12-23",
      "2031-12-24",
    ]);
    expect(view.blackouts).toEqual(["2031-12-23", "2031-12-24"]);
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "maintenance.blackouts_change", targetId: s.instance.id },
    });
    expect(audit.after).toEqual({ blackouts: ["2031-12-23", "2031-12-24"] });
  });

  it("staff manage fleet blackouts: SREs add and remove, support reads, a window on the date is skipped", async () => {
    const s = await setup();
    const now = new Date();
    const next = windowOccurrences(BERLIN, now, 3);
    const date = next[2]!.localDate;
    await expect(addFleetBlackout(s.supportCtx, { date, reason: "test: freeze" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(addFleetBlackout(s.adminCtx, { date, reason: "test: freeze" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(addFleetBlackout(s.sreCtx, { date: "2031-13-01", reason: "test: x" })).rejects.toMatchObject(
      {
        code: "BAD_REQUEST",
        field: "date",
      },
    );
    try {
      const added = await addFleetBlackout(s.sreCtx, { date, reason: "test: freeze" });
      expect(added).toMatchObject({ date, reason: "test: freeze", createdBy: s.sreCtx.actor.email });
      await expect(addFleetBlackout(s.sreCtx, { date, reason: "test: again" })).rejects.toMatchObject({
        code: "CONFLICT",
        field: "date",
      });
      expect((await listFleetBlackouts(s.supportCtx.actor)).some((b) => b.date === date)).toBe(true);
      await expect(listFleetBlackouts(s.adminCtx.actor)).rejects.toMatchObject({ code: "FORBIDDEN" });
      const view = await getMaintenance(s.memberCtx.actor, s.org.id, s.instance.id, now);
      expect(view.next.map((o) => o.skipped)).toEqual([null, null, "fleet_blackout", null]);
      expect(view.fleetBlackouts).toContainEqual({ date, reason: "test: freeze" });
      expect(
        await db().auditEvent.count({ where: { action: "maintenance.fleet_blackout_add", targetId: date } }),
      ).toBe(1);
    } finally {
      await removeFleetBlackout(s.sreCtx, { date });
    }
    await expect(removeFleetBlackout(s.sreCtx, { date })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(
      await db().auditEvent.count({ where: { action: "maintenance.fleet_blackout_remove", targetId: date } }),
    ).toBe(1);
  });
});

describe("maintenance notices tick", () => {
  const messagesFor = (instanceId: string, prefix = "maintenance") =>
    db().outboxMessage.findMany({
      where: { dedupeKey: { startsWith: `${prefix}:${instanceId}:` } },
      orderBy: { createdAt: "asc" },
    });

  it("tells the org's admins once per lead time before a window with work, by console, e-mail and channel post", async () => {
    const s = await setup();
    const idle = await createTestInstance(s.org.id, `idle-${s.suffix}`, {
      maintenanceTimezone: "Europe/Berlin",
    });
    const drafted = await createTestInstance(s.org.id, `draft-${s.suffix}`);
    const urgent = await createTestInstance(s.org.id, `urgent-${s.suffix}`);
    await campaignFor(s.instance.id, { name: "Q4 rollout", createdById: s.admin.id });
    await campaignFor(drafted.id, { status: "draft", createdById: s.admin.id });
    await campaignFor(urgent.id, { urgent: true, createdById: s.admin.id });

    const window = nextWindowOpening(BERLIN, new Date(Date.now() + 20 * DAY));
    const at = (hoursBefore: number) => new Date(window.start.getTime() - hoursBefore * HOUR);

    // 8 days before: nothing is due yet.
    await runMaintenanceNoticesTick(at(8 * 24));
    expect(await db().maintenanceNotice.count({ where: { instanceId: s.instance.id } })).toBe(0);

    // 100 hours before: the 168-hour notice, once.
    const first = await runMaintenanceNoticesTick(at(100));
    expect(first.sent).toBeGreaterThanOrEqual(1);
    expect((await runMaintenanceNoticesTick(at(100))).sent).toBe(0);
    await runMaintenanceNoticesTick(at(99));
    const notices = await db().maintenanceNotice.findMany({ where: { instanceId: s.instance.id } });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      windowStart: window.start,
      leadHours: 168,
      work: "Upgrade to 0.66.0 (campaign Q4 rollout)",
    });
    let messages = await messagesFor(s.instance.id);
    const emails = messages.filter((m) => m.channel === "email");
    const consoles = messages.filter((m) => m.channel === "console");
    expect(emails.map((m) => m.toAddress).sort()).toEqual([s.admin.email, s.admin2.email].sort());
    expect(consoles.map((m) => m.userId).sort()).toEqual([s.admin.id, s.admin2.id].sort());
    expect(emails[0]!.bodyText).toContain("Upgrade to 0.66.0 (campaign Q4 rollout)");
    expect(emails[0]!.bodyText).toContain("in 4 days");
    expect(emails[0]!.subject).toContain(s.instance.name);
    const posts = await db().channelPost.findMany({
      where: { instanceId: s.instance.id, kind: "maintenance" },
    });
    expect(posts).toHaveLength(1);
    expect(posts[0]!.text).toContain("Upgrade to 0.66.0");

    // 10 hours before: the 24-hour notice, once.
    await runMaintenanceNoticesTick(at(10));
    await runMaintenanceNoticesTick(at(9));
    expect(
      (await db().maintenanceNotice.findMany({ where: { instanceId: s.instance.id } }))
        .map((n) => n.leadHours)
        .sort(),
    ).toEqual([168, 24]);
    messages = await messagesFor(s.instance.id);
    expect(messages).toHaveLength(8);
    expect(messages.every((m) => m.userId !== s.member.id)).toBe(true);
    expect(await db().channelPost.count({ where: { instanceId: s.instance.id, kind: "maintenance" } })).toBe(
      2,
    );

    // No work, a draft campaign, an urgent campaign (no window): no notices.
    for (const i of [idle, drafted, urgent]) {
      expect(await db().maintenanceNotice.count({ where: { instanceId: i.id } })).toBe(0);
      expect(await messagesFor(i.id)).toHaveLength(0);
    }
  });

  it("follows a moved window and skips a deferred one; notices first due inside 24 hours go out once", async () => {
    const s = await setup();
    await campaignFor(s.instance.id, { createdById: s.admin.id });
    const base = new Date(Date.now() + 30 * DAY);
    const window = nextWindowOpening(BERLIN, base);
    // The customer defers that window: the notice is about the next one instead.
    await db().instance.update({
      where: { id: s.instance.id },
      data: { maintenanceDeferred: [window.start.toISOString()] },
    });
    const following = nextWindowOpening(BERLIN, base, { deferred: [window.start.toISOString()] });
    await runMaintenanceNoticesTick(new Date(window.start.getTime() - 10 * HOUR));
    expect(await db().maintenanceNotice.count({ where: { instanceId: s.instance.id } })).toBe(0);
    const t = new Date(following.start.getTime() - 5 * HOUR);
    await runMaintenanceNoticesTick(t);
    await runMaintenanceNoticesTick(t);
    const rows = await db().maintenanceNotice.findMany({ where: { instanceId: s.instance.id } });
    expect(rows.map((r) => r.leadHours).sort()).toEqual([168, 24]);
    expect(rows.every((r) => r.windowStart.getTime() === following.start.getTime())).toBe(true);
    // Both leads became due at once: one message per admin and channel, one post.
    expect(await messagesFor(s.instance.id)).toHaveLength(4);
    expect(await db().channelPost.count({ where: { instanceId: s.instance.id, kind: "maintenance" } })).toBe(
      1,
    );
  });

  it("sends an end-of-support notice once per instance and end date, only within the notice period", async () => {
    const s = await setup();
    const now = new Date();
    const ending = `${M}.1.0`;
    const later = `${M}.2.0`;
    await db().release.createMany({
      data: [
        {
          version: ending,
          releasedAt: new Date(now.getTime() - 100 * DAY),
          endOfSupportAt: new Date(now.getTime() + 10 * DAY),
        },
        {
          version: later,
          releasedAt: new Date(now.getTime() - 50 * DAY),
          endOfSupportAt: new Date(now.getTime() + 90 * DAY),
        },
      ],
    });
    const old = await createTestInstance(s.org.id, `eos-${s.suffix}`, { version: ending });
    const fine = await createTestInstance(s.org.id, `ok-${s.suffix}`, { version: later });
    await runMaintenanceNoticesTick(now);
    expect((await runMaintenanceNoticesTick(now)).sent).toBe(0);
    const rows = await db().maintenanceNotice.findMany({ where: { instanceId: old.id } });
    expect(rows).toEqual([
      expect.objectContaining({
        leadHours: 0,
        work: `end of support of ${ending}`,
        windowStart: new Date(now.getTime() + 10 * DAY),
      }),
    ]);
    const messages = await messagesFor(old.id, "eos");
    expect(
      messages
        .filter((m) => m.channel === "email")
        .map((m) => m.toAddress)
        .sort(),
    ).toEqual([s.admin.email, s.admin2.email].sort());
    expect(messages.find((m) => m.channel === "email")!.bodyText).toContain(
      `runs ${ending}, whose support ends on`,
    );
    expect(await db().channelPost.count({ where: { instanceId: old.id, kind: "maintenance" } })).toBe(1);
    expect(await db().maintenanceNotice.count({ where: { instanceId: fine.id } })).toBe(0);
  });
});
