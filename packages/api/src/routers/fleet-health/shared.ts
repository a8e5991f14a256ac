import { HEALTH_STATUSES, ZCloud, ZId } from "@cp/core";
import { ALERT_RANK_SEVERITIES } from "@cp/services";
import { z } from "zod";

export const ZFleetHealthFilter = z.object({
  q: z.string().trim().max(100, "must be at most 100 characters").nullish(),
  cloud: ZCloud.nullish(),
  region: z.string().trim().max(64, "must be at most 64 characters").nullish(),
  version: z.string().trim().max(64, "must be at most 64 characters").nullish(),
  orgId: ZId.nullish(),
  severity: z.enum(ALERT_RANK_SEVERITIES).nullish(),
  health: z.enum(HEALTH_STATUSES).nullish(),
});
