import { ZId, ZVersion } from "@cp/core";
import { upgradeInstance as upgrade } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";

/** SREs and staff admins only: one instance to a release, outside any campaign, with the health gate. */
export const upgradeInstance = staffProcedure("sre")
  .input(
    z.object({
      orgId: ZId,
      instanceId: ZId,
      toVersion: ZVersion,
      gate: z
        .object({
          enabled: z.boolean().optional(),
          soakSeconds: z.number().int().min(0).max(86_400).optional(),
          minRequests: z.number().int().min(0).optional(),
        })
        .optional(),
    }),
  )
  .output(z.object({ operationId: z.string(), hops: z.array(z.string()) }))
  .mutation(({ ctx, input }) =>
    upgrade(ctx.service, input.orgId, input.instanceId, input.toVersion, { gate: input.gate }),
  );
