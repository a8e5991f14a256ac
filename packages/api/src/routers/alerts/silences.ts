import { ZId } from "@cp/core";
import { listSilences } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZSilence } from "./shared";

/** Silences, newest first; with instanceId, those that apply to it (its own and fleet-wide ones). */
export const silences = staffProcedure("staff")
  .input(z.object({ instanceId: ZId.optional(), activeOnly: z.boolean().optional() }))
  .output(z.array(ZSilence))
  .query(({ input }) => listSilences(input));
