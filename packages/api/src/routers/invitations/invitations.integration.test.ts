// Invitations: the token in the e-mail is the credential; it works once, for the address it was sent to, until it
// expires or a newer invitation replaces it.
import { db } from "@cp/db";
import { signInWithPassword } from "@cp/services";
import { beforeAll, describe, expect, it } from "vitest";
import {
  callerFor,
  createInvitation,
  createMember,
  createOrg,
  createUser,
  invitationTokenFromEmail,
  PASSWORD,
  settle,
  unique,
  type TestOrg,
  type TestUser,
} from "../../testing/fixtures";

describe("invitations", () => {
  let org: TestOrg;
  let admin: TestUser;

  beforeAll(async () => {
    org = await createOrg();
    admin = (await createMember(org.id, "admin")).user;
  });

  it("accepting with the invited address creates the membership with the invited role, once", async () => {
    const invitee = await createUser();
    const invited = await (
      await callerFor(admin)
    ).invitations.create({ orgId: org.id, email: invitee.email.toUpperCase(), role: "admin" });
    expect(invited.email).toBe(invitee.email);
    const token = await invitationTokenFromEmail(invited.id);

    const preview = await (await callerFor(null)).invitations.preview({ token });
    expect(preview).toMatchObject({
      orgName: org.name,
      email: invitee.email,
      role: "admin",
      state: "pending",
      hasAccount: true,
    });

    const api = await callerFor(invitee);
    expect(await api.invitations.accept({ token })).toEqual({ orgId: org.id });
    expect(
      await db().membership.findUnique({
        where: { orgId_userId: { orgId: org.id, userId: invitee.id } },
        select: { role: true },
      }),
    ).toEqual({
      role: "admin",
    });
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { action: "invitation.accept", targetId: invited.id },
    });
    expect(audit).toMatchObject({ actorId: invitee.id, orgId: org.id, viaStaff: false });

    // The new admin's next request already has the role.
    expect((await settle((await callerFor(invitee)).invitations.list({ orgId: org.id }))).outcome).toBe("ok");
    const again = await settle((await callerFor(invitee)).invitations.accept({ token }));
    expect(again.outcome).toBe("PRECONDITION_FAILED");
    expect(again.error?.message).toMatch(/already been used/);
  });

  it("someone signed in with another address gets FORBIDDEN and the invitation stays usable", async () => {
    const intended = `${unique("intended")}@example.com`;
    const { id, token } = await createInvitation({ orgId: org.id, email: intended });
    const other = await createUser();
    const r = await settle((await callerFor(other)).invitations.accept({ token }));
    expect(r.outcome).toBe("FORBIDDEN");
    expect(r.error?.message).toContain(intended);
    expect(await db().membership.count({ where: { orgId: org.id, userId: other.id } })).toBe(0);
    expect((await db().invitation.findUniqueOrThrow({ where: { id } })).acceptedAt).toBeNull();
  });

  it("an expired or revoked invitation is PRECONDITION_FAILED and creates nothing; an unknown token is NOT_FOUND", async () => {
    const user = await createUser();
    const expired = await createInvitation({
      orgId: org.id,
      email: user.email,
      expiresAt: new Date(Date.now() - 1000),
    });
    const revoked = await createInvitation({ orgId: org.id, email: user.email, revokedAt: new Date() });
    const api = await callerFor(user);

    const e = await settle(api.invitations.accept({ token: expired.token }));
    expect(e.outcome).toBe("PRECONDITION_FAILED");
    expect(e.error?.message).toMatch(/expired/);
    const r = await settle(api.invitations.accept({ token: revoked.token }));
    expect(r.outcome).toBe("PRECONDITION_FAILED");
    expect(r.error?.message).toMatch(/revoked/);
    expect(await db().membership.count({ where: { orgId: org.id, userId: user.id } })).toBe(0);

    const anon = await callerFor(null);
    expect((await anon.invitations.preview({ token: expired.token })).state).toBe("expired");
    expect((await anon.invitations.preview({ token: revoked.token })).state).toBe("revoked");
    const newAccount = await settle(
      anon.invitations.acceptWithNewAccount({ token: expired.token, name: "Late", password: PASSWORD }),
    );
    expect(newAccount.outcome).toBe("PRECONDITION_FAILED");

    const unknown = "x".repeat(43);
    expect((await settle(api.invitations.accept({ token: unknown }))).outcome).toBe("NOT_FOUND");
    expect((await settle(anon.invitations.preview({ token: unknown }))).outcome).toBe("NOT_FOUND");
  });

  it("re-inviting an address revokes the pending invitation, so only the newest link works", async () => {
    const invitee = await createUser();
    const api = await callerFor(admin);
    const first = await api.invitations.create({ orgId: org.id, email: invitee.email, role: "member" });
    const second = await api.invitations.create({ orgId: org.id, email: invitee.email, role: "admin" });
    const [firstToken, secondToken] = await Promise.all([
      invitationTokenFromEmail(first.id),
      invitationTokenFromEmail(second.id),
    ]);

    const states = Object.fromEntries(
      (await api.invitations.list({ orgId: org.id })).map((i) => [i.id, i.state]),
    );
    expect(states[first.id]).toBe("revoked");
    expect(states[second.id]).toBe("pending");

    const inviteeApi = await callerFor(invitee);
    expect((await settle(inviteeApi.invitations.accept({ token: firstToken }))).outcome).toBe(
      "PRECONDITION_FAILED",
    );
    await inviteeApi.invitations.accept({ token: secondToken });
    expect(
      (
        await db().membership.findUniqueOrThrow({
          where: { orgId_userId: { orgId: org.id, userId: invitee.id } },
        })
      ).role,
    ).toBe("admin");
  });

  it("inviting someone who is already a member is CONFLICT naming `email`", async () => {
    const member = await createMember(org.id, "member");
    const r = await settle(
      (await callerFor(admin)).invitations.create({
        orgId: org.id,
        email: member.user.email,
        role: "member",
      }),
    );
    expect(r.outcome).toBe("CONFLICT");
    expect(r.error?.message).toMatch(/^email: /);
  });

  it("revoking twice is PRECONDITION_FAILED the second time", async () => {
    const inv = await createInvitation({ orgId: org.id, email: `${unique("rev")}@example.com` });
    const api = await callerFor(admin);
    expect(await api.invitations.revoke({ orgId: org.id, invitationId: inv.id })).toEqual({ ok: true });
    expect((await settle(api.invitations.revoke({ orgId: org.id, invitationId: inv.id }))).outcome).toBe(
      "PRECONDITION_FAILED",
    );
    expect(await db().auditEvent.count({ where: { action: "invitation.revoke", targetId: inv.id } })).toBe(1);
  });

  it("acceptWithNewAccount creates a local user who can then sign in with that password", async () => {
    const email = `${unique("fresh")}@example.com`;
    const { token } = await createInvitation({ orgId: org.id, email, role: "member" });
    const anon = await callerFor(null, { ip: "192.0.2.201" });
    expect(
      await anon.invitations.acceptWithNewAccount({ token, name: "Fresh Person", password: PASSWORD }),
    ).toEqual({ email, orgId: org.id });

    const signedIn = await signInWithPassword(
      { email, password: PASSWORD },
      { ip: "192.0.2.201", userAgent: "vitest" },
    );
    expect(signedIn).toMatchObject({ email, name: "Fresh Person" });
    const me = await (await callerFor(signedIn)).me.get();
    expect(me.orgs).toEqual([expect.objectContaining({ id: org.id, role: "member" })]);
    expect(me.needsInvitation).toBe(false);

    // A second invitation for an address that now has an account must be accepted by signing in.
    const { token: second } = await createInvitation({ orgId: (await createOrg()).id, email });
    expect(
      (
        await settle(
          anon.invitations.acceptWithNewAccount({ token: second, name: "Dup", password: PASSWORD }),
        )
      ).outcome,
    ).toBe("CONFLICT");
  });

  it("a staff admin creates an org whose first admin is invited by e-mail and can then run it", async () => {
    const staffAdmin = await createUser({ staffRole: "admin" });
    const slug = unique("acme");
    const firstAdminEmail = `${unique("boss")}@example.com`;
    const created = await (
      await callerFor(staffAdmin)
    ).orgs.create({ name: "Acme", slug, plan: "dedicated", firstAdminEmail });
    expect(created).toMatchObject({ name: "Acme", slug, plan: "dedicated", instanceQuota: 3 });

    const inv = await db().invitation.findFirstOrThrow({ where: { orgId: created.id } });
    expect(inv).toMatchObject({ email: firstAdminEmail, role: "admin", invitedById: staffAdmin.id });
    const token = await invitationTokenFromEmail(inv.id);
    await (
      await callerFor(null)
    ).invitations.acceptWithNewAccount({ token, name: "Boss", password: PASSWORD });

    const boss = await db().user.findUniqueOrThrow({ where: { email: firstAdminEmail } });
    const bossApi = await callerFor(boss);
    expect((await bossApi.members.list({ orgId: created.id })).map((m) => [m.email, m.role])).toEqual([
      [firstAdminEmail, "admin"],
    ]);
    expect(
      (
        await settle(
          bossApi.invitations.create({
            orgId: created.id,
            email: `${unique("hire")}@example.com`,
            role: "member",
          }),
        )
      ).outcome,
    ).toBe("ok");

    const actions = (
      await db().auditEvent.findMany({
        where: { orgId: created.id },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      })
    ).map((e) => [e.action, e.viaStaff]);
    expect(actions).toEqual([
      ["org.create", true],
      ["invitation.create", true],
      ["invitation.accept", false],
      ["invitation.create", false],
    ]);
  });
});
