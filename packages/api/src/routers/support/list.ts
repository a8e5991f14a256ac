import { ZPage } from "@cp/core";
import { listSupportRequests } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZSupportRequestRow, ZSupportStatus } from "./shared";

/** The org's requests, newest first, a keyset page at a time, each with its SLA clocks. */
export const list = orgProcedure("read")
  .input(ZPage.extend({ status: ZSupportStatus.nullish() }))
  .output(z.object({ items: z.array(ZSupportRequestRow), nextCursor: z.string().nullable() }))
  .query(({ ctx, input }) => listSupportRequests(ctx.service, input));
