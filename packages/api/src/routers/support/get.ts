import { ZId } from "@cp/core";
import { getSupportRequest } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZSupportRequestRow } from "./shared";

const ZPerson = z.object({ email: z.string().nullable(), name: z.string().nullable() });

/** One request with its thread, oldest message first; customers and staff see the same thread. */
export const get = orgProcedure("read")
  .input(z.object({ requestId: ZId }))
  .output(
    ZSupportRequestRow.extend({
      openedBy: ZPerson,
      messages: z.array(
        z.object({
          id: z.string(),
          body: z.string(),
          fromStaff: z.boolean(),
          createdAt: z.date(),
          author: ZPerson,
        }),
      ),
    }),
  )
  .query(({ ctx, input }) => getSupportRequest(ctx.service, input));
