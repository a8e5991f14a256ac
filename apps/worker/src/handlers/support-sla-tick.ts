import { runSupportSlaTick } from "@cp/services";
import type { Handler } from "../registry";

/** Records SLA breaches and warns of near ones; conditional updates make it safe on any number of replicas. */
export const handleSupportSlaTick: Handler<"supportSlaTick"> = async (_payload, { log }) => {
  const result = await runSupportSlaTick();
  if (result.breaches || result.warnings) log.info(result, "support SLA tick");
  return result;
};
