import { businessHoursSchema, SUPPORT_SEVERITIES } from "@cp/core";
import { listSupportPlans } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";

/** The configured support plans with their targets and hours, for display. */
export const plans = authedProcedure
  .output(
    z.array(
      z.object({
        key: z.string(),
        name: z.string(),
        businessHours: businessHoursSchema.nullable(),
        allHoursSeverities: z.array(z.enum(SUPPORT_SEVERITIES)),
        nearBreachPercent: z.number(),
        targets: z.array(
          z.object({
            severity: z.enum(SUPPORT_SEVERITIES),
            firstResponseMinutes: z.number().int(),
            resolutionMinutes: z.number().int(),
          }),
        ),
      }),
    ),
  )
  .query(() => listSupportPlans());
