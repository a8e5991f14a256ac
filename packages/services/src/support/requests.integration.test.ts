// Support requests against the real database: due times from the plan (across a weekend for the business-hours
// plan), clocks at fixed instants, breaches recorded once (also with two ticks at once), the thread as each side sees
// it, access across orgs, and notifications once per event.
import { randomUUID } from "node:crypto";
import { db } from "@cp/db";
import { describe, expect, it } from "vitest";
import { createTestInstance } from "../testing/instances";
import { getSupportAssignments, setSupportAssignment } from "./assignments";
import { setSupportPlan } from "./plans";
import {
  getSupportRequest,
  listSupportRequests,
  openSupportRequest,
  replyToSupportRequest,
  runSupportSlaTick,
  setSupportRequestStatus,
  supportClocks,
  supportQueue,
} from "./requests";
import { ctxFor } from "../testing/context";

/** New York wall-clock time in January (EST, UTC-5). */
const ny = (iso: string) => new Date(`${iso}-05:00`);

async function setup(opts: { plan?: string } = {}) {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: {
      name: `Sup ${suffix}`,
      slug: `sup-${suffix}`,
      plan: "dedicated",
      supportPlan: opts.plan ?? "standard",
    },
  });
  const other = await db().organization.create({
    data: { name: `Other ${suffix}`, slug: `other-${suffix}`, plan: "dedicated" },
  });
  const customer = await db().user.create({ data: { email: `cust-${suffix}@example.com`, name: "Casey" } });
  await db().membership.create({ data: { orgId: org.id, userId: customer.id, role: "member" } });
  const outsider = await db().user.create({ data: { email: `out-${suffix}@example.com` } });
  await db().membership.create({ data: { orgId: other.id, userId: outsider.id, role: "admin" } });
  const agent = await db().user.create({
    data: { email: `agent-${suffix}@example.com`, name: "Sam Support", staffRole: "support" },
  });
  const sre = await db().user.create({ data: { email: `sre-${suffix}@example.com`, staffRole: "sre" } });
  const instance = await createTestInstance(org.id, `inst-${suffix}`);
  const otherInstance = await createTestInstance(other.id, `oi-${suffix}`);
  return {
    org,
    other,
    instance,
    otherInstance,
    agent,
    customer,
    customerCtx: ctxFor(customer, "none", [{ orgId: org.id, role: "member" }]),
    outsiderCtx: ctxFor(outsider, "none", [{ orgId: other.id, role: "admin" }]),
    agentCtx: ctxFor(agent, "support"),
    sreCtx: ctxFor(sre, "sre"),
  };
}

/** Puts a request's clocks where a test wants them (open "at" a fixed instant, due from the plan). */
async function backdate(requestId: string, createdAt: Date, firstResponseDueAt: Date, resolutionDueAt: Date) {
  await db().supportRequest.update({
    where: { id: requestId },
    data: { createdAt, firstResponseDueAt, resolutionDueAt },
  });
}

const outbox = (prefix: string) =>
  db().outboxMessage.findMany({
    where: { dedupeKey: { startsWith: prefix } },
    orderBy: { createdAt: "asc" },
  });

describe("support requests", () => {
  it("opens with due times from the org's plan, the first message, an audit event, notices and a channel post", async () => {
    const s = await setup();
    await setSupportAssignment(s.sreCtx, { orgId: s.org.id, role: "primary", userId: s.agent.id });
    const before = Date.now();
    const r = await openSupportRequest(s.customerCtx, {
      orgId: s.org.id,
      instanceId: s.instance.id,
      severity: "P1",
      subject: "Everything is down",
      body: "Our instance answers 502.",
    });
    // P1 on the standard plan runs around the clock: 60 minutes to first response, 8 hours to resolution.
    // (The clock starts when the row is written, between `before` and the answer: compare with the row's own time.)
    const opened = await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(r.firstResponseDueAt.getTime() - opened.createdAt.getTime()).toBeGreaterThanOrEqual(
      60 * 60_000 - 1_000,
    );
    expect(r.firstResponseDueAt.getTime() - opened.createdAt.getTime()).toBeLessThanOrEqual(
      60 * 60_000 + 1_000,
    );
    expect(opened.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    const row = await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(row).toMatchObject({ status: "open", plan: "standard", assigneeId: s.agent.id });
    expect(row.resolutionDueAt.getTime() - row.createdAt.getTime()).toBe(8 * 3600_000);
    const audit = await db().auditEvent.findMany({
      where: { action: "support_request.open", targetId: r.id },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ orgId: s.org.id, actorId: s.customer.id, viaStaff: false });
    // The assigned agent only: a console notice and an e-mail.
    const notes = await outbox(`support_request:${r.id}:open`);
    expect(notes.map((n) => [n.channel, n.userId ?? n.toAddress])).toEqual(
      expect.arrayContaining([
        ["console", s.agent.id],
        ["email", s.agent.email],
      ]),
    );
    expect(notes).toHaveLength(2);
    const posts = await db().channelPost.findMany({ where: { dedupeKey: `support_request:${r.id}:open` } });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ instanceId: s.instance.id, kind: "support" });
    expect(posts[0]!.text).toContain("Everything is down");
  });

  it("refuses a foreign org's instance naming the field, a foreign org, and a too-short subject", async () => {
    const s = await setup();
    const base = { orgId: s.org.id, severity: "P3" as const, subject: "A question", body: "How do I?" };
    await expect(
      openSupportRequest(s.customerCtx, { ...base, instanceId: s.otherInstance.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", field: "instanceId" });
    await expect(openSupportRequest(s.outsiderCtx, base)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(openSupportRequest(s.customerCtx, { ...base, subject: "Hi" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "subject",
    });
    expect(await db().supportRequest.count({ where: { orgId: s.org.id } })).toBe(0);
  });

  it("counts the business-hours plan's clocks across a weekend", async () => {
    const s = await setup();
    // Opened Friday 16:00 New York time: P2 first response (4 business hours) is due Monday 12:00, resolution
    // (3 business days) Wednesday 16:00.
    const r = await openSupportRequest(
      s.customerCtx,
      { orgId: s.org.id, severity: "P2", subject: "Slow queries", body: "Since this morning." },
      ny("2026-01-16T16:00"),
    );
    expect(r.firstResponseDueAt).toEqual(ny("2026-01-19T12:00"));
    expect(r.resolutionDueAt).toEqual(ny("2026-01-21T16:00"));
    const row = await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(row.createdAt).toEqual(ny("2026-01-16T16:00"));

    expect(supportClocks(row, ny("2026-01-17T12:00")).firstResponse).toMatchObject({
      state: "ok",
      remainingMinutes: 180,
    });
    expect(supportClocks(row, ny("2026-01-19T11:00")).firstResponse).toMatchObject({
      state: "near",
      remainingMinutes: 60,
    });
    const late = supportClocks(row, ny("2026-01-19T12:30"));
    expect(late.firstResponse.state).toBe("breached");
    expect(late.slaState).toBe("breached");
    // The page shows the same clocks at the same instant.
    const page = await listSupportRequests(
      s.customerCtx,
      { orgId: s.org.id, limit: 10 },
      ny("2026-01-19T11:00"),
    );
    expect(page.items[0]).toMatchObject({ id: r.id, clocks: { slaState: "near" } });

    // The tick on Saturday records nothing (no business time left to lose); on Monday 12:01 it records the breach.
    await runSupportSlaTick(ny("2026-01-17T12:00"));
    expect(
      (await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } })).firstResponseBreachedAt,
    ).toBeNull();
    await runSupportSlaTick(ny("2026-01-19T12:01"));
    const after = await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(after.firstResponseBreachedAt).toEqual(ny("2026-01-19T12:01"));
    expect(after.resolutionBreachedAt).toBeNull();
  });

  it("records a breach once and warns once, even with two ticks at the same time", async () => {
    const s = await setup();
    await setSupportAssignment(s.sreCtx, { orgId: s.org.id, role: "primary", userId: s.agent.id });
    const r = await openSupportRequest(s.customerCtx, {
      orgId: s.org.id,
      instanceId: s.instance.id,
      severity: "P3",
      subject: "Backups slow",
      body: "They take hours.",
    });
    const t0 = new Date("2030-01-07T15:00:00Z");
    await backdate(r.id, t0, new Date(t0.getTime() + 100 * 60_000), new Date(t0.getTime() + 1000 * 60_000));
    await db().organization.update({ where: { id: s.org.id }, data: { supportPlan: "premium" } });
    // Requests keep the plan they opened under; make it around-the-clock for simple arithmetic.
    await db().supportRequest.update({ where: { id: r.id }, data: { plan: "premium" } });

    // 80 of 100 minutes gone: near breach, warned once by two ticks at once.
    const near = new Date(t0.getTime() + 80 * 60_000);
    const warned = await Promise.all([runSupportSlaTick(near), runSupportSlaTick(near)]);
    expect(warned.reduce((n, x) => n + x.warnings, 0)).toBe(1);
    expect(await outbox(`support_request:${r.id}:near:first_response`)).toHaveLength(2); // console + e-mail
    await runSupportSlaTick(new Date(near.getTime() + 60_000));
    expect(await outbox(`support_request:${r.id}:near:`)).toHaveLength(2);

    // Past due: the breach is recorded once, with one notice pair, one channel post and one audit event.
    const past = new Date(t0.getTime() + 101 * 60_000);
    const ticks = await Promise.all([
      runSupportSlaTick(past),
      runSupportSlaTick(past),
      runSupportSlaTick(past),
    ]);
    expect(ticks.reduce((n, x) => n + x.breaches, 0)).toBe(1);
    const row = await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } });
    expect(row.firstResponseBreachedAt).toEqual(past);
    await runSupportSlaTick(new Date(past.getTime() + 3600_000));
    expect(
      (await db().supportRequest.findUniqueOrThrow({ where: { id: r.id } })).firstResponseBreachedAt,
    ).toEqual(past);
    expect(await outbox(`support_request:${r.id}:breach:first_response`)).toHaveLength(2);
    expect(
      await db().channelPost.count({ where: { dedupeKey: `support_request:${r.id}:breach:first_response` } }),
    ).toBe(1);
    expect(
      await db().auditEvent.count({ where: { action: "support_request.sla_breach", targetId: r.id } }),
    ).toBe(1);
    // The staff queue shows it among the breached.
    const queue = await supportQueue(s.agentCtx, { orgId: s.org.id, breachedOnly: true, limit: 10 });
    expect(queue.items.map((q) => q.id)).toEqual([r.id]);
  });

  it("records a late first reply as a breach; an answer in time stops the clock as met", async () => {
    const s = await setup({ plan: "premium" });
    const open = (subject: string) =>
      openSupportRequest(s.customerCtx, { orgId: s.org.id, severity: "P2", subject, body: "Details." });
    const late = await open("Late answer");
    const past = new Date(Date.now() - 3600_000);
    await backdate(late.id, new Date(past.getTime() - 3600_000), past, new Date(Date.now() + 86_400_000));
    const reply = await replyToSupportRequest(s.agentCtx, {
      orgId: s.org.id,
      requestId: late.id,
      body: "Looking.",
    });
    expect(reply.firstRespondedAt).not.toBeNull();
    expect(reply.firstResponseBreachedAt).toEqual(reply.firstRespondedAt);
    const got = await getSupportRequest(s.customerCtx, { orgId: s.org.id, requestId: late.id });
    expect(got.clocks.firstResponse.state).toBe("breached");
    // A second staff reply changes nothing about the first response.
    const again = await replyToSupportRequest(s.agentCtx, {
      orgId: s.org.id,
      requestId: late.id,
      body: "More.",
    });
    expect(again.firstRespondedAt).toEqual(reply.firstRespondedAt);

    const timely = await open("Timely answer");
    const ok = await replyToSupportRequest(s.agentCtx, {
      orgId: s.org.id,
      requestId: timely.id,
      body: "On it.",
    });
    expect(ok.firstResponseBreachedAt).toBeNull();
    const view = await getSupportRequest(s.agentCtx, { orgId: s.org.id, requestId: timely.id });
    expect(view.clocks.firstResponse.state).toBe("met");
    expect(view.clocks.resolution.state).toBe("ok");
  });

  it("shows one thread, in order, to both sides; a customer reply reopens a request waiting on them", async () => {
    const s = await setup();
    const r = await openSupportRequest(s.customerCtx, {
      orgId: s.org.id,
      instanceId: s.instance.id,
      severity: "P2",
      subject: "Login fails",
      body: "SSO loops.",
    });
    await replyToSupportRequest(s.agentCtx, { orgId: s.org.id, requestId: r.id, body: "Which browser?" });
    await setSupportRequestStatus(s.agentCtx, {
      orgId: s.org.id,
      requestId: r.id,
      status: "waiting_on_customer",
    });
    const answer = await replyToSupportRequest(s.customerCtx, {
      orgId: s.org.id,
      requestId: r.id,
      body: "Firefox.",
    });
    expect(answer.status).toBe("open");

    const asCustomer = await getSupportRequest(s.customerCtx, { orgId: s.org.id, requestId: r.id });
    const asStaff = await getSupportRequest(s.agentCtx, { orgId: s.org.id, requestId: r.id });
    expect(asCustomer.messages).toEqual(asStaff.messages);
    expect(asCustomer.messages.map((m) => [m.body, m.fromStaff, m.author.name])).toEqual([
      ["SSO loops.", false, "Casey"],
      ["Which browser?", true, "Sam Support"],
      ["Firefox.", false, "Casey"],
    ]);
    expect(asCustomer.openedBy.email).toBe(s.customer.email);

    // Only the other side hears of a reply, once: the customer of the staff reply, staff of the customer's.
    const staffReplyId = asCustomer.messages[1]!.id;
    const toCustomer = await outbox(`support_request:${r.id}:message:${staffReplyId}`);
    expect(toCustomer.map((m) => m.userId ?? m.toAddress).sort()).toEqual(
      [s.customer.id, s.customer.email].sort(),
    );
    const customerReplyId = asCustomer.messages[2]!.id;
    const toStaff = await outbox(`support_request:${r.id}:message:${customerReplyId}`);
    expect(toStaff.length).toBeGreaterThan(0);
    expect(toStaff.every((m) => m.userId !== s.customer.id && m.toAddress !== s.customer.email)).toBe(true);
    expect(
      await db().channelPost.count({
        where: { dedupeKey: `support_request:${r.id}:message:${staffReplyId}` },
      }),
    ).toBe(1);

    // Resolving stops the resolution clock; the customer may reopen but not set "waiting on customer".
    const resolved = await setSupportRequestStatus(s.customerCtx, {
      orgId: s.org.id,
      requestId: r.id,
      status: "resolved",
    });
    expect(resolved.resolvedAt).not.toBeNull();
    const view = await getSupportRequest(s.customerCtx, { orgId: s.org.id, requestId: r.id });
    expect(view.clocks.resolution.state).toBe("met");
    await expect(
      setSupportRequestStatus(s.customerCtx, {
        orgId: s.org.id,
        requestId: r.id,
        status: "waiting_on_customer",
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const reopened = await setSupportRequestStatus(s.customerCtx, {
      orgId: s.org.id,
      requestId: r.id,
      status: "open",
    });
    expect(reopened).toMatchObject({ status: "open", resolvedAt: null });
    const audits = await db().auditEvent.findMany({
      where: { targetId: r.id },
      orderBy: { createdAt: "asc" },
      select: { action: true },
    });
    expect(audits.map((a) => a.action)).toEqual([
      "support_request.open",
      "support_request.reply",
      "support_request.status_change",
      "support_request.reply",
      "support_request.status_change",
      "support_request.status_change",
    ]);
  });

  it("shows a customer only their own org's requests; others get NOT_FOUND", async () => {
    const s = await setup();
    const r = await openSupportRequest(s.customerCtx, {
      orgId: s.org.id,
      severity: "P4",
      subject: "Feature request",
      body: "Dark mode.",
    });
    await expect(
      getSupportRequest(s.outsiderCtx, { orgId: s.org.id, requestId: r.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // Naming their own org does not reach another org's request either.
    await expect(
      getSupportRequest(s.outsiderCtx, { orgId: s.other.id, requestId: r.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      replyToSupportRequest(s.outsiderCtx, { orgId: s.other.id, requestId: r.id, body: "Hi" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(listSupportRequests(s.outsiderCtx, { orgId: s.org.id, limit: 10 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await listSupportRequests(s.outsiderCtx, { orgId: s.other.id, limit: 10 })).items).toEqual([]);
    await expect(supportQueue(s.customerCtx, { limit: 10 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(
      (await listSupportRequests(s.customerCtx, { orgId: s.org.id, limit: 10 })).items.map((x) => x.id),
    ).toEqual([r.id]);
  });

  it("orders the staff queue by the nearest due target and pages it by keyset", async () => {
    const s = await setup();
    const ids: string[] = [];
    for (const [i, minutes] of [300, 100, 200].entries()) {
      const r = await openSupportRequest(s.customerCtx, {
        orgId: s.org.id,
        severity: "P3",
        subject: `Queue ${i}`,
        body: "x",
      });
      const t0 = new Date(Date.now() + 86_400_000 * 365);
      await backdate(
        r.id,
        new Date(),
        new Date(t0.getTime() + minutes * 60_000),
        new Date(t0.getTime() + 1e9),
      );
      ids.push(r.id);
    }
    const first = await supportQueue(s.agentCtx, { orgId: s.org.id, limit: 2 });
    const second = await supportQueue(s.agentCtx, { orgId: s.org.id, limit: 2, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((r) => r.id)).toEqual([ids[1], ids[2], ids[0]]);
    expect(second.nextCursor).toBeNull();
    const p3 = await supportQueue(s.agentCtx, { orgId: s.org.id, severity: "P1", limit: 10 });
    expect(p3.items).toEqual([]);
  });

  it("assigns support staff and the plan (staff only, audited), and refuses a customer as support", async () => {
    const s = await setup();
    await setSupportAssignment(s.sreCtx, { orgId: s.org.id, role: "secondary", userId: s.agent.id });
    await expect(
      setSupportAssignment(s.sreCtx, { orgId: s.org.id, role: "primary", userId: s.customer.id }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "userId" });
    await setSupportPlan(s.sreCtx, { orgId: s.org.id, plan: "premium" });
    await expect(setSupportPlan(s.sreCtx, { orgId: s.org.id, plan: "gold" })).rejects.toMatchObject({
      field: "plan",
    });
    const a = await getSupportAssignments(s.org.id);
    expect(a).toMatchObject({
      plan: { key: "premium" },
      primary: null,
      secondary: { userId: s.agent.id, email: s.agent.email },
    });
    await setSupportAssignment(s.sreCtx, { orgId: s.org.id, role: "secondary", userId: null });
    expect((await getSupportAssignments(s.org.id)).secondary).toBeNull();
    const audits = await db().auditEvent.findMany({ where: { orgId: s.org.id }, select: { action: true } });
    expect(audits.map((x) => x.action).sort()).toEqual([
      "support.assignment_change",
      "support.assignment_change",
      "support.plan_change",
    ]);
  });
});
