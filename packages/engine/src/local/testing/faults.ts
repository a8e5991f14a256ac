// Fault injection for tests of upgrades and health gates: makes an instance's next started process (the new version
// of an upgrade) answer a share of customer requests with 500, through the local cloud's test-only faults API.
import { LocalEngine, type LocalEngineOptions } from "../local-engine";

/**
 * Sets the error rate of `slug`'s next started process on the local cloud (CP_LOCAL_CLOUD_URL and
 * CP_LOCAL_CLOUD_TOKEN unless `options` say otherwise); 0 clears it. The running process keeps serving as it is.
 */
export function setTenantFaults(
  slug: string,
  faults: { errorRate: number },
  options: Pick<LocalEngineOptions, "baseUrl" | "token"> = {},
): Promise<{ slug: string; errorRate: number }> {
  return new LocalEngine(options).setTenantFaults(slug, faults);
}
