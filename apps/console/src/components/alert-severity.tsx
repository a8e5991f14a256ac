// How alert severities look everywhere: a badge, and the tint of a row coloured by its worst open alert.
export const RANK_SEVERITIES = ["none", "info", "warning", "critical"] as const;
export type RankSeverity = (typeof RANK_SEVERITIES)[number];

export const SEVERITY_LABELS: Record<RankSeverity, string> = {
  none: "No open alerts",
  info: "Info",
  warning: "Warning",
  critical: "Critical",
};

const BADGE_CLASS: Record<RankSeverity, string> = { none: "ok", info: "", warning: "warn", critical: "bad" };

/** Row tints: light enough to read text on, distinct enough to scan a long table. */
const ROW_TINT: Record<RankSeverity, string | undefined> = {
  none: undefined,
  info: "#eff8ff",
  warning: "#fffaeb",
  critical: "#fef3f2",
};

export function severityOfRank(rank: number): RankSeverity {
  return RANK_SEVERITIES[rank] ?? "none";
}

export function SeverityBadge({ severity, label }: { severity: RankSeverity; label?: string }) {
  return (
    <span className={`badge ${BADGE_CLASS[severity]}`} data-severity={severity}>
      {label ?? SEVERITY_LABELS[severity]}
    </span>
  );
}

export function rowTint(rank: number): React.CSSProperties | undefined {
  const tint = ROW_TINT[severityOfRank(rank)];
  return tint ? { background: tint } : undefined;
}
