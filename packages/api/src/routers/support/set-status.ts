import { ZId } from "@cp/core";
import { setSupportRequestStatus } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZSupportStatus } from "./shared";

/** Staff set any status; customers resolve or reopen their org's requests. */
export const setStatus = orgProcedure("support")
  .input(z.object({ requestId: ZId, status: ZSupportStatus }))
  .output(
    z.object({
      id: z.string(),
      status: ZSupportStatus,
      resolvedAt: z.date().nullable(),
      resolutionBreachedAt: z.date().nullable(),
    }),
  )
  .mutation(({ ctx, input }) => setSupportRequestStatus(ctx.service, input));
