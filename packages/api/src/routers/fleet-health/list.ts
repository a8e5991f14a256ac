import { HEALTH_STATUSES, ZCloud, ZInstanceStatus } from "@cp/core";
import { FLEET_HEALTH_SORTS, fleetHealthList } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZFleetHealthFilter } from "./shared";

/** Live instances, worst open alert first (then slug), filtered and paginated on the server. */
export const list = staffProcedure("staff")
  .input(
    ZFleetHealthFilter.extend({
      sort: z.enum(FLEET_HEALTH_SORTS).default("worst"),
      page: z.number().int("must be a whole number").min(1, "must be 1 or more").max(10_000).default(1),
      pageSize: z
        .number()
        .int("must be a whole number")
        .min(1, "must be 1 or more")
        .max(100, "must be at most 100")
        .default(25),
    }),
  )
  .output(
    z.object({
      items: z.array(
        z.object({
          id: z.string(),
          orgId: z.string(),
          orgName: z.string(),
          name: z.string(),
          slug: z.string(),
          cloud: ZCloud,
          region: z.string(),
          version: z.string().nullable(),
          status: ZInstanceStatus,
          healthStatus: z.enum(HEALTH_STATUSES),
          healthCheckedAt: z.date().nullable(),
          alertRank: z.number().int(),
          openAlerts: z.number().int(),
          topAlertRule: z.string().nullable(),
          topAlertSince: z.date().nullable(),
        }),
      ),
      total: z.number().int(),
      page: z.number().int(),
      pageSize: z.number().int(),
      pages: z.number().int(),
    }),
  )
  .query(({ input }) => {
    const { sort, page, pageSize, ...filter } = input;
    return fleetHealthList(filter, { sort, page, pageSize });
  });
