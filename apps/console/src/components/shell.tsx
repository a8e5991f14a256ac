"use client";

import type { inferRouterOutputs, AppRouter } from "@cp/api";
import { STAFF_ROLE_LABELS, ORG_ROLE_LABELS } from "@cp/core";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { SignOutButton } from "./sign-out-button";

type Out = inferRouterOutputs<AppRouter>;

export function Shell({
  me,
  orgs,
  children,
}: {
  me: Out["me"]["get"];
  orgs: Out["orgs"]["list"];
  children: React.ReactNode;
}) {
  const pathname = usePathname();
  const router = useRouter();
  const match = /^\/orgs\/([^/]+)/.exec(pathname);
  const currentOrgId = match?.[1] ?? null;
  const currentOrg = orgs.find((o) => o.id === currentOrgId) ?? null;
  const isStaff = me.staffRole !== "none";
  const isOrgAdmin = currentOrg?.role === "admin" || isStaff;
  const isSre = me.staffRole === "sre" || me.staffRole === "admin";
  const link = (href: string, label: string) => (
    <Link href={href} aria-current={pathname === href ? "page" : undefined}>
      {label}
    </Link>
  );

  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">Control Plane</div>
        <div>
          <label htmlFor="org-switcher">Organization</label>
          <select
            id="org-switcher"
            value={currentOrgId ?? ""}
            onChange={(e) => e.target.value && router.push(`/orgs/${e.target.value}`)}
          >
            <option value="">{isStaff ? "All organizations" : "Choose…"}</option>
            {orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        <nav aria-label="Main">
          {currentOrg && (
            <>
              <h2>{currentOrg.name}</h2>
              {link(`/orgs/${currentOrg.id}`, "Instances")}
              {link(`/orgs/${currentOrg.id}/members`, "Members")}
              {link(`/orgs/${currentOrg.id}/support`, "Support")}
              {currentOrg.plan !== "saas" && link(`/orgs/${currentOrg.id}/deployments`, "Deployments")}
              {isOrgAdmin && link(`/orgs/${currentOrg.id}/audit`, "Audit log")}
              {(currentOrg.role === "admin" || isSre) && link(`/orgs/${currentOrg.id}/webhooks`, "Webhooks")}
            </>
          )}
          {isStaff && (
            <>
              <h2>Staff</h2>
              {link("/fleet", "Fleet")}
              {link("/fleet/health", "Fleet health")}
              {link("/fleet/alerts", "Fleet alerts")}
              {link("/fleet/campaigns", "Upgrade campaigns")}
              {link("/fleet/usage", "Fleet usage")}
              {link("/staff/releases", "Releases")}
              {link("/staff/support", "Support queue")}
              {link("/staff/alert-rules", "Alert rules")}
              {link("/staff/orgs", "Organizations")}
              {link("/staff/deployments", "Deployments")}
              {link("/staff/users", "Users")}
              {isSre && link("/staff/webhooks", "Webhooks (fleet)")}
              {link("/audit", "Audit log (all)")}
            </>
          )}
          <h2>Help</h2>
          {link("/responsibility", "Shared responsibility")}
          {link(
            "/notifications",
            me.unreadNotifications ? `Notifications (${me.unreadNotifications})` : "Notifications",
          )}
        </nav>
        <div className="who">
          <div data-testid="signed-in-as">{me.email}</div>
          <div>
            {isStaff
              ? STAFF_ROLE_LABELS[me.staffRole]
              : currentOrg?.role
                ? ORG_ROLE_LABELS[currentOrg.role]
                : "Customer"}
          </div>
          <div style={{ marginTop: "0.5rem" }}>
            <SignOutButton />
          </div>
        </div>
      </aside>
      <main>{children}</main>
    </div>
  );
}
