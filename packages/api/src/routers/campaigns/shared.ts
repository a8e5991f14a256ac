// Output schemas of the campaign procedures.
import { z } from "zod";

const ZCounts = z.object({
  pending: z.number().int(),
  scheduled: z.number().int(),
  upgrading: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  rolled_back: z.number().int(),
});

export const ZCampaignSummary = z.object({
  id: z.string(),
  name: z.string(),
  targetVersion: z.string(),
  status: z.enum(["draft", "running", "paused", "completed", "aborted"]),
  urgent: z.boolean(),
  urgentReason: z.string().nullable(),
  selector: z.unknown(),
  strategy: z.unknown(),
  gate: z.unknown(),
  currentWave: z.number().int(),
  waveStartedAt: z.date().nullable(),
  pausedReason: z.string().nullable(),
  createdById: z.string(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  counts: ZCounts,
  total: z.number().int(),
});

export const ZCampaignDetail = ZCampaignSummary.extend({
  waves: z.array(
    z.object({
      wave: z.number().int(),
      counts: ZCounts,
      plannedFrom: z.date().nullable(),
      plannedTo: z.date().nullable(),
    }),
  ),
  targets: z.array(
    z.object({
      id: z.string(),
      instanceId: z.string(),
      instanceName: z.string(),
      orgId: z.string(),
      orgName: z.string(),
      instanceStatus: z.string(),
      instanceVersion: z.string().nullable(),
      wave: z.number().int(),
      position: z.number().int(),
      status: z.string(),
      fromVersion: z.string().nullable(),
      plannedAt: z.date().nullable(),
      operationId: z.string().nullable(),
      gateResult: z.unknown(),
      error: z.string().nullable(),
      startedAt: z.date().nullable(),
      finishedAt: z.date().nullable(),
    }),
  ),
});

export const ZCampaignPreview = z.object({
  instances: z.number().int(),
  waves: z.array(
    z.object({
      wave: z.number().int(),
      startsAfter: z.date(),
      expectedEnd: z.date(),
      instances: z.array(
        z.object({ instanceId: z.string(), plannedAt: z.date(), windowEnd: z.date().nullable() }),
      ),
    }),
  ),
  skipped: z.array(z.object({ instanceId: z.string(), name: z.string(), reason: z.string() })),
  targets: z.array(
    z.object({
      instanceId: z.string(),
      name: z.string(),
      orgId: z.string(),
      orgName: z.string(),
      cloud: z.string(),
      region: z.string(),
      fromVersion: z.string(),
      hops: z.array(z.string()),
    }),
  ),
});

export const ZCampaignIdInput = z.object({ campaignId: z.string().min(1) });
