import { describe, expect, it } from "vitest";
import { decideOrgAccess, decideStaffAccess, type Actor } from "./roles";

const actor = (staffRole: Actor["staffRole"], memberships: Actor["memberships"] = []): Actor => ({
  userId: "u",
  email: "u@example.com",
  staffRole,
  memberships,
});

describe("decideOrgAccess", () => {
  it("lets members read and only admins administer", () => {
    const member = actor("none", [{ orgId: "a", role: "member" }]);
    expect(decideOrgAccess(member, "a", "read")).toEqual({ ok: true, viaStaff: false });
    expect(decideOrgAccess(member, "a", "admin")).toEqual({ ok: false, reason: "forbidden" });
    expect(decideOrgAccess(member, "a", "adminRead")).toEqual({ ok: false, reason: "forbidden" });
    const admin = actor("none", [{ orgId: "a", role: "admin" }]);
    expect(decideOrgAccess(admin, "a", "admin")).toEqual({ ok: true, viaStaff: false });
  });

  it("answers not_found for another org, so its existence is not revealed", () => {
    expect(decideOrgAccess(actor("none", [{ orgId: "a", role: "admin" }]), "b", "read")).toEqual({
      ok: false,
      reason: "not_found",
    });
  });

  it("lets support read anything but change only support items", () => {
    const support = actor("support");
    expect(decideOrgAccess(support, "x", "read")).toEqual({ ok: true, viaStaff: true });
    expect(decideOrgAccess(support, "x", "support")).toEqual({ ok: true, viaStaff: true });
    expect(decideOrgAccess(support, "x", "admin")).toEqual({ ok: false, reason: "forbidden" });
  });

  it("lets SREs and staff admins act on any org as staff", () => {
    for (const role of ["sre", "admin"] as const) {
      expect(decideOrgAccess(actor(role), "x", "admin")).toEqual({ ok: true, viaStaff: true });
    }
  });
});

describe("decideStaffAccess", () => {
  it("orders staff rights", () => {
    expect(decideStaffAccess(actor("none"), "staff")).toBe(false);
    expect(decideStaffAccess(actor("support"), "staff")).toBe(true);
    expect(decideStaffAccess(actor("support"), "sre")).toBe(false);
    expect(decideStaffAccess(actor("sre"), "sre")).toBe(true);
    expect(decideStaffAccess(actor("sre"), "staffAdmin")).toBe(false);
    expect(decideStaffAccess(actor("admin"), "staffAdmin")).toBe(true);
  });
});
