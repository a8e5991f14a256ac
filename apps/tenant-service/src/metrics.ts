// Prometheus metrics of one tenant service (prom-client, its own registry).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricsSources {
  /** Database CPU seconds of this tenant's user; null when unknown. Read at each scrape. */
  databaseCpuSeconds: () => Promise<number | null>;
}

export function createMetrics(labels: { slug: string; version: string }, sources: MetricsSources) {
  const registry = new Registry();
  registry.setDefaultLabels({ instance_slug: labels.slug });
  collectDefaultMetrics({ register: registry, prefix: "tenant_" });

  const requestDuration = new Histogram({
    name: "tenant_http_request_duration_seconds",
    help: "HTTP request latency by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: "tenant_http_requests_total",
    help: "HTTP requests by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: "tenant_http_errors_total",
    help: "HTTP requests answered with a server error (5xx), by route and status",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: "tenant_rate_limited_total",
    help: "API requests refused by the per-key rate limit",
    labelNames: ["api"] as const,
    registers: [registry],
  });
  const storageBytes = new Gauge({
    name: "tenant_storage_bytes",
    help: "Sum of the sizes of the objects in the instance's bucket (refreshed periodically)",
    registers: [registry],
  });
  const storageObjects = new Gauge({
    name: "tenant_storage_objects",
    help: "Number of objects in the instance's bucket (refreshed periodically)",
    registers: [registry],
  });
  let lastCpu: number | null = null;
  new Gauge({
    name: "tenant_database_cpu_seconds",
    help: "Database CPU time of the instance's database user (information_schema.USER_STATISTICS.CPU_TIME)",
    registers: [registry],
    async collect() {
      try {
        lastCpu = await sources.databaseCpuSeconds();
      } catch {
        // Keep the last value: a scrape must not fail because the database blinked.
      }
      if (lastCpu !== null) this.set(lastCpu);
    },
  });
  const info = new Gauge({
    name: "tenant_info",
    help: "The running release",
    labelNames: ["version"] as const,
    registers: [registry],
  });
  info.set({ version: labels.version }, 1);

  return {
    registry,
    observeRequest(route: string, method: string, status: number, seconds: number) {
      const l = { route, method, status: String(status) };
      requestDuration.observe(l, seconds);
      requests.inc(l);
      if (status >= 500) errors.inc({ route, status: String(status) });
    },
    rateLimited: (api: string) => rateLimited.inc({ api }),
    setStorage(bytes: number, objects: number) {
      storageBytes.set(bytes);
      storageObjects.set(objects);
    },
  };
}

export type TenantMetrics = ReturnType<typeof createMetrics>;
