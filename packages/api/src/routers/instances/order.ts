import { ZOrderInput } from "@cp/core";
import { orderInstance } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const order = orgProcedure("admin")
  .input(
    z.object({
      order: ZOrderInput,
      idempotencyKey: z.string().min(8, "must be at least 8 characters").max(100),
      acceptWarnings: z.boolean().optional(),
    }),
  )
  .output(z.object({ instanceId: z.string(), slug: z.string(), duplicate: z.boolean() }))
  .mutation(({ ctx, input }) => orderInstance(ctx.service, input));
