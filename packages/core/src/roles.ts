// Who may do what (DESIGN.md, Security model). Pure: the API layer asks these questions with an Actor built
// from the database on every request.
export const STAFF_ROLES = ["none", "support", "sre", "admin"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const ORG_ROLES = ["admin", "member"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export interface Actor {
  userId: string;
  email: string;
  staffRole: StaffRole;
  memberships: ReadonlyArray<{ orgId: string; role: OrgRole }>;
}

/**
 * What an org-scoped action needs:
 * - read: see the org and its objects;
 * - support: change support items (requests, channels), which customers and all staff may;
 * - adminRead: see what only admins see (invitations, the audit log): customer admins and all staff;
 * - admin: change anything else (customer admins, SREs and staff admins).
 */
export type OrgNeed = "read" | "support" | "adminRead" | "admin";

/** Staff-wide actions. */
export type StaffNeed = "staff" | "sre" | "staffAdmin";

export type AccessDecision =
  { ok: true; viaStaff: boolean } | { ok: false; reason: "not_found" | "forbidden" };

const STAFF_ORG_NEEDS: Record<StaffRole, readonly OrgNeed[]> = {
  none: [],
  support: ["read", "support", "adminRead"],
  sre: ["read", "support", "adminRead", "admin"],
  admin: ["read", "support", "adminRead", "admin"],
};

export function isStaff(actor: Pick<Actor, "staffRole">): boolean {
  return actor.staffRole !== "none";
}

export function decideOrgAccess(actor: Actor, orgId: string, need: OrgNeed): AccessDecision {
  const membership = actor.memberships.find((m) => m.orgId === orgId);
  const adminOnly = need === "admin" || need === "adminRead";
  const memberMay = membership !== undefined && (!adminOnly || membership.role === "admin");
  if (memberMay) return { ok: true, viaStaff: false };
  if (STAFF_ORG_NEEDS[actor.staffRole].includes(need)) return { ok: true, viaStaff: true };
  // Someone with no tie to the org must not learn that it exists.
  if (membership === undefined && !isStaff(actor)) return { ok: false, reason: "not_found" };
  return { ok: false, reason: "forbidden" };
}

export function decideStaffAccess(actor: Pick<Actor, "staffRole">, need: StaffNeed): boolean {
  switch (need) {
    case "staff":
      return actor.staffRole !== "none";
    case "sre":
      return actor.staffRole === "sre" || actor.staffRole === "admin";
    case "staffAdmin":
      return actor.staffRole === "admin";
  }
}

/** Org ids whose objects the actor may read; `"all"` for staff. */
export function readableOrgs(actor: Actor): "all" | string[] {
  return isStaff(actor) ? "all" : actor.memberships.map((m) => m.orgId);
}

export const STAFF_ROLE_LABELS: Record<StaffRole, string> = {
  none: "Customer",
  support: "Support",
  sre: "SRE",
  admin: "Staff admin",
};
export const ORG_ROLE_LABELS: Record<OrgRole, string> = { admin: "Admin", member: "Member" };
