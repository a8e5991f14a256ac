import { ZId, ZSubdomain } from "@cp/core";
import { cloneFromBackup } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/** A new instance in the same org, made from a backup. */
export const clone = orgProcedure("admin")
  .input(
    z.object({
      backupId: ZId,
      name: z
        .string()
        .trim()
        .min(3, "must be at least 3 characters")
        .max(60, "must be at most 60 characters"),
      subdomain: ZSubdomain,
    }),
  )
  .output(z.object({ instanceId: z.string(), slug: z.string(), operationId: z.string() }))
  .mutation(({ ctx, input }) => cloneFromBackup(ctx.service, input));
