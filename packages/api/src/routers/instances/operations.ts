import { ZId } from "@cp/core";
import { listOperations } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const ZOperation = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  progress: z.number().int(),
  currentStep: z.string().nullable(),
  steps: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      startedAt: z.string(),
      finishedAt: z.string().optional(),
    }),
  ),
  error: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  notBefore: z.date(),
  cancelRequestedAt: z.date().nullable(),
});

export const operations = orgProcedure("read")
  .input(z.object({ instanceId: ZId }))
  .output(z.array(ZOperation))
  .query(({ input }) => listOperations(input.orgId, input.instanceId));
