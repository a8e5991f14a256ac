import type { SupportState } from "@cp/core";

const SUPPORT_BADGES: Record<SupportState, { label: string; tone: string }> = {
  supported: { label: "Supported", tone: "ok" },
  ending: { label: "Support ending", tone: "warn" },
  ended: { label: "Support ended", tone: "bad" },
};

export function SupportStateBadge({ state }: { state: SupportState }) {
  const b = SUPPORT_BADGES[state];
  return (
    <span className={`badge ${b.tone}`} data-testid="support-state" data-state={state}>
      {b.label}
    </span>
  );
}

export type CampaignStatusName = "draft" | "running" | "paused" | "completed" | "aborted";

const CAMPAIGN_BADGES: Record<CampaignStatusName, { label: string; tone: string }> = {
  draft: { label: "Draft", tone: "" },
  running: { label: "Running", tone: "warn" },
  paused: { label: "Paused", tone: "bad" },
  completed: { label: "Completed", tone: "ok" },
  aborted: { label: "Aborted", tone: "bad" },
};

export function CampaignStatusBadge({ status }: { status: CampaignStatusName }) {
  const b = CAMPAIGN_BADGES[status];
  return (
    <span className={`badge ${b.tone}`} data-testid="campaign-status" data-status={status}>
      {b.label}
    </span>
  );
}

export type TargetStatusName =
  "pending" | "scheduled" | "upgrading" | "succeeded" | "failed" | "skipped" | "rolled_back";

const TARGET_BADGES: Record<TargetStatusName, { label: string; tone: string }> = {
  pending: { label: "Pending", tone: "" },
  scheduled: { label: "Scheduled", tone: "" },
  upgrading: { label: "Upgrading", tone: "warn" },
  succeeded: { label: "Succeeded", tone: "ok" },
  failed: { label: "Failed", tone: "bad" },
  skipped: { label: "Skipped", tone: "" },
  rolled_back: { label: "Rolled back", tone: "warn" },
};

export function TargetStatusBadge({ status }: { status: string }) {
  const b = TARGET_BADGES[status as TargetStatusName] ?? { label: status, tone: "" };
  return (
    <span className={`badge ${b.tone}`} data-testid="target-status" data-status={status}>
      {b.label}
    </span>
  );
}

/** A target's health-gate verdict as stored (`{ passed, reason, before, after }`), or null before the gate ran. */
export function gateVerdict(g: unknown): { passed: boolean; reason: string } | null {
  if (typeof g !== "object" || g === null || !("passed" in g)) return null;
  const { passed, reason } = g as { passed: unknown; reason?: unknown };
  return { passed: passed === true, reason: typeof reason === "string" ? reason : "" };
}

/**
 * Core's messages start with their field's name ("soakSeconds: must be…"); beside the field itself that is noise.
 * `field` may be a path ("gate.soakSeconds"): a message naming its last part or the whole path loses the prefix.
 */
export function withoutFieldName(field: string, message: string | null | undefined): string | undefined {
  if (!message) return undefined;
  const m = /^([\w.]+): (.*)$/s.exec(message);
  if (m && (m[1] === field || field.endsWith(`.${m[1]}`) || m[1]!.endsWith(`.${field}`))) return m[2];
  return message;
}

/** A moment in the viewer's own time zone, with the zone's short name so nobody has to guess. */
export function formatInViewerZone(d: Date | null | undefined): string {
  if (!d) return "—";
  return d.toLocaleString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
}

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
