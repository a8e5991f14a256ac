// Staff roles: staff admins grant and take them (audited); the provider never loses its last active staff admin.
import { db } from "@cp/db";
import { describe, expect, it } from "vitest";
import { callerFor, createUser, settle, type TestUser } from "../../testing/fixtures";

/** Runs `fn` while `keep` is the only active staff admin (the run's database is shared by the files, one at a time). */
async function asOnlyActiveStaffAdmin(keep: TestUser, fn: () => Promise<void>) {
  const others = await db().user.findMany({
    where: { staffRole: "admin", disabledAt: null, id: { not: keep.id } },
    select: { id: true },
  });
  const ids = others.map((u) => u.id);
  await db().user.updateMany({ where: { id: { in: ids } }, data: { disabledAt: new Date() } });
  try {
    await fn();
  } finally {
    await db().user.updateMany({ where: { id: { in: ids } }, data: { disabledAt: null } });
  }
}

describe("staff roles", () => {
  it("a staff admin grants and takes a staff role; each change is audited with before and after", async () => {
    const [admin, person] = await Promise.all([createUser({ staffRole: "admin" }), createUser()]);
    const api = await callerFor(admin);
    expect(await api.staff.setStaffRole({ userId: person.id, staffRole: "sre" })).toEqual({
      id: person.id,
      email: person.email,
      staffRole: "sre",
    });
    await api.staff.setStaffRole({ userId: person.id, staffRole: "none" });
    const events = await db().auditEvent.findMany({
      where: { action: "user.staff_role_change", targetId: person.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    expect(events.map((e) => [e.actorId, e.before, e.after])).toEqual([
      [admin.id, { email: person.email, staffRole: "none" }, { email: person.email, staffRole: "sre" }],
      [admin.id, { email: person.email, staffRole: "sre" }, { email: person.email, staffRole: "none" }],
    ]);
    const listed = await api.staff.listUsers({ search: person.email.toUpperCase() });
    expect(listed.map((u) => [u.id, u.staffRole])).toEqual([[person.id, "none"]]);
  });

  it("an unknown user is NOT_FOUND", async () => {
    const admin = await createUser({ staffRole: "admin" });
    expect(
      (
        await settle(
          (await callerFor(admin)).staff.setStaffRole({ userId: "no-such-user", staffRole: "sre" }),
        )
      ).outcome,
    ).toBe("NOT_FOUND");
  });

  it("the last active staff admin cannot step down; a disabled staff admin can still be demoted", async () => {
    const [last, disabledAdmin] = await Promise.all([
      createUser({ staffRole: "admin" }),
      createUser({ staffRole: "admin", disabled: true }),
    ]);
    await asOnlyActiveStaffAdmin(last, async () => {
      const api = await callerFor(last);
      const r = await settle(api.staff.setStaffRole({ userId: last.id, staffRole: "sre" }));
      expect(r.outcome).toBe("PRECONDITION_FAILED");
      expect(r.error?.message).toMatch(/^staffRole: /);
      expect((await db().user.findUniqueOrThrow({ where: { id: last.id } })).staffRole).toBe("admin");

      // Demoting a disabled admin leaves the active one in place, so it is allowed.
      expect(
        (await settle(api.staff.setStaffRole({ userId: disabledAdmin.id, staffRole: "none" }))).outcome,
      ).toBe("ok");
      expect((await db().user.findUniqueOrThrow({ where: { id: disabledAdmin.id } })).staffRole).toBe("none");
    });
  });
});
