// Output schemas the telemetry procedures share.
import { ALL_TELEMETRY_SERIES, type TelemetrySeriesKey } from "@cp/core";
import { z } from "zod";

export const ZSeriesKey = z.enum(ALL_TELEMETRY_SERIES as [TelemetrySeriesKey, ...TelemetrySeriesKey[]], {
  error: `must be one of ${ALL_TELEMETRY_SERIES.join(", ")}`,
});
export const ZSeriesValues = z.partialRecord(ZSeriesKey, z.number());
export const ZDays = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(400, "must be at most 400")
  .optional();
export const ZCounterPick = z
  .array(ZSeriesKey)
  .min(1, "pick at least one counter")
  .max(ALL_TELEMETRY_SERIES.length)
  .optional();
export const ZPlatform = z.enum(["aws", "gcp", "azure", "bare_metal"]);
