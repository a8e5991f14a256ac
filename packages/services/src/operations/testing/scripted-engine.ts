// A driver for testing the operation runner itself (ordering, leases, cancel, retries): it does what each test
// scripts, and records every call. Tests of real resources use the local cloud's driver instead.
import {
  EngineError,
  type Engine,
  type EngineHooks,
  type EngineOutputs,
  type InstanceRef,
  type InstanceSpec,
} from "@cp/engine";

export interface ScriptedCall {
  method: string;
  slug: string;
  at: number;
  endedAt?: number;
}

export class ScriptedEngine implements Engine {
  readonly name = "scripted";
  calls: ScriptedCall[] = [];
  /** Milliseconds each apply takes (checking the abort signal). */
  applyMs = 50;
  /** Errors to throw from the next apply calls, in order. */
  failures: EngineError[] = [];
  /** When true, apply ignores the abort signal (a stuck driver). */
  ignoreAbort = false;

  async available() {
    return { ok: true as const };
  }

  private async work(method: string, slug: string, hooks: EngineHooks, ms: number) {
    const call: ScriptedCall = { method, slug, at: Date.now() };
    this.calls.push(call);
    try {
      const steps = ["network", "database", "service"];
      for (const [n, step] of steps.entries()) {
        hooks.progress(step, ((n + 1) / steps.length) * 90);
        hooks.log(`${method}: ${step}`);
        const until = Date.now() + ms / steps.length;
        while (Date.now() < until) {
          if (hooks.signal.aborted && !this.ignoreAbort)
            throw new EngineError("CANCELLED", "Stopped on request.", false);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      const failure = method === "apply" ? this.failures.shift() : undefined;
      if (failure) throw failure;
    } finally {
      call.endedAt = Date.now();
    }
  }

  async apply(spec: InstanceSpec, hooks: EngineHooks): Promise<EngineOutputs> {
    await this.work("apply", spec.slug, hooks, this.applyMs);
    return {
      url: `https://${spec.slug}.example.test`,
      databaseEndpoint: "db.example.test:3306",
      databaseName: `t_${spec.slug}`,
      bucket: `t-${spec.slug}`,
      version: spec.version,
    };
  }
  async suspend(ref: InstanceRef, hooks: EngineHooks) {
    await this.work("suspend", ref.slug, hooks, 10);
  }
  async resume(ref: InstanceRef, hooks: EngineHooks) {
    await this.work("resume", ref.slug, hooks, 10);
  }
  async destroy(ref: InstanceRef, hooks: EngineHooks) {
    await this.work("destroy", ref.slug, hooks, 10);
  }
  async refresh() {
    return { drifted: false, details: [] };
  }
  async outputs() {
    return null;
  }
  async cancel() {}
}
