import { ensureDefaultAlertRules, evaluateAlerts } from "@cp/services";
import type { Handler } from "../registry";

// The default rules are inserted once per process (a no-op once they exist), so a fresh database alerts without
// a seed step.
let defaultsEnsured: Promise<void> | undefined;

/** One evaluation cycle of the threshold rules over the fleet; safe on any replica (one cycle at a time runs). */
export const handleAlertsEvaluate: Handler<"alertsEvaluate"> = async (_payload, { log }) => {
  defaultsEnsured ??= ensureDefaultAlertRules().then(
    (inserted) => {
      if (inserted) log.info({ inserted }, "default alert rules inserted");
    },
    (err: unknown) => {
      defaultsEnsured = undefined;
      throw err;
    },
  );
  await defaultsEnsured;
  const started = performance.now();
  const result = await evaluateAlerts();
  const ms = Math.round(performance.now() - started);
  if (result.skipped) log.debug("alerts evaluation skipped: another worker is running a cycle");
  else if (result.fired || result.resolved || result.notified)
    log.info({ ...result, ms }, "alerts evaluated");
  else log.debug({ ...result, ms }, "alerts evaluated");
  return { ...result, ms };
};
