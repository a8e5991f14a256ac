// The traffic counters of an instance's serving process, for an upgrade's health gate: read twice, a span apart,
// they give the requests and errors in that span. Scraped from the tenant service's /metrics exactly as the local
// collector does (same URL, same parser, same routes left out), so the gate and the charts agree.
import type { TrafficSample } from "@cp/core";
import { scrapeTenantMetrics } from "./local";
import { parseTenantMetrics } from "./prometheus";

export interface TrafficCounters extends TrafficSample {
  at: Date;
  /**
   * tenant_process_start_time_seconds of the process that answered: the counters are that process's, from zero
   * when it started. Two readings with different start times straddle a process change (an upgrade): the second
   * reading alone is the traffic since the new process started.
   */
  processStartTime: number | null;
}

export interface TrafficTarget {
  /** The instance's URL (EngineOutputs.url). */
  url: string;
  /**
   * Not needed today: /metrics of the tenant service is open, as the collector reads it. Sent as a bearer token
   * when given, so a tenant that starts requiring it keeps answering.
   */
  adminToken?: string;
}

/** How long one reading may take. */
const READ_TIMEOUT_MS = 5_000;

/**
 * Cumulative requests and 5xx errors served by the instance's current process: tenant_http_requests_total and
 * tenant_http_errors_total summed over every route but /healthz and /metrics (the control plane's own probes).
 * Throws when the instance does not answer /metrics with 200 or the answer is not Prometheus text.
 */
export async function readTrafficCounters(
  target: TrafficTarget,
  signal?: AbortSignal,
): Promise<TrafficCounters> {
  const at = new Date();
  const text = await scrapeTenantMetrics(target.url, {
    timeoutMs: READ_TIMEOUT_MS,
    signal,
    headers: target.adminToken ? { authorization: `Bearer ${target.adminToken}` } : undefined,
  });
  const snapshot = parseTenantMetrics(text, at);
  return { at, requests: snapshot.requests, errors: snapshot.errors, processStartTime: snapshot.startTime };
}
