import { ZId } from "@cp/core";
import { listAlertRules } from "@cp/services";
import { z } from "zod";
import { staffProcedure } from "../../trpc";
import { ZAlertRule } from "./shared";

/** The fleet's rules; with instanceId, that instance's overrides and the values in force on it. */
export const rules = staffProcedure("staff")
  .input(z.object({ instanceId: ZId.optional() }))
  .output(z.array(ZAlertRule))
  .query(({ input }) => listAlertRules(input.instanceId));
