import { exportAuditCsv } from "@cp/services";
import { z } from "zod";
import { auditProcedure } from "./filter";

/** The filtered log as CSV text; the console turns it into a download. */
export const exportCsv = auditProcedure
  .output(z.object({ csv: z.string(), rows: z.number().int(), truncated: z.boolean() }))
  .query(({ ctx, input }) => exportAuditCsv(ctx.actor, input));
