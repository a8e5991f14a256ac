// Roles are read from the database on every request (createTrpcContext), so a change of role, a removal or a
// disabled account takes effect on the very next call, with no cache in between.
import { db } from "@cp/db";
import { beforeEach, describe, expect, it } from "vitest";
import { createTrpcContext } from "./trpc";
import {
  addMember,
  callerFor,
  createInvitation,
  createMember,
  createOrg,
  createUser,
  settle,
  unique,
  type TestOrg,
  type TestUser,
} from "./testing/fixtures";

describe("a change of access takes effect on the next request", () => {
  let org: TestOrg;
  let admin1: TestUser;
  let admin2: TestUser;
  let admin2Membership: string;

  beforeEach(async () => {
    org = await createOrg();
    [admin1, admin2] = await Promise.all([createUser(), createUser()]);
    await addMember(org.id, admin1.id, "admin");
    admin2Membership = (await addMember(org.id, admin2.id, "admin")).id;
  });

  it("an org admin demoted to member gets FORBIDDEN on the next admin call", async () => {
    const invite = (email: string) => ({ orgId: org.id, email, role: "member" as const });
    expect(
      (await settle((await callerFor(admin2)).invitations.create(invite(`${unique("x")}@example.com`))))
        .outcome,
    ).toBe("ok");

    await (
      await callerFor(admin1)
    ).members.changeRole({ orgId: org.id, membershipId: admin2Membership, role: "member" });

    const next = await settle(
      (await callerFor(admin2)).invitations.create(invite(`${unique("y")}@example.com`)),
    );
    expect(next.outcome).toBe("FORBIDDEN");
    // Still a member: reading is allowed.
    expect((await settle((await callerFor(admin2)).members.list({ orgId: org.id }))).outcome).toBe("ok");
  });

  it("a removed member gets NOT_FOUND for the org on the next call", async () => {
    expect((await settle((await callerFor(admin2)).orgs.get({ orgId: org.id }))).outcome).toBe("ok");
    await (await callerFor(admin1)).members.remove({ orgId: org.id, membershipId: admin2Membership });
    expect((await settle((await callerFor(admin2)).orgs.get({ orgId: org.id }))).outcome).toBe("NOT_FOUND");
    expect((await settle((await callerFor(admin2)).members.list({ orgId: org.id }))).outcome).toBe(
      "NOT_FOUND",
    );
    const orgs = await (await callerFor(admin2)).orgs.list({});
    expect(orgs.map((o) => o.id)).not.toContain(org.id);
  });

  it("a disabled user has no actor and gets UNAUTHORIZED", async () => {
    expect((await settle((await callerFor(admin2)).me.get())).outcome).toBe("ok");
    await db().user.update({ where: { id: admin2.id }, data: { disabledAt: new Date() } });
    const ctx = await createTrpcContext({ userId: admin2.id, ip: null, userAgent: null });
    expect(ctx.actor).toBeNull();
    expect((await settle((await callerFor(admin2)).me.get())).outcome).toBe("UNAUTHORIZED");
    expect((await settle((await callerFor(admin2)).orgs.get({ orgId: org.id }))).outcome).toBe(
      "UNAUTHORIZED",
    );
  });

  it("a user id that no longer exists is UNAUTHORIZED, not an error", async () => {
    const gone = await createUser();
    await db().user.delete({ where: { id: gone.id } });
    expect((await settle((await callerFor(gone)).me.get())).outcome).toBe("UNAUTHORIZED");
  });

  it("a staff member whose staff role is taken away loses staff access at once", async () => {
    const [staffAdmin, sre] = await Promise.all([
      createUser({ staffRole: "admin" }),
      createUser({ staffRole: "sre" }),
    ]);
    expect((await settle((await callerFor(sre)).fleet.list({}))).outcome).toBe("ok");
    await (await callerFor(staffAdmin)).staff.setStaffRole({ userId: sre.id, staffRole: "none" });
    expect((await settle((await callerFor(sre)).fleet.list({}))).outcome).toBe("FORBIDDEN");
    // No tie to the org any more: it does not exist for them.
    expect((await settle((await callerFor(sre)).orgs.get({ orgId: org.id }))).outcome).toBe("NOT_FOUND");
  });
});

describe("an org's objects are reached only through that org", () => {
  it("an admin of org A naming org A with org B's objects gets NOT_FOUND, and nothing changes", async () => {
    const [orgA, orgB] = await Promise.all([createOrg(), createOrg()]);
    const adminA = await createUser();
    await addMember(orgA.id, adminA.id, "admin");
    const memberB = await createMember(orgB.id, "member");
    const invB = await createInvitation({ orgId: orgB.id, email: `${unique("b")}@example.com` });
    const api = await callerFor(adminA);

    const results = await Promise.all([
      settle(api.members.changeRole({ orgId: orgA.id, membershipId: memberB.membershipId, role: "admin" })),
      settle(api.members.remove({ orgId: orgA.id, membershipId: memberB.membershipId })),
      settle(api.invitations.revoke({ orgId: orgA.id, invitationId: invB.id })),
    ]);
    expect(results.map((r) => r.outcome)).toEqual(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"]);

    expect(
      await db().membership.findUnique({ where: { id: memberB.membershipId }, select: { role: true } }),
    ).toEqual({ role: "member" });
    expect((await db().invitation.findUniqueOrThrow({ where: { id: invB.id } })).revokedAt).toBeNull();
    expect(await db().auditEvent.count({ where: { orgId: { in: [orgA.id, orgB.id] } } })).toBe(0);
  });

  it("a customer does not see another org in orgs.list, and an unknown org id is NOT_FOUND even for staff", async () => {
    const [orgA, orgB] = await Promise.all([createOrg(), createOrg()]);
    const adminA = await createUser();
    await addMember(orgA.id, adminA.id, "admin");
    const listed = (await (await callerFor(adminA)).orgs.list({})).map((o) => o.id);
    expect(listed).toContain(orgA.id);
    expect(listed).not.toContain(orgB.id);

    const sre = await createUser({ staffRole: "sre" });
    expect((await settle((await callerFor(sre)).orgs.get({ orgId: "no-such-org" }))).outcome).toBe(
      "NOT_FOUND",
    );
  });
});
