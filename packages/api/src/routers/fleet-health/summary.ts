import { ZCloud } from "@cp/core";
import { fleetHealthSummary } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZFleetHealthFilter } from "./shared";

const ZSeverityCounts = z.object({
  info: z.number().int(),
  warning: z.number().int(),
  critical: z.number().int(),
});
const ZCount = { count: z.number().int(), worstRank: z.number().int() };

/** Live instances counted by worst open alert, cloud, region, version and org; open alerts by state and severity. */
export const summary = staffProcedure("staff")
  .input(ZFleetHealthFilter)
  .output(
    z.object({
      total: z.number().int(),
      bySeverity: z.object({
        none: z.number().int(),
        info: z.number().int(),
        warning: z.number().int(),
        critical: z.number().int(),
      }),
      byCloud: z.array(z.object({ cloud: ZCloud, ...ZCount })),
      byRegion: z.array(z.object({ cloud: ZCloud, region: z.string(), ...ZCount })),
      byVersion: z.array(z.object({ version: z.string().nullable(), ...ZCount })),
      byOrg: z.array(z.object({ orgId: z.string(), orgName: z.string(), ...ZCount })),
      alerts: z.object({ firing: ZSeverityCounts, acknowledged: ZSeverityCounts }),
    }),
  )
  .query(({ input }) => fleetHealthSummary(input));
