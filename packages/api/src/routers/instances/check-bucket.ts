import { ZOrderInput } from "@cp/core";
import { runBucketCheck } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const ZCheckItem = z.object({
  id: z.string(),
  label: z.string(),
  status: z.enum(["passed", "failed", "unverifiable"]),
  message: z.string(),
  fixHint: z.string().nullable(),
  field: z.string(),
});

/** Runs the BYOB checks on demand (it writes and deletes a probe object, so it is a mutation). */
export const checkBucket = orgProcedure("admin")
  .input(z.object({ cloud: ZOrderInput.shape.cloud, storage: ZOrderInput.shape.storage }))
  .output(z.array(ZCheckItem))
  .mutation(({ ctx, input }) => runBucketCheck(ctx.service, input));
