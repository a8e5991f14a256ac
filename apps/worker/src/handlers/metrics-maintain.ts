import { maintainMetrics } from "@cp/services";
import type { Handler } from "../registry";

/** Rollups, baselines and retention of metric samples; idempotent, so an overlapping or retried run is harmless. */
export const handleMetricsMaintain: Handler<"metricsMaintain"> = async (_payload, { log }) => {
  const summary = await maintainMetrics();
  log.info(summary, "metrics maintained");
  return summary;
};
