import { ZId } from "@cp/core";
import { migrationStatus as loadMigrationStatus } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

const ZMigrationStatus = z.object({
  refusal: z.string().nullable(),
  operation: z
    .object({
      id: z.string(),
      status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
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
      finishedAt: z.date().nullable(),
      deploymentName: z.string().nullable(),
    })
    .nullable(),
  export: z
    .object({
      location: z.string().nullable(),
      expiresAt: z.string(),
      files: z.array(
        z.object({ name: z.string(), url: z.string().nullable(), expiresAt: z.string(), bytes: z.number() }),
      ),
    })
    .nullable(),
  deploymentId: z.string().nullable(),
});

/** The instance's migration to customer-managed: progress, and the export links (org admins and staff only). */
export const migrationStatus = orgProcedure("read")
  .input(z.object({ instanceId: ZId }))
  .output(ZMigrationStatus)
  .query(({ ctx, input }) => loadMigrationStatus(ctx.actor, input.orgId, input.instanceId));
