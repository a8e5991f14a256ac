import { processOperationWakeUp } from "@cp/services";
import type { Handler } from "../registry";

/** A wake-up: runs the queue of the operation's instance (ordered and leased in PostgreSQL). */
export const handleOperationRun: Handler<"operationRun"> = async ({ operationId }, { deps, log }) => {
  const ran = await processOperationWakeUp(operationId, { engines: deps.engines, workerId: deps.workerId });
  if (ran) log.info({ ran }, "operations finished");
  return { ran };
};
