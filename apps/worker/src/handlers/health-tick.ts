import { env } from "@cp/config";
import { pollDueInstances } from "@cp/services";
import type { Handler } from "../registry";

/** Polls batches of due instances until none are left or the tick's time is up (the next tick continues). */
export const handleHealthTick: Handler<"healthTick"> = async (_payload, { deps, log }) => {
  const cfg = env();
  const started = Date.now();
  const limit = Math.max(cfg.CP_HEALTH_POLL_CONCURRENCY * 8, 100);
  const total = { polled: 0, up: 0, down: 0, failed: 0, batches: 0 };
  for (;;) {
    const r = await pollDueInstances(deps.collectors, { limit });
    total.batches += 1;
    total.polled += r.polled;
    total.up += r.up;
    total.down += r.down;
    total.failed += r.failed;
    // A short batch means nothing more is due; a long tick leaves the rest to the next one.
    if (r.polled < limit || Date.now() - started > cfg.CP_HEALTH_TICK_MS) break;
  }
  if (total.down || total.failed) log.info(total, "health tick");
  else if (total.polled) log.debug(total, "health tick");
  return total;
};
