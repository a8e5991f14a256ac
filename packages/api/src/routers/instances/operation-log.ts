import { ZId } from "@cp/core";
import { getOperationLog } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

export const operationLog = orgProcedure("read")
  .input(
    z.object({
      instanceId: ZId,
      operationId: ZId,
      afterId: z.string().regex(/^\d+$/, "must be a log line id").nullish(),
    }),
  )
  .output(
    z.array(
      z.object({
        id: z.string(),
        at: z.date(),
        level: z.string(),
        step: z.string().nullable(),
        message: z.string(),
      }),
    ),
  )
  .query(({ input }) => getOperationLog(input.orgId, input.instanceId, input.operationId, input.afterId));
