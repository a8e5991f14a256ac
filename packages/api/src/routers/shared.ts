// Output schemas that several procedures return.
import { ZCloud, ZInstanceStatus, ZOrgRole, ZPlan, ZStaffRole } from "@cp/core";
import { z } from "zod";

export const ZOkOutput = z.object({ ok: z.literal(true) });
export const ZOrgSummary = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  plan: ZPlan,
  instanceQuota: z.number().int(),
  backupLimits: z.object({
    retentionMinDays: z.number().int(),
    retentionMaxDays: z.number().int(),
    minIntervalHours: z.number().int(),
  }),
  role: ZOrgRole.nullable(),
});
export const ZInstanceRow = z.object({
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  slug: z.string(),
  cloud: ZCloud,
  region: z.string(),
  size: z.string(),
  mysqlVersion: z.string(),
  storageMode: z.enum(["provider", "byob"]),
  status: ZInstanceStatus,
  statusReason: z.string().nullable(),
  version: z.string().nullable(),
  url: z.string().nullable(),
  healthStatus: z.enum(["unknown", "up", "degraded", "down"]),
  healthCheckedAt: z.date().nullable(),
  createdAt: z.date(),
});
export { ZStaffRole };
