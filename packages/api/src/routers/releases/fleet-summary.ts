import { fleetReleaseSummary } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZSupportState } from "./shared";

/** Staff: instances (not deleted) by support state and by version; pastEndOfSupport for the fleet view. */
export const fleetSummary = staffProcedure("staff")
  .output(
    z.object({
      total: z.number().int(),
      bySupport: z.object({ supported: z.number().int(), ending: z.number().int(), ended: z.number().int() }),
      pastEndOfSupport: z.number().int(),
      byVersion: z.array(
        z.object({
          version: z.string(),
          count: z.number().int(),
          supportState: ZSupportState,
          endOfSupportAt: z.date().nullable(),
          inCatalog: z.boolean(),
          withdrawn: z.boolean(),
        }),
      ),
      unknownVersion: z.number().int(),
    }),
  )
  .query(({ ctx }) => fleetReleaseSummary(ctx.actor));
