import { cloudAvailability } from "@cp/services";
import { z } from "zod";
import { authedProcedure } from "../../trpc";

/** Which clouds the order wizard can offer here, and why not. */
export const clouds = authedProcedure
  .output(
    z.array(
      z.object({
        cloud: z.enum(["aws", "gcp", "azure", "local"]),
        label: z.string(),
        available: z.boolean(),
        comingSoon: z.boolean(),
        reason: z.string().nullable(),
      }),
    ),
  )
  .query(() => cloudAvailability());
