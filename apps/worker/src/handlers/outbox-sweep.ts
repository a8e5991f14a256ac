import { sweepOutbox } from "@cp/services";
import type { Handler } from "../registry";

export const handleOutboxSweep: Handler<"outboxSweep"> = async (_payload, { log }) => {
  const enqueued = await sweepOutbox();
  if (enqueued > 0) log.info({ enqueued }, "outbox sweep enqueued due messages");
  return { enqueued };
};
