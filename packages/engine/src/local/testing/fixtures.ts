// What the local driver's tests hand it: a spec and ref of a small local instance, and hooks that record what the
// driver reports.
import type { EngineHooks, InstanceRef, InstanceSpec } from "../../types";

/** Hooks that keep the steps (each once, in order) and log lines, with the controller to cancel through them. */
export function recorder() {
  const steps: string[] = [];
  const logs: string[] = [];
  const controller = new AbortController();
  const hooks: EngineHooks = {
    log: (m) => logs.push(m),
    progress: (step) => {
      if (steps.at(-1) !== step) steps.push(step);
    },
    signal: controller.signal,
  };
  return { hooks, steps, logs, controller };
}

export const localSpec = (slug: string, over: Partial<InstanceSpec> = {}): InstanceSpec => ({
  instanceId: `inst-${slug}`,
  slug,
  orgSlug: "acme",
  cloud: "local",
  region: "local",
  size: "small",
  mysqlVersion: "8.0",
  version: "1.0.0",
  storage: { mode: "provider" },
  sso: { mode: "provider" },
  reliability: { externalRedis: false, rateLimits: { filestream: 5, graphql: 5 } },
  ipAllowlist: [],
  backup: { retentionDays: 7, startTimeUtc: "03:00" },
  tags: {},
  ...over,
});

export const localRef = (slug: string): InstanceRef => ({
  instanceId: `inst-${slug}`,
  slug,
  cloud: "local",
  region: "local",
});

export { setTenantFaults } from "./faults";
