import { deliverOutboxMessage } from "@cp/services";
import type { Handler } from "../registry";

// A "retry" result needs nothing here: the message is pending with a later nextAttemptAt and the sweep re-enqueues it
// when it is due, so retries survive a Redis restart.
export const handleOutboxDeliver: Handler<"outboxDeliver"> = async ({ messageId }, { deps, log }) => {
  const result = await deliverOutboxMessage(messageId, deps.mail);
  log.info({ messageId, result }, "outbox delivery");
  return { result };
};
