// Membership changes: an org never loses its last admin (not even to two admins demoting each other at once), and
// each change and its audit event land in one transaction or not at all.
import { db } from "@cp/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  callerFor,
  createMember,
  createOrg,
  createUser,
  settle,
  type TestOrg,
  type TestUser,
} from "../../testing/fixtures";

async function adminCount(orgId: string): Promise<number> {
  return db().membership.count({ where: { orgId, role: "admin" } });
}

async function orgWithAdmins(
  n: number,
): Promise<{ org: TestOrg; admins: { user: TestUser; membershipId: string }[] }> {
  const org = await createOrg();
  const admins = await Promise.all(Array.from({ length: n }, () => createMember(org.id, "admin")));
  return { org, admins };
}

describe("the last admin of an org", () => {
  it("cannot be demoted or removed, by themselves or by staff; nothing changes and nothing is audited", async () => {
    const { org, admins } = await orgWithAdmins(1);
    const [admin] = admins;
    const member = await createMember(org.id, "member");
    const sre = await createUser({ staffRole: "sre" });

    for (const who of [admin!.user, sre]) {
      const api = await callerFor(who);
      const demote = await settle(
        api.members.changeRole({ orgId: org.id, membershipId: admin!.membershipId, role: "member" }),
      );
      expect(demote.outcome).toBe("PRECONDITION_FAILED");
      expect(demote.error?.message).toMatch(/at least one admin/);
      const remove = await settle(api.members.remove({ orgId: org.id, membershipId: admin!.membershipId }));
      expect(remove.outcome).toBe("PRECONDITION_FAILED");
    }
    expect(await adminCount(org.id)).toBe(1);
    expect(await db().membership.count({ where: { orgId: org.id } })).toBe(2);
    expect(await db().auditEvent.count({ where: { orgId: org.id } })).toBe(0);

    // Once there is a second admin, the first may step down.
    const api = await callerFor(admin!.user);
    await api.members.changeRole({ orgId: org.id, membershipId: member.membershipId, role: "admin" });
    expect(
      await api.members.changeRole({ orgId: org.id, membershipId: admin!.membershipId, role: "member" }),
    ).toEqual({
      id: admin!.membershipId,
      role: "member",
    });
    expect(await adminCount(org.id)).toBe(1);
    const actions = (
      await db().auditEvent.findMany({ where: { orgId: org.id }, orderBy: { createdAt: "asc" } })
    ).map((e) => e.action);
    expect(actions).toEqual(["member.role_change", "member.role_change"]);
  });

  it("survives two admins demoting each other at the same moment", async () => {
    for (let round = 0; round < 5; round++) {
      const { org, admins } = await orgWithAdmins(2);
      const [a, b] = admins;
      // Both callers were authorized as admins before either change: only the lock in the use case can save the org.
      const [apiA, apiB] = await Promise.all([callerFor(a!.user), callerFor(b!.user)]);
      const results = await Promise.allSettled([
        apiA.members.changeRole({ orgId: org.id, membershipId: b!.membershipId, role: "member" }),
        apiB.members.changeRole({ orgId: org.id, membershipId: a!.membershipId, role: "member" }),
      ]);
      expect(await adminCount(org.id)).toBe(1);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const failed = results.filter((r) => r.status === "rejected");
      expect(failed).toHaveLength(1);
      expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: "PRECONDITION_FAILED" });
      expect(await db().auditEvent.count({ where: { orgId: org.id, action: "member.role_change" } })).toBe(1);
    }
  });

  it("survives two admins removing each other at the same moment", async () => {
    const { org, admins } = await orgWithAdmins(2);
    const [a, b] = admins;
    const [apiA, apiB] = await Promise.all([callerFor(a!.user), callerFor(b!.user)]);
    const results = await Promise.allSettled([
      apiA.members.remove({ orgId: org.id, membershipId: b!.membershipId }),
      apiB.members.remove({ orgId: org.id, membershipId: a!.membershipId }),
    ]);
    expect(await adminCount(org.id)).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });
});

describe("membership changes", () => {
  it("an org admin changes a role and removes a member; each change is audited with before and after", async () => {
    const { org, admins } = await orgWithAdmins(1);
    const member = await createMember(org.id, "member");
    const api = await callerFor(admins[0]!.user, { ip: "192.0.2.44", userAgent: "members-test" });

    await api.members.changeRole({ orgId: org.id, membershipId: member.membershipId, role: "admin" });
    expect(await adminCount(org.id)).toBe(2);
    await api.members.remove({ orgId: org.id, membershipId: member.membershipId });
    expect(await db().membership.findUnique({ where: { id: member.membershipId } })).toBeNull();

    const events = await db().auditEvent.findMany({
      where: { orgId: org.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    expect(events.map((e) => [e.action, e.targetId, e.actorId, e.viaStaff, e.ip, e.userAgent])).toEqual([
      ["member.role_change", member.membershipId, admins[0]!.user.id, false, "192.0.2.44", "members-test"],
      ["member.remove", member.membershipId, admins[0]!.user.id, false, "192.0.2.44", "members-test"],
    ]);
    expect(events[0]!.before).toEqual({ email: member.user.email, role: "member" });
    expect(events[0]!.after).toEqual({ email: member.user.email, role: "admin" });
    expect(events[1]!.before).toMatchObject({
      email: member.user.email,
      role: "admin",
      userId: member.user.id,
    });
  });

  it("staff acting on an org are audited via staff, unless they are members of it", async () => {
    const { org } = await orgWithAdmins(1);
    const [sre, sreMember] = await Promise.all([
      createUser({ staffRole: "sre" }),
      createUser({ staffRole: "sre" }),
    ]);
    await addMember(org.id, sreMember.id, "member");
    const m1 = await createMember(org.id, "member");
    const m2 = await createMember(org.id, "member");

    await (
      await callerFor(sre)
    ).members.changeRole({ orgId: org.id, membershipId: m1.membershipId, role: "admin" });
    await (
      await callerFor(sreMember)
    ).members.changeRole({ orgId: org.id, membershipId: m2.membershipId, role: "admin" });

    const byActor = await db().auditEvent.findMany({
      where: { orgId: org.id, action: "member.role_change" },
      select: { actorId: true, viaStaff: true, actorStaffRole: true },
    });
    expect(byActor).toEqual(
      expect.arrayContaining([
        { actorId: sre.id, viaStaff: true, actorStaffRole: "sre" },
        { actorId: sreMember.id, viaStaff: false, actorStaffRole: "sre" },
      ]),
    );
    expect(byActor).toHaveLength(2);
  });
});

describe("a change and its audit event share one transaction", () => {
  // A trigger that refuses audit events for one org stands in for any failure of the audit write: the change it
  // records must then be rolled back too.
  let org: TestOrg;
  let admin: { user: TestUser; membershipId: string };
  const trigger = `cp_test_refuse_audit_${Date.now()}`;

  beforeAll(async () => {
    const made = await orgWithAdmins(1);
    org = made.org;
    admin = made.admins[0]!;
    await db().$executeRawUnsafe(
      `CREATE OR REPLACE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE EXCEPTION 'audit refused by test'; END $fn$`,
    );
    await db().$executeRawUnsafe(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON "AuditEvent" FOR EACH ROW WHEN (NEW."orgId" = '${org.id}') EXECUTE FUNCTION ${trigger}()`,
    );
  });

  afterAll(async () => {
    await db().$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${trigger} ON "AuditEvent"`);
    await db().$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${trigger}()`);
  });

  it("a role change whose audit event fails is not applied", async () => {
    const member = await createMember(org.id, "member");
    const api = await callerFor(admin.user);
    const r = await settle(
      api.members.changeRole({ orgId: org.id, membershipId: member.membershipId, role: "admin" }),
    );
    expect(r.outcome).toBe("INTERNAL_SERVER_ERROR");
    expect((await db().membership.findUniqueOrThrow({ where: { id: member.membershipId } })).role).toBe(
      "member",
    );
  });

  it("a removal whose audit event fails is not applied", async () => {
    const member = await createMember(org.id, "member");
    const api = await callerFor(admin.user);
    expect(
      (await settle(api.members.remove({ orgId: org.id, membershipId: member.membershipId }))).outcome,
    ).toBe("INTERNAL_SERVER_ERROR");
    expect(await db().membership.findUnique({ where: { id: member.membershipId } })).not.toBeNull();
  });

  it("an invitation whose audit event fails is not created, and no e-mail is queued", async () => {
    const api = await callerFor(admin.user);
    const before = await db().outboxMessage.count({ where: { orgId: org.id } });
    expect(
      (await settle(api.invitations.create({ orgId: org.id, email: "refused@example.com", role: "member" })))
        .outcome,
    ).toBe("INTERNAL_SERVER_ERROR");
    expect(await db().invitation.count({ where: { orgId: org.id } })).toBe(0);
    expect(await db().outboxMessage.count({ where: { orgId: org.id } })).toBe(before);
  });
});
