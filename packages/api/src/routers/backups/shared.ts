import { z } from "zod";

export const ZBackup = z.object({
  id: z.string(),
  instanceId: z.string(),
  kind: z.enum(["scheduled", "manual", "pre_restore", "pre_upgrade"]),
  status: z.enum(["queued", "running", "completed", "failed"]),
  verification: z.enum(["pending", "running", "verified", "failed", "error"]),
  verifyProblems: z.array(z.string()),
  verifiedTables: z.number().int().nullable(),
  verifiedRows: z.number().nullable(),
  sizeBytes: z.number().nullable(),
  durationMs: z.number().int().nullable(),
  tableCount: z.number().int().nullable(),
  rowCount: z.number().nullable(),
  sha256Prefix: z.string().nullable(),
  error: z.string().nullable(),
  scheduledFor: z.date().nullable(),
  startedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
  verifiedAt: z.date().nullable(),
  expiresAt: z.date().nullable(),
  operationId: z.string().nullable(),
  createdAt: z.date(),
});

export const ZPolicy = z.object({
  startTime: z.string(),
  intervalHours: z.number().int(),
  retentionDays: z.number().int(),
});
