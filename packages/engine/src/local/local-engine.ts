// The local driver of the engine seam (DESIGN.md): calls the local cloud's HTTP API, as the Pulumi driver calls AWS
// or GCP. The daemon owns every resource and process; this driver sends desired state and watches it converge.
import { env } from "@cp/config";
import { localCloudToken } from "@cp/config/local-cloud";
import { SIZES } from "@cp/core";
import {
  EngineError,
  type BackupArtifact,
  type DriftReport,
  type Engine,
  type EngineHooks,
  type EngineOutputs,
  type InstanceRef,
  type InstanceSpec,
  type RestoreOptions,
  type VerifyReport,
} from "../types";
import type { LocalInstanceRequest, LocalInstanceView, LocalRestoreResult, LocalTaskView } from "./api-types";
import { taskFailure, TaskReporter } from "./task-progress";

export interface LocalEngineOptions {
  /** The local cloud's API; defaults to CP_LOCAL_CLOUD_URL. */
  baseUrl?: string;
  /** Bearer token; defaults to CP_LOCAL_CLOUD_TOKEN. */
  token?: string;
  /** How often to poll an instance while it converges. */
  pollIntervalMs?: number;
  /** How long an apply, suspend or resume may take before failing (retryable). */
  timeoutMs?: number;
  /** How long the instance's own /healthz (through its public URL) may take to answer 200 after it runs. */
  healthTimeoutMs?: number;
  /** How long a backup, verification or restore may run before the driver stops waiting (retryable). */
  taskTimeoutMs?: number;
}

/** The reconcile steps the daemon reports, in order, with the progress each stands for. */
const STEPS = [
  ["database", 10, "Creating the database and its user"],
  ["bucket", 25, "Creating the bucket"],
  ["service", 40, "Starting the service"],
  ["router", 70, "Routing the instance's URL"],
  ["health", 85, "Waiting for the instance to answer its health check"],
] as const;
type Step = (typeof STEPS)[number][0];

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

function cancelled(signal: AbortSignal): EngineError {
  const reason: unknown = signal.reason;
  return reason instanceof EngineError ? reason : new EngineError("CANCELLED", "Cancelled.", false);
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}

export class LocalEngine implements Engine {
  readonly name = "local";
  private readonly baseUrl: string | undefined;
  private readonly token: string | undefined;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly taskTimeoutMs: number;
  /** Running applies per slug, so cancel() can stop them in addition to the operation's AbortSignal. */
  private readonly running = new Map<string, Set<AbortController>>();

  constructor(options: LocalEngineOptions = {}) {
    this.baseUrl = (options.baseUrl ?? env().CP_LOCAL_CLOUD_URL)?.replace(/\/+$/, "");
    this.token = options.token ?? localCloudToken();
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 180_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 60_000;
    this.taskTimeoutMs = options.taskTimeoutMs ?? 6 * 3600_000;
  }

  private get url(): string {
    if (!this.baseUrl) {
      throw new EngineError(
        "NOT_CONFIGURED",
        "The local cloud is not configured: set CP_LOCAL_CLOUD_URL.",
        false,
      );
    }
    return this.baseUrl;
  }

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!this.baseUrl)
      return { ok: false, reason: "The local cloud is not configured: set CP_LOCAL_CLOUD_URL." };
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    } catch {
      return { ok: false, reason: `The local cloud is not running at ${this.baseUrl}` };
    }
    if (res.ok) return { ok: true };
    const body = (await res.json().catch(() => null)) as { checks?: Record<string, string> } | null;
    const failing = Object.entries(body?.checks ?? {})
      .filter(([, v]) => v !== "ok")
      .map(([k, v]) => `${k}: ${v}`);
    return {
      ok: false,
      reason: `The local cloud at ${this.baseUrl} is not ready${failing.length ? ` (${failing.join("; ")})` : ` (HTTP ${res.status})`}`,
    };
  }

  async apply(spec: InstanceSpec, hooks: EngineHooks): Promise<EngineOutputs> {
    const body = toRequest(spec, hooks);
    return this.track(spec.slug, hooks.signal, async (signal) => {
      hooks.log(
        `Applying ${spec.slug} (release ${spec.version}, size ${spec.size}) on the local cloud at ${this.url}`,
      );
      const accepted = await this.call<LocalInstanceView>("PUT", `/v1/instances/${spec.slug}`, signal, body);
      const view = await this.converge(spec.slug, accepted.body.generation, hooks, signal);
      if (view.status === "suspended") {
        hooks.log(
          "The instance is suspended: its configuration is stored and applies when it resumes.",
          "warn",
        );
      } else {
        await this.waitHealthy(view.url, hooks, signal);
      }
      hooks.progress("health", 100);
      hooks.log(
        `Instance ${spec.slug} is running release ${view.runningVersion ?? view.version} at ${view.url}`,
      );
      return toOutputs(view);
    });
  }

  async suspend(ref: InstanceRef, hooks: EngineHooks): Promise<void> {
    await this.track(ref.slug, hooks.signal, async (signal) => {
      hooks.log(`Suspending ${ref.slug}: stopping its service; data is kept`);
      const accepted = await this.call<LocalInstanceView>(
        "POST",
        `/v1/instances/${ref.slug}/suspend`,
        signal,
      );
      const view = await this.converge(ref.slug, accepted.body.generation, hooks, signal);
      if (view.status !== "suspended") {
        throw new EngineError("FAILED", `The instance did not suspend (status ${view.status}).`, true);
      }
      hooks.progress("service", 100);
    });
  }

  async resume(ref: InstanceRef, hooks: EngineHooks): Promise<void> {
    await this.track(ref.slug, hooks.signal, async (signal) => {
      hooks.log(`Resuming ${ref.slug}`);
      const accepted = await this.call<LocalInstanceView>("POST", `/v1/instances/${ref.slug}/resume`, signal);
      const view = await this.converge(ref.slug, accepted.body.generation, hooks, signal);
      await this.waitHealthy(view.url, hooks, signal);
      hooks.progress("health", 100);
    });
  }

  async destroy(ref: InstanceRef, hooks: EngineHooks): Promise<void> {
    await this.track(ref.slug, hooks.signal, async (signal) => {
      hooks.log(`Deleting ${ref.slug}: its service, database, user and bucket`);
      hooks.progress("delete", 20);
      await this.call("DELETE", `/v1/instances/${ref.slug}`, signal);
      hooks.progress("delete", 100);
      hooks.log(`Instance ${ref.slug} is deleted`);
    });
  }

  async refresh(spec: InstanceSpec, hooks: EngineHooks): Promise<DriftReport> {
    const view = await this.get(spec.slug, hooks.signal);
    if (!view) return { drifted: true, details: ["The instance does not exist on the local cloud."] };
    const details: string[] = [];
    const expect = toRequest(spec);
    const differ = (what: string, actual: unknown, wanted: unknown) => {
      if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
        details.push(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
      }
    };
    differ("release", view.version, expect.version);
    if (view.status === "running") differ("running release", view.runningVersion, expect.version);
    differ("rate limits", view.rateLimits, expect.rateLimits);
    differ("max connections", view.maxConnections, expect.maxConnections);
    differ("external Redis", view.externalRedis, expect.externalRedis);
    differ("size", view.size, expect.size);
    differ("MySQL version", view.mysqlVersion, expect.mysqlVersion);
    differ("SSO mode", view.sso.mode, expect.sso.mode);
    if (view.sso.mode === "oidc" && expect.sso.mode === "oidc") {
      differ("OIDC issuer", view.sso.issuer, expect.sso.issuer);
      differ("OIDC client id", view.sso.clientId, expect.sso.clientId);
      differ("OIDC flow", view.sso.flow, expect.sso.flow);
    }
    differ("storage mode", view.storage.mode, expect.storage.mode);
    if (expect.storage.mode === "byob") differ("bucket", view.storage.bucket, expect.storage.bucket);
    if (view.status === "failed" || view.status === "restarting") {
      details.push(`status is ${view.status}${view.error ? `: ${view.error}` : ""}`);
    }
    return { drifted: details.length > 0, details };
  }

  async outputs(ref: InstanceRef): Promise<EngineOutputs | null> {
    const view = await this.get(ref.slug);
    return view ? toOutputs(view) : null;
  }

  async backup(ref: InstanceRef, req: { backupId: string }, hooks: EngineHooks): Promise<BackupArtifact> {
    return this.track(ref.slug, hooks.signal, async (signal) => {
      hooks.log(`Backing up ${ref.slug}: a consistent dump of its database and a manifest of its bucket`);
      hooks.progress("dump", 1);
      const accepted = await this.call<LocalTaskView>("POST", `/v1/instances/${ref.slug}/backups`, signal, {
        backupId: req.backupId,
      });
      const task = await this.followTask(accepted.body, hooks, signal);
      const artifact = task.result as BackupArtifact;
      hooks.progress("upload", 100);
      hooks.log(
        `Backup stored at ${artifact.location} (${(artifact.sizeBytes / 1024 / 1024).toFixed(1)} MiB, ${artifact.tables?.length ?? 0} tables)`,
      );
      return artifact;
    });
  }

  async verifyBackup(
    ref: InstanceRef,
    artifact: BackupArtifact,
    req: { requestId: string },
    hooks: EngineHooks,
  ): Promise<VerifyReport> {
    checkDriver(artifact);
    return this.track(ref.slug, hooks.signal, async (signal) => {
      hooks.log(`Verifying the backup at ${artifact.location}: restoring it into a scratch database`);
      hooks.progress("verify", 1);
      const accepted = await this.call<LocalTaskView>(
        "POST",
        `/v1/instances/${ref.slug}/backups/verify`,
        signal,
        {
          requestId: req.requestId,
          artifact,
        },
      );
      const task = await this.followTask(accepted.body, hooks, signal);
      hooks.progress("cleanup", 100);
      return task.result as VerifyReport;
    });
  }

  async restore(
    target: InstanceRef,
    artifact: BackupArtifact,
    options: RestoreOptions,
    hooks: EngineHooks,
  ): Promise<void> {
    checkDriver(artifact);
    await this.track(target.slug, hooks.signal, async (signal) => {
      const clone = options.source.slug !== target.slug;
      hooks.log(
        clone
          ? `Restoring the backup of ${options.source.slug} at ${artifact.location} into ${target.slug} (a clone: its bucket objects are copied too)`
          : `Restoring ${target.slug} from the backup at ${artifact.location}`,
      );
      hooks.progress("download", 1);
      const accepted = await this.call<LocalTaskView>(
        "POST",
        `/v1/instances/${target.slug}/restore`,
        signal,
        {
          requestId: options.requestId,
          artifact,
          sourceSlug: options.source.slug,
        },
      );
      const task = await this.followTask(accepted.body, hooks, signal);
      const result = task.result as LocalRestoreResult;
      if (result.status !== "suspended") {
        const view = await this.get(target.slug, signal);
        if (!view)
          throw new EngineError(
            "NOT_FOUND",
            `The instance ${target.slug} disappeared during the restore.`,
            false,
          );
        await this.waitHealthy(view.url, hooks, signal);
      }
      hooks.progress("health", 100);
      hooks.log(`Instance ${target.slug} serves the restored data`);
    });
  }

  async deleteBackup(ref: InstanceRef, artifact: BackupArtifact): Promise<void> {
    checkDriver(artifact);
    const query = new URLSearchParams({ location: artifact.location });
    await this.call("DELETE", `/v1/backups?${query.toString()}`);
  }

  /**
   * Tests only: the error rate (0..1) the instance's next started process answers non-probe requests with (its next
   * upgrade or restart); the running process is left alone. The daemon refuses (403, FAILED) unless it was started
   * with LOCAL_CLOUD_ALLOW_FAULTS=1 or CP_MODE=test.
   */
  async setTenantFaults(
    slug: string,
    faults: { errorRate: number },
  ): Promise<{ slug: string; errorRate: number }> {
    const res = await this.call<{ slug: string; errorRate: number }>(
      "PUT",
      `/v1/instances/${slug}/faults`,
      undefined,
      { errorRate: faults.errorRate },
    );
    return res.body;
  }

  async cancel(ref: InstanceRef): Promise<void> {
    for (const controller of this.running.get(ref.slug) ?? []) {
      controller.abort(new EngineError("CANCELLED", "Cancelled on request.", false));
    }
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  private async track<T>(
    slug: string,
    outer: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(outer.reason);
    if (outer.aborted) throw cancelled(outer);
    outer.addEventListener("abort", onAbort, { once: true });
    let set = this.running.get(slug);
    if (!set) this.running.set(slug, (set = new Set()));
    set.add(controller);
    try {
      return await run(controller.signal);
    } catch (err) {
      if (controller.signal.aborted && !(err instanceof EngineError && err.code !== "CANCELLED")) {
        throw cancelled(controller.signal);
      }
      throw err;
    } finally {
      outer.removeEventListener("abort", onAbort);
      set.delete(controller);
      if (!set.size) this.running.delete(slug);
    }
  }

  private async get(slug: string, signal?: AbortSignal): Promise<LocalInstanceView | null> {
    const res = await this.call<LocalInstanceView>("GET", `/v1/instances/${slug}`, signal, undefined, true);
    return res.status === 404 ? null : res.body;
  }

  private async call<T>(
    method: string,
    path: string,
    signal?: AbortSignal,
    body?: unknown,
    allow404 = false,
  ): Promise<{ status: number; body: T }> {
    const url = `${this.url}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
      });
    } catch (err) {
      if (signal?.aborted) throw cancelled(signal);
      const cause = causeOf(err);
      throw new EngineError(
        "FAILED",
        cause === "ECONNREFUSED"
          ? `The local cloud is not running at ${this.url} (connection refused): start it with "bash scripts/services.sh up".`
          : `The local cloud at ${this.url} did not answer ${method} ${path} (${cause}).`,
        true,
        { cause: err },
      );
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok || (allow404 && res.status === 404)) return { status: res.status, body: parsed as T };
    const message = (parsed as { message?: unknown } | null)?.message;
    const detail = typeof message === "string" ? message : `HTTP ${res.status}`;
    if (res.status === 404)
      throw new EngineError("NOT_FOUND", `The local cloud has no such instance: ${detail}`, false);
    if (res.status === 401) {
      throw new EngineError(
        "FAILED",
        `The local cloud refused the API token (${detail}); check CP_LOCAL_CLOUD_TOKEN.`,
        false,
      );
    }
    if (res.status >= 400 && res.status < 500) {
      throw new EngineError("FAILED", `The local cloud refused ${method} ${path}: ${detail}`, false);
    }
    throw new EngineError("FAILED", `The local cloud failed ${method} ${path}: ${detail}`, true);
  }

  /**
   * Polls until the daemon has reconciled `generation`, reporting its steps in order. Resolves with the final view
   * (running or suspended); a failed reconcile or the timeout throws a retryable FAILED.
   */
  private async converge(
    slug: string,
    generation: number,
    hooks: EngineHooks,
    signal: AbortSignal,
  ): Promise<LocalInstanceView> {
    const deadline = Date.now() + this.timeoutMs;
    let reported = -1;
    const reportUpTo = (step: Step | null) => {
      const index = step ? STEPS.findIndex(([s]) => s === step) : -1;
      for (let i = reported + 1; i <= index; i++) {
        const [name, percent, text] = STEPS[i]!;
        hooks.progress(name, percent);
        hooks.log(text);
      }
      reported = Math.max(reported, index);
    };
    let lastError: string | null = null;
    let last: LocalInstanceView | null = null;
    while (Date.now() < deadline) {
      if (signal.aborted) throw cancelled(signal);
      const view = await this.get(slug, signal);
      if (!view)
        throw new EngineError("FAILED", `The instance ${slug} disappeared while it was being applied.`, true);
      last = view;
      if (view.observedGeneration >= generation && view.step === null) {
        if (view.status === "failed") {
          throw new EngineError(
            "FAILED",
            `The local cloud could not apply ${slug}: ${view.error ?? "unknown error"}`,
            true,
          );
        }
        if (view.status === "suspended") return view;
        if (view.status === "running") {
          reportUpTo("router");
          return view;
        }
      }
      if (
        view.step &&
        (STEPS as readonly (readonly [string, ...unknown[]])[]).some(([s]) => s === view.step)
      ) {
        reportUpTo(view.step as Step);
      }
      if (view.error && view.error !== lastError) {
        hooks.log(view.error, "warn");
        lastError = view.error;
      }
      await sleep(this.pollIntervalMs, signal);
    }
    throw new EngineError(
      "FAILED",
      `The instance ${slug} was not ready after ${Math.round(this.timeoutMs / 1000)} s (status ${last?.status ?? "unknown"}${last?.error ? `: ${last.error}` : ""}).`,
      true,
    );
  }

  /**
   * Polls a task until it ends, reporting its steps and log lines. Resolves with the succeeded task; a failed one, a
   * task the daemon forgot (it restarted: 404, retryable with the same id) or the timeout throws. An aborted signal
   * stops the polling only: the task itself runs on in the daemon.
   */
  private async followTask(
    started: LocalTaskView,
    hooks: EngineHooks,
    signal: AbortSignal,
  ): Promise<LocalTaskView> {
    const reporter = new TaskReporter(hooks);
    const deadline = Date.now() + this.taskTimeoutMs;
    let view = started;
    let polls = 0;
    for (;;) {
      reporter.report(view);
      if (view.status === "succeeded") return view;
      if (view.status === "failed") throw taskFailure(view);
      if (Date.now() > deadline) {
        throw new EngineError(
          "FAILED",
          `The local cloud's ${view.kind} of ${view.slug} did not finish within ${Math.round(this.taskTimeoutMs / 60_000)} min (step ${view.step ?? "none"}).`,
          true,
        );
      }
      // Quick polls first (a small backup takes a second or two), then every pollIntervalMs.
      await sleep(Math.min(this.pollIntervalMs, 50 * 1.25 ** polls++), signal);
      if (signal.aborted) throw cancelled(signal);
      const res = await this.call<LocalTaskView>(
        "GET",
        `/v1/tasks/${encodeURIComponent(view.id)}`,
        signal,
        undefined,
        true,
      );
      if (res.status === 404) {
        throw new EngineError(
          "FAILED",
          `The local cloud no longer knows the ${view.kind} task ${view.id} (it restarted?); retrying starts it again.`,
          true,
        );
      }
      view = res.body;
    }
  }

  /** Waits for the instance's own /healthz through its public URL (the router), as a user would reach it. */
  private async waitHealthy(url: string, hooks: EngineHooks, signal: AbortSignal): Promise<void> {
    hooks.progress("health", 90);
    const deadline = Date.now() + this.healthTimeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      if (signal.aborted) throw cancelled(signal);
      try {
        const res = await fetch(`${url}/healthz`, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(3_000)]),
        });
        const text = await res.text();
        if (res.status === 200) return;
        const reasons = (JSON.parse(text || "{}") as { reasons?: string[] }).reasons;
        last = `HTTP ${res.status}${reasons?.length ? `: ${reasons.join("; ")}` : ""}`;
      } catch (err) {
        if (signal.aborted) throw cancelled(signal);
        last = causeOf(err);
      }
      await sleep(this.pollIntervalMs, signal);
    }
    throw new EngineError("FAILED", `The instance at ${url} did not become healthy (${last}).`, true);
  }
}

/** Verify, restore and delete go to the driver that made the backup. */
function checkDriver(artifact: BackupArtifact): void {
  if (artifact.driver !== "local") {
    throw new EngineError(
      "FAILED",
      `This backup was made by the "${artifact.driver}" driver; the local cloud cannot read it.`,
      false,
    );
  }
}

/** InstanceSpec → the local cloud's request. Unsupported settings fail fast (not retryable). */
export function toRequest(spec: InstanceSpec, hooks?: Pick<EngineHooks, "log">): LocalInstanceRequest {
  if (spec.cloud !== "local") {
    throw new EngineError(
      "FAILED",
      `The local driver only runs instances on the local cloud (got "${spec.cloud}").`,
      false,
    );
  }
  let storage: LocalInstanceRequest["storage"] = { mode: "provider" };
  if (spec.storage.mode === "byob") {
    const s = spec.storage;
    if (s.provider !== "s3") {
      throw new EngineError(
        "FAILED",
        `The local cloud supports only S3-compatible buckets for BYOB (got ${s.provider}).`,
        false,
      );
    }
    if (s.access.kind !== "keys") {
      throw new EngineError(
        "FAILED",
        `The local cloud can reach a customer's bucket only with access keys (got access by ${s.access.kind}).`,
        false,
      );
    }
    if (s.kmsKeyId)
      hooks?.log("The local cloud does not use KMS keys; the bucket's own encryption applies.", "warn");
    storage = {
      mode: "byob",
      bucket: s.bucket,
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      accessKeyId: s.access.accessKeyId,
      secretAccessKey: s.access.secretAccessKey,
    };
  }
  if (spec.ipAllowlist.length) hooks?.log("The local cloud does not enforce IP allowlists.", "warn");
  return {
    instanceId: spec.instanceId,
    version: spec.version,
    mysqlVersion: spec.mysqlVersion,
    size: spec.size,
    maxConnections: SIZES[spec.size].local.maxConnections,
    rateLimits: { ...spec.reliability.rateLimits },
    externalRedis: spec.reliability.externalRedis,
    sso:
      spec.sso.mode === "oidc"
        ? {
            mode: "oidc",
            issuer: spec.sso.issuer,
            clientId: spec.sso.clientId,
            clientSecret: spec.sso.clientSecret,
            flow: spec.sso.flow,
          }
        : { mode: "provider" },
    storage,
  };
}

function toOutputs(view: LocalInstanceView): EngineOutputs {
  return {
    url: view.url,
    databaseEndpoint: view.databaseEndpoint,
    databaseName: view.databaseName,
    bucket: view.bucket,
    version: view.runningVersion ?? view.version,
  };
}
