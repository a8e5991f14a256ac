// The local cloud's collector: the tenant service answers /healthz and Prometheus /metrics itself, so health is an
// HTTP probe and metrics are two scrapes apart (the previous scrape comes back as `target.previous`).
import { describeFetchError, probeHealth } from "./http-probe";
import { asSnapshot, computeMetrics, parseTenantMetrics, snapshotState } from "./prometheus";
import type { CollectOptions, CollectResult, CollectTarget, MetricsCollector } from "./types";

/** A /metrics answer larger than this is not a tenant service's (it exposes a few kilobytes). */
const MAX_METRICS_BYTES = 2 << 20;

/** GET <url>/metrics of a tenant service; throws with a message fit for a health detail. */
export async function scrapeTenantMetrics(
  url: string,
  options: CollectOptions & { headers?: Record<string, string> },
): Promise<string> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, "")}/metrics`, {
      signal,
      headers: { accept: "text/plain", ...options.headers },
    });
  } catch (err) {
    throw new Error(
      `metrics unreachable: ${timeout.aborted ? `timed out after ${options.timeoutMs} ms` : describeFetchError(err, options.timeoutMs)}`,
    );
  }
  const text = await res.text();
  if (res.status !== 200) throw new Error(`metrics answered ${res.status}`);
  if (text.length > MAX_METRICS_BYTES)
    throw new Error(`metrics answer larger than ${MAX_METRICS_BYTES} bytes`);
  return text;
}

export class LocalCollector implements MetricsCollector {
  async collect(target: CollectTarget, options: CollectOptions): Promise<CollectResult> {
    const at = new Date();
    const url = target.outputs?.url;
    if (!url) {
      return {
        at,
        health: "down",
        healthDetail: "no URL yet: the instance has not finished provisioning",
        values: { health_up: 0 },
        state: target.previous ?? null,
      };
    }
    const [probe, scraped] = await Promise.all([
      probeHealth(url, options),
      scrapeTenantMetrics(url, options).then(
        (text) => ({ text }),
        (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
      ),
    ]);
    const previous = asSnapshot(target.previous);
    const health_up = probe.health === "down" ? 0 : 1;
    if ("error" in scraped) {
      // Keep the previous counters: the next successful scrape computes its rates over the whole gap.
      return {
        at,
        health: probe.health,
        healthDetail: probe.detail ?? (health_up ? undefined : scraped.error),
        values: { health_up },
        state: previous ? snapshotState(previous) : null,
      };
    }
    let current;
    try {
      current = parseTenantMetrics(scraped.text, at);
    } catch (err) {
      return {
        at,
        health: probe.health,
        healthDetail:
          probe.detail ?? `metrics unreadable: ${err instanceof Error ? err.message : String(err)}`,
        values: { health_up },
        state: previous ? snapshotState(previous) : null,
      };
    }
    return {
      at,
      health: probe.health,
      healthDetail: probe.detail,
      values: { ...computeMetrics(current, previous, target), health_up },
      state: snapshotState(current),
    };
  }
}
