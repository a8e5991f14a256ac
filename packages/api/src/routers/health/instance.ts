import {
  ALERT_COMPARISONS,
  ALERT_SEVERITIES,
  HEALTH_STATUSES,
  METRIC_NAMES,
  METRIC_RANGE_IDS,
  ZId,
  ZInstanceStatus,
  type MetricRange,
} from "@cp/core";
import { getInstanceHealth } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

const ZRange = z.enum(METRIC_RANGE_IDS as [MetricRange, ...MetricRange[]], {
  error: `must be one of ${METRIC_RANGE_IDS.join(", ")}`,
});

/** The tenant health page: current status, metric series with thresholds, alert periods and monthly uptime. */
export const instance = orgProcedure("read")
  .input(z.object({ instanceId: ZId, range: ZRange.default("24h") }))
  .output(
    z.object({
      status: z.object({
        status: ZInstanceStatus,
        healthStatus: z.enum(HEALTH_STATUSES),
        checkedAt: z.date().nullable(),
        lastPolledAt: z.date().nullable(),
        lastError: z.string().nullable(),
        consecutiveFailures: z.number().int(),
        alertRank: z.number().int(),
        openAlerts: z.number().int(),
      }),
      range: ZRange,
      from: z.date(),
      to: z.date(),
      metrics: z.array(
        z.object({
          metric: z.enum(METRIC_NAMES),
          label: z.string(),
          unit: z.enum(["bool", "percent", "ms", "per_second", "bytes"]),
          description: z.string(),
          points: z.array(
            z.object({
              t: z.number(),
              v: z.number(),
              min: z.number().optional(),
              max: z.number().optional(),
            }),
          ),
          thresholds: z.array(
            z.object({
              ruleId: z.string(),
              ruleKey: z.string(),
              ruleName: z.string(),
              severity: z.enum(ALERT_SEVERITIES),
              comparison: z.enum(ALERT_COMPARISONS),
              overridden: z.boolean(),
              threshold: z.number(),
              resolveThreshold: z.number(),
            }),
          ),
        }),
      ),
      alertPeriods: z.array(
        z.object({
          alertId: z.string(),
          ruleKey: z.string(),
          metric: z.string(),
          severity: z.enum(ALERT_SEVERITIES),
          start: z.date(),
          end: z.date().nullable(),
        }),
      ),
      uptime: z.array(
        z.object({ month: z.string(), uptimePercent: z.number().nullable(), samples: z.number().int() }),
      ),
    }),
  )
  .query(({ input }) => getInstanceHealth(input.orgId, input.instanceId, input.range));
