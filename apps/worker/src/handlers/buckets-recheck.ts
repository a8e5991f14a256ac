import { recheckDueBuckets } from "@cp/services";
import type { Handler } from "../registry";

/** Re-checks the customer-owned buckets that are due with the ordering flow's checks. */
export const handleBucketsRecheck: Handler<"bucketsRecheck"> = async (_payload, { log }) => {
  const summary = await recheckDueBuckets();
  if (summary.checked || summary.errors) log.info(summary, "buckets re-checked");
  return summary;
};
