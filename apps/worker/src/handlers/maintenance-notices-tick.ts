import { runMaintenanceNoticesTick } from "@cp/services";
import type { Handler } from "../registry";

/** Sends the maintenance notices that are due; a notice row per window and lead time makes it safe to repeat. */
export const handleMaintenanceNoticesTick: Handler<"maintenanceNoticesTick"> = async (_payload, { log }) => {
  const result = await runMaintenanceNoticesTick();
  if (result.sent) log.info(result, "maintenance notices");
  return result;
};
