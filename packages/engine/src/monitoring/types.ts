// The collector seam of health polling: one collector per cloud reads an instance's health and metrics (the local
// cloud: the tenant service's /healthz and Prometheus /metrics; AWS: CloudWatch; GCP: Cloud Monitoring). The worker
// stores what it returns (packages/services/src/metrics); rates and percentiles are computed here, from the
// previous collection's state that the caller hands back.
import type { MetricName, OrderableCloud } from "@cp/core";
import type { EngineOutputs } from "../types";

export interface CollectTarget {
  instanceId: string;
  slug: string;
  cloud: OrderableCloud;
  region: string;
  /** Size preset id (storage quota and database vCPUs come from it, see @cp/core metrics). */
  size: string;
  /** What the engine reported when the instance was last applied; null before the first apply finished. */
  outputs: EngineOutputs | null;
  /** The `state` this collector returned for this instance last time (null the first time or after a failure). */
  previous: unknown;
  /** When `previous` was collected. */
  previousAt: Date | null;
}

export type HealthVerdict = "up" | "degraded" | "down";

export interface CollectResult {
  /** When the values were measured. */
  at: Date;
  health: HealthVerdict;
  /** Why it is not up (e.g. "healthz answered 503: database unreachable", "timed out after 5000 ms"). */
  healthDetail?: string;
  /** Values measured this time; a metric that could not be measured (e.g. a rate on the first scrape) is absent. */
  values: Partial<Record<MetricName, number>>;
  /** Opaque JSON state handed back as `previous` next time (counters of this scrape); null keeps none. */
  state: unknown;
}

export interface CollectOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface MetricsCollector {
  /** Never throws for an unreachable instance: that is a "down" result. Throws only for a broken collector. */
  collect(target: CollectTarget, options: CollectOptions): Promise<CollectResult>;
}

/** The collectors a worker can use, by cloud. */
export type Collectors = Partial<Record<OrderableCloud, MetricsCollector>>;
