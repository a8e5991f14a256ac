"use client";

import {
  SUPPORT_SEVERITY_LABELS,
  type SlaState,
  type SupportRequestStatus,
  type SupportSeverity,
} from "@cp/core";
import { useQuery } from "@tanstack/react-query";
import type { CSSProperties } from "react";
import { useTRPC } from "~/trpc/react";

export const SUPPORT_STATUS_LABELS: Record<SupportRequestStatus, string> = {
  open: "Open",
  waiting_on_customer: "Waiting on customer",
  resolved: "Resolved",
};

const SLA_LABELS: Record<SlaState, string> = {
  ok: "on track",
  near: "near breach",
  breached: "breached",
  met: "met",
};
const SLA_CLASS: Record<SlaState, string> = { ok: "", near: "warn", breached: "bad", met: "ok" };

/** An SLA state as a badge: "near breach" (warn) and "breached" (bad) stand out. */
export function SlaBadge({ state }: { state: SlaState }) {
  return (
    <span className={`badge ${SLA_CLASS[state]}`} data-sla={state}>
      {SLA_LABELS[state]}
    </span>
  );
}

/** Rows of a request list near breach are highlighted; breached ones too, more strongly. */
export function slaRowStyle(state: SlaState): CSSProperties | undefined {
  if (state === "near") return { background: "rgba(245, 158, 11, 0.15)" };
  if (state === "breached") return { background: "rgba(220, 38, 38, 0.1)" };
  return undefined;
}

export function SeverityText({ severity }: { severity: SupportSeverity }) {
  return <span title={SUPPORT_SEVERITY_LABELS[severity]}>{severity}</span>;
}

export function StatusBadge({ status }: { status: SupportRequestStatus }) {
  const cls = status === "resolved" ? "ok" : status === "waiting_on_customer" ? "warn" : "";
  return <span className={`badge ${cls}`}>{SUPPORT_STATUS_LABELS[status]}</span>;
}

/** Business minutes as "2 h 5 min"; the clocks count business time when the plan has business hours. */
export function formatMinutes(minutes: number): string {
  const m = Math.abs(minutes);
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (h === 0) return `${rest} min`;
  return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
}

/** The org's support plan and its primary and secondary support. */
export function SupportTeam({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const a = useQuery(trpc.support.assignments.queryOptions({ orgId }));
  if (!a.data) return null;
  const who = (p: { email: string; name: string | null } | null) =>
    p ? (p.name ? `${p.name} (${p.email})` : p.email) : "not assigned";
  return (
    <dl
      aria-label="Your support team"
      className="muted"
      style={{ display: "flex", gap: "1.5rem", flexWrap: "wrap" }}
    >
      <div>
        <dt>Support plan</dt>
        <dd data-testid="support-plan">{a.data.plan.name}</dd>
      </div>
      <div>
        <dt>Primary support</dt>
        <dd data-testid="support-primary">{who(a.data.primary)}</dd>
      </div>
      <div>
        <dt>Secondary support</dt>
        <dd data-testid="support-secondary">{who(a.data.secondary)}</dd>
      </div>
    </dl>
  );
}
