// A driver for testing the operation runner itself (ordering, leases, cancel, retries): it does what each test
// scripts, and records every call. Tests of real resources use the local cloud's driver instead.
import {
  EngineError,
  type BackupArtifact,
  type Engine,
  type EngineHooks,
  type EngineOutputs,
  type InstanceRef,
  type InstanceSpec,
  type VerifyReport,
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
  /** Milliseconds each backup takes. */
  backupMs = 20;
  /** Stored backups by location; delete removes them, and `deleteFailures` makes the next deletes fail. */
  stored = new Map<string, BackupArtifact>();
  deleteFailures = 0;
  /** Problems the next verifications report (empty: they pass). */
  verifyProblems: string[] = [];
  /** Errors to throw from the next backup calls, in order. */
  backupFailures: EngineError[] = [];

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

  async backup(ref: InstanceRef, req: { backupId: string }, hooks: EngineHooks): Promise<BackupArtifact> {
    await this.work("backup", ref.slug, hooks, this.backupMs);
    const failure = this.backupFailures.shift();
    if (failure) throw failure;
    const artifact: BackupArtifact = {
      driver: this.name,
      location: `scripted://${ref.slug}/${req.backupId}`,
      sizeBytes: 1024,
      sha256: "0".repeat(64),
      durationMs: this.backupMs,
      tables: [{ name: "runs", rows: 3, checksum: "42" }],
      bucketManifest: null,
      details: {},
    };
    this.stored.set(artifact.location, artifact);
    return artifact;
  }
  async verifyBackup(ref: InstanceRef, artifact: BackupArtifact, _req: unknown, hooks: EngineHooks) {
    await this.work("verify", ref.slug, hooks, 10);
    const problems = this.stored.has(artifact.location)
      ? this.verifyProblems.splice(0)
      : [`${artifact.location} is not in storage`];
    return {
      ok: problems.length === 0,
      checked: { tables: 1, rows: 3 },
      problems,
      durationMs: 10,
    } satisfies VerifyReport;
  }
  async restore(target: InstanceRef, artifact: BackupArtifact, _o: unknown, hooks: EngineHooks) {
    if (!this.stored.has(artifact.location))
      throw new EngineError("FAILED", `${artifact.location} is not in storage`, false);
    await this.work("restore", target.slug, hooks, 10);
  }
  async deleteBackup(ref: InstanceRef, artifact: BackupArtifact) {
    this.calls.push({ method: "deleteBackup", slug: ref.slug, at: Date.now(), endedAt: Date.now() });
    if (this.deleteFailures > 0) {
      this.deleteFailures -= 1;
      throw new EngineError("FAILED", "storage is unreachable", true);
    }
    this.stored.delete(artifact.location);
  }
}
