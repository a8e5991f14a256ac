import { describeHealth, INSTANCE_STATUS_LABELS, type HealthStatus, type InstanceStatus } from "@cp/core";

export function InstanceStatusBadges(props: {
  status: InstanceStatus;
  healthStatus: HealthStatus;
  healthCheckedAt: Date | null;
}) {
  const health = describeHealth(props);
  const statusClass = props.status === "running" ? "ok" : props.status === "failed" ? "bad" : "warn";
  const healthClass =
    props.healthStatus === "up"
      ? "ok"
      : props.healthStatus === "down"
        ? "bad"
        : props.healthStatus === "degraded"
          ? "warn"
          : "";
  return (
    <span style={{ display: "inline-flex", gap: "0.35rem", flexWrap: "wrap" }}>
      <span className={`badge ${statusClass}`}>{INSTANCE_STATUS_LABELS[props.status]}</span>
      <span
        className={`badge ${healthClass}`}
        title={
          props.healthCheckedAt ? `Last probe ${props.healthCheckedAt.toISOString()}` : "No probe has run yet"
        }
      >
        {health.label}
        {health.contradicts ? " (latest probe disagrees)" : ""}
      </span>
    </span>
  );
}
