export const INSTANCE_STATUSES = [
  "pending",
  "provisioning",
  "running",
  "updating",
  "upgrading",
  "restoring",
  "failed",
  "stopped",
  "deleting",
  "deleted",
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const INSTANCE_STATUS_LABELS: Record<InstanceStatus, string> = {
  pending: "Pending",
  provisioning: "Provisioning",
  running: "Running",
  updating: "Updating",
  upgrading: "Upgrading",
  restoring: "Restoring",
  failed: "Failed",
  stopped: "Stopped",
  deleting: "Deleting",
  deleted: "Deleted",
};

export const HEALTH_STATUSES = ["unknown", "up", "degraded", "down"] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/**
 * What the console says about an instance: its lifecycle state and, separately, what the latest probe saw
 * (DESIGN.md, "The screen tells the truth"). A lifecycle state the probe contradicts is flagged, not hidden.
 */
export function describeHealth(input: {
  status: InstanceStatus;
  healthStatus: HealthStatus;
  healthCheckedAt: Date | null;
}): { label: string; contradicts: boolean } {
  if (!input.healthCheckedAt || input.healthStatus === "unknown") {
    return { label: "Not probed yet", contradicts: false };
  }
  const label = { up: "Healthy", degraded: "Degraded", down: "Down", unknown: "Unknown" }[input.healthStatus];
  const contradicts =
    (input.status === "running" && input.healthStatus === "down") ||
    (input.status === "failed" && input.healthStatus === "up");
  return { label, contradicts };
}
