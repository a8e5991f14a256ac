import { ZCloud, ZId, ZInstanceStatus, ZPage } from "@cp/core";
import { listFleet } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZInstanceRow } from "../shared";

export const ZFleetInput = ZPage.extend({
  q: z.string().max(100, "must be at most 100 characters").nullish(),
  status: ZInstanceStatus.nullish(),
  cloud: ZCloud.nullish(),
  orgId: ZId.nullish(),
});

export const list = staffProcedure("staff")
  .input(ZFleetInput)
  .output(
    z.object({
      items: z.array(ZInstanceRow.extend({ orgName: z.string(), orgSlug: z.string() })),
      total: z.number().int(),
      nextCursor: z.string().nullable(),
    }),
  )
  .query(({ input }) => {
    const { limit, cursor, ...filter } = input;
    return listFleet(filter, { limit, cursor });
  });
