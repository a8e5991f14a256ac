// The Pulumi driver (DESIGN.md, "The engine seam"): one stack per instance, named by its slug, running the inline
// program of @cp/infra-tenant through the Automation API and the Pulumi CLI.
//
// Suspend and resume re-run the program with the stack config `tenant:suspended` set to true or false: the node
// group (AWS) or node pool (GCP) goes to zero nodes and back, while the database, bucket, keys, cluster, load balancer
// and DNS stay. Destroy first re-runs the program with `tenant:teardown=true`, which lifts deletion protection
// (database, GKE) and lets a non-empty provider bucket be deleted, then destroys and removes the stack.
// Both need the spec, of which they get only an InstanceRef: apply stores it in the stack config (see stack-config.ts)
// and they restore it with `pulumi config refresh`, so any worker can run them.
//
// Backups are the databases' native snapshots, taken and restored through the cloud SDKs (snapshots-aws.ts,
// snapshots-gcp.ts), not through Pulumi; they need cloud credentials but not the Pulumi CLI. A restore then runs
// `pulumi refresh` and `pulumi up` with the stored spec, so that the stack and everything derived from the database
// (on AWS: the replaced instance's id, its master-password secret in the app's policy) match the restored database.
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  CommandError,
  LocalWorkspace,
  PulumiCommand,
  StackNotFoundError,
  type ConfigMap,
  type EngineEvent,
  type LocalWorkspaceOptions,
  type OutputMap,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation/index.js";
import { env } from "@cp/config";
import { tenantProgram } from "@cp/infra-tenant";
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
import { commandRoot, probeCli } from "./cli";
import { commandStderr, toEngineError } from "./errors";
import { countPlannedSteps, mapEvents, redactor } from "./events";
import { progressWithin, type DatabaseSnapshots, type PollSettings } from "./snapshots";
import { RdsSnapshots, type RdsSnapshotOptions } from "./snapshots-aws";
import { CloudSqlSnapshots, type CloudSqlSnapshotOptions } from "./snapshots-gcp";
import {
  secretValues,
  specFromConfig,
  stackConfig,
  SUSPENDED_KEY,
  type CloudSettings,
  type OperationFlags,
} from "./stack-config";

export interface PulumiEngineOptions {
  cloud: "aws" | "gcp";
  /** The Pulumi CLI: "pulumi" (from PATH) or a path ending in /bin/pulumi. Omitted: env().CP_PULUMI_COMMAND. */
  command?: string;
  /** State backend (https://api.pulumi.com, s3://…, gs://…, file://…). Omitted: env().PULUMI_BACKEND_URL. */
  backendUrl?: string;
  /** Secrets provider for new stacks (awskms://…, gcpkms://…, passphrase). Omitted: env().CP_PULUMI_SECRETS_PROVIDER. */
  secretsProvider?: string;
  /** Pulumi project of the tenant stacks. Default `cp-tenant-<cloud>`. */
  projectName?: string;
  /** Where each stack's workspace (Pulumi.yaml, stack config) lives. Default `<tmpdir>/cp-pulumi`. */
  workDir?: string;
  /** Instances are served at `<slug>.<baseDomain>`. */
  baseDomain: string;
  /** DNS zone of baseDomain: Route 53 hosted zone id (AWS) or Cloud DNS managed-zone name (GCP). */
  hostedZoneId: string;
  /** GCP project of the tenant resources (required for gcp). */
  gcpProject?: string;
  /** Extra environment for the CLI (e.g. PULUMI_ACCESS_TOKEN); the worker's own environment is inherited. */
  envVars?: Record<string, string>;
  /** Deadline of the CLI version check in available(). Default 10 s. */
  versionTimeoutMs?: number;
  /** How long a successful available() is trusted before checking again. Default 5 min. */
  availabilityTtlMs?: number;
  /**
   * The cloud SDK clients of backups and restores: endpoint overrides and credentials (tests, VPC endpoints), and how
   * often and how long they poll. Omitted: the clouds' public endpoints, the SDKs' default credentials, every 15 s.
   */
  snapshots?: {
    rds?: Pick<RdsSnapshotOptions, "endpoint" | "credentials">;
    cloudSql?: Pick<CloudSqlSnapshotOptions, "rootUrl" | "auth">;
    poll?: Partial<PollSettings>;
  };
}

interface Settings {
  cloud: "aws" | "gcp";
  command: string;
  backendUrl: string | undefined;
  secretsProvider: string | undefined;
  projectName: string;
  workDir: string;
  baseDomain: string;
  hostedZoneId: string;
  gcpProject: string | undefined;
  envVars: Record<string, string>;
  versionTimeoutMs: number;
  availabilityTtlMs: number;
  snapshots: NonNullable<PulumiEngineOptions["snapshots"]>;
}

interface Operation {
  slug: string;
  hooks: EngineHooks;
  /** The caller's signal, or cancel(ref) on this engine. */
  signal: AbortSignal;
  redact: (text: string) => string;
  /** Secrets learnt during the operation (restored from stack config) are redacted from then on. */
  addSecrets: (values: string[]) => void;
}

const PLANNING_PERCENT = 2;
const DONE_PERCENT = 98;

/** Workspaces opened only to read or cancel: the CLI runs no program for those commands. */
const noProgram: PulumiFn = async () => ({});

export class PulumiEngine implements Engine {
  readonly name: string;
  private readonly settings: Settings;
  private cli: Promise<PulumiCommand> | undefined;
  private availableUntil = 0;
  private readonly running = new Map<string, AbortController>();
  private snapshotDriver: DatabaseSnapshots | undefined;

  constructor(options: PulumiEngineOptions) {
    // An option that is present (even undefined) wins; only omitted ones are read from the environment.
    const pick = <K extends "command" | "backendUrl" | "secretsProvider">(
      key: K,
      fromEnv: () => string | undefined,
    ) => (Object.hasOwn(options, key) ? options[key] : fromEnv());
    this.settings = {
      cloud: options.cloud,
      command: pick("command", () => env().CP_PULUMI_COMMAND) || "pulumi",
      backendUrl: pick("backendUrl", () => env().PULUMI_BACKEND_URL) || undefined,
      secretsProvider: pick("secretsProvider", () => env().CP_PULUMI_SECRETS_PROVIDER) || undefined,
      projectName: options.projectName ?? `cp-tenant-${options.cloud}`,
      workDir: options.workDir ?? path.join(os.tmpdir(), "cp-pulumi"),
      baseDomain: options.baseDomain,
      hostedZoneId: options.hostedZoneId,
      gcpProject: options.gcpProject || undefined,
      envVars: { PULUMI_SKIP_UPDATE_CHECK: "true", ...options.envVars },
      versionTimeoutMs: options.versionTimeoutMs ?? 10_000,
      availabilityTtlMs: options.availabilityTtlMs ?? 5 * 60_000,
      snapshots: options.snapshots ?? {},
    };
    this.name = `pulumi-${options.cloud}`;
  }

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { command } = this.settings;
    const reasons: string[] = [];
    const root = commandRoot(command);
    if ("error" in root) {
      reasons.push(root.error);
    } else {
      const probe = await probeCli(command, this.settings.versionTimeoutMs);
      if (!probe.ok) reasons.push(probe.reason);
    }
    reasons.push(...this.configurationProblems());
    if (reasons.length) {
      this.availableUntil = 0;
      return { ok: false, reason: reasons.join(" ") };
    }
    this.availableUntil = Date.now() + this.settings.availabilityTtlMs;
    return { ok: true };
  }

  async apply(spec: InstanceSpec, hooks: EngineHooks): Promise<EngineOutputs> {
    this.checkCloud(spec.cloud, spec.slug);
    return this.operation(spec.slug, hooks, secretValues(spec), `Apply of ${spec.slug}`, async (op) => {
      const program = this.program(spec);
      const stack = await this.openStack(spec.slug, program, "createOrSelect");
      // An update keeps a suspended instance suspended: only resume() brings the nodes back.
      const suspended = (await stack.outputs()).suspended?.value === true;
      if (suspended) op.hooks.log("The instance is suspended; it stays scaled to zero until it is resumed.");
      await this.deploy(
        stack,
        op,
        program,
        stackConfig(spec, { suspended, teardown: false }, this.cloudSettings()),
      );
      const outputs = toEngineOutputs(await stack.outputs(), spec.slug);
      op.hooks.progress("Done", 100);
      return outputs;
    });
  }

  suspend(ref: InstanceRef, hooks: EngineHooks): Promise<void> {
    return this.setSuspended(ref, hooks, true);
  }

  resume(ref: InstanceRef, hooks: EngineHooks): Promise<void> {
    return this.setSuspended(ref, hooks, false);
  }

  async destroy(ref: InstanceRef, hooks: EngineHooks): Promise<void> {
    this.checkCloud(ref.cloud, ref.slug);
    return this.operation(ref.slug, hooks, [], `Destroy of ${ref.slug}`, async (op) => {
      const stack = await this.selectStack(ref.slug);
      if (!stack) {
        op.hooks.log(`Stack ${ref.slug} does not exist: nothing to destroy.`);
        op.hooks.progress("Done", 100);
        return;
      }
      const resources = await resourceCount(stack);
      if (resources > 0) {
        const stored = await this.storedSpec(stack, op);
        if (stored) {
          op.hooks.log("Lifting deletion protection before destroying.");
          const flags: OperationFlags = { suspended: stored.suspended, teardown: true };
          const program = this.program(stored.spec);
          await this.deploy(stack, op, program, stackConfig(stored.spec, flags, this.cloudSettings()), [
            PLANNING_PERCENT,
            30,
          ]);
        } else {
          op.hooks.log(
            "The stack holds no applied configuration; destroying without a teardown run.",
            "warn",
          );
        }
        const events = mapEvents({
          from: 30,
          to: DONE_PERCENT,
          planned: resources,
          hooks: op.hooks,
          redact: op.redact,
        });
        await this.runCommand(stack, op, `pulumi destroy of ${ref.slug}`, events.errors, (signal) =>
          stack.destroy({ onEvent: events.onEvent, signal, color: "never" }),
        );
      }
      await stack.workspace.removeStack(ref.slug);
      op.hooks.log(`Stack ${ref.slug} removed.`);
      op.hooks.progress("Done", 100);
    });
  }

  /**
   * `pulumi refresh`: reads every resource back from the cloud and records what differs from the last deployment
   * (drift). The state then holds the real values, so the next apply puts the spec back.
   */
  async refresh(spec: InstanceSpec, hooks: EngineHooks): Promise<DriftReport> {
    this.checkCloud(spec.cloud, spec.slug);
    return this.operation(spec.slug, hooks, secretValues(spec), `Refresh of ${spec.slug}`, async (op) => {
      const stack = await this.openStack(spec.slug, this.program(spec), "select");
      const planned = await resourceCount(stack);
      const events = mapEvents({
        from: PLANNING_PERCENT,
        to: DONE_PERCENT,
        planned,
        hooks: op.hooks,
        redact: op.redact,
      });
      const result = await this.runCommand(
        stack,
        op,
        `pulumi refresh of ${spec.slug}`,
        events.errors,
        (signal) => stack.refresh({ onEvent: events.onEvent, signal, color: "never" }),
      );
      // Steps that only re-read a resource (refresh, read) are not drift unless they found differences.
      const quiet = new Set(["same", "refresh", "read"]);
      const summary = Object.entries(result.summary.resourceChanges ?? {}).filter(
        ([kind, count]) => !quiet.has(kind) && (count ?? 0) > 0,
      );
      const details = events.changes
        .filter((c) => !quiet.has(c.op) || c.diffs.length > 0)
        .map((c) => `${c.op} ${c.step}${c.diffs.length ? ` (${c.diffs.join(", ")})` : ""}`);
      if (details.length === 0) {
        details.push(...summary.map(([kind, count]) => `${count} resource(s): ${kind}`));
      }
      op.hooks.progress("Done", 100);
      return { drifted: details.length > 0, details };
    });
  }

  async outputs(ref: InstanceRef): Promise<EngineOutputs | null> {
    this.checkCloud(ref.cloud, ref.slug);
    await this.ensureAvailable();
    const signal = new AbortController().signal;
    try {
      const stack = await this.selectStack(ref.slug);
      if (!stack) return null;
      const outputs = await stack.outputs();
      return outputs.url ? toEngineOutputs(outputs, ref.slug) : null;
    } catch (error) {
      throw toEngineError(error, {
        action: `Reading outputs of ${ref.slug}`,
        signal,
        diagnostics: [],
        redact: (t) => t,
      });
    }
  }

  async cancel(ref: InstanceRef): Promise<void> {
    const running = this.running.get(ref.slug);
    if (running) {
      // The operation's abort handler interrupts the CLI and runs `pulumi cancel`.
      running.abort();
      return;
    }
    // Another process may be running the update: ask the backend to cancel it.
    await this.ensureAvailable();
    const stack = await this.selectStack(ref.slug).catch(() => null);
    if (!stack) return;
    await stack.cancel().catch((error: unknown) => {
      // "No update in progress" is what cancelling nothing looks like; anything else is not ours to fix here.
      if (!(error instanceof CommandError)) throw error;
    });
  }

  /** A native snapshot of the database (RDS DB snapshot, Cloud SQL backup run); see snapshots-aws.ts / -gcp.ts. */
  async backup(ref: InstanceRef, req: { backupId: string }, hooks: EngineHooks): Promise<BackupArtifact> {
    this.checkCloud(ref.cloud, ref.slug);
    return this.snapshotOperation(ref.slug, hooks, `Backup of ${ref.slug}`, (h) =>
      this.databaseSnapshots().backup(ref, req.backupId, h),
    );
  }

  /**
   * AWS: restores the snapshot into a scratch instance and deletes it again; GCP: checks the backup run's state. Rows
   * are compared on neither: the control plane has no network path to a tenant's database.
   */
  async verifyBackup(
    ref: InstanceRef,
    artifact: BackupArtifact,
    req: { requestId: string },
    hooks: EngineHooks,
  ): Promise<VerifyReport> {
    this.checkCloud(ref.cloud, ref.slug);
    this.checkArtifact(artifact);
    return this.snapshotOperation(ref.slug, hooks, `Verify of a backup of ${ref.slug}`, (h) =>
      this.databaseSnapshots().verify(ref, artifact, req.requestId, h),
    );
  }

  /** Restores the database from the snapshot, then refreshes and re-applies the stack with its stored spec. */
  async restore(
    target: InstanceRef,
    artifact: BackupArtifact,
    options: RestoreOptions,
    hooks: EngineHooks,
  ): Promise<void> {
    this.checkCloud(target.cloud, target.slug);
    this.checkArtifact(artifact);
    return this.operation(target.slug, hooks, [], `Restore of ${target.slug}`, async (op) => {
      // The stack must be usable before the database is touched: its stored spec re-applies it afterwards.
      const selected = await this.openStack(target.slug, noProgram, "select");
      const stored = (await resourceCount(selected)) > 0 ? await this.storedSpec(selected, op) : null;
      if (!stored) {
        throw new EngineError(
          "NOT_FOUND",
          `Restore of ${target.slug}: the stack holds no applied configuration.`,
          false,
        );
      }
      await this.databaseSnapshots().restore(
        target,
        artifact,
        options,
        progressWithin({ ...op.hooks, signal: op.signal }, PLANNING_PERCENT, 80),
      );

      op.hooks.log("Reading the restored database into the stack (pulumi refresh), then re-applying it.");
      const program = this.program(stored.spec);
      const stack = await this.openStack(target.slug, program, "select");
      const events = mapEvents({
        from: 80,
        to: 85,
        planned: await resourceCount(stack),
        hooks: op.hooks,
        redact: op.redact,
      });
      await this.runCommand(stack, op, `pulumi refresh of ${target.slug}`, events.errors, (signal) =>
        stack.refresh({ onEvent: events.onEvent, signal, color: "never" }),
      );
      const flags: OperationFlags = { suspended: stored.suspended, teardown: false };
      await this.deploy(stack, op, program, stackConfig(stored.spec, flags, this.cloudSettings()), [
        85,
        DONE_PERCENT,
      ]);
      op.hooks.progress("Done", 100);
    });
  }

  async deleteBackup(ref: InstanceRef, artifact: BackupArtifact): Promise<void> {
    this.checkCloud(ref.cloud, ref.slug);
    this.checkArtifact(artifact);
    const signal = new AbortController().signal;
    try {
      await this.databaseSnapshots().remove(artifact, signal);
    } catch (error) {
      throw toEngineError(error, {
        action: `Deleting a backup of ${ref.slug}`,
        signal,
        diagnostics: [],
        redact: (t) => t,
      });
    }
  }

  // -- operations --------------------------------------------------------------------------------------------------

  private async setSuspended(ref: InstanceRef, hooks: EngineHooks, suspended: boolean): Promise<void> {
    this.checkCloud(ref.cloud, ref.slug);
    const verb = suspended ? "Suspend" : "Resume";
    return this.operation(ref.slug, hooks, [], `${verb} of ${ref.slug}`, async (op) => {
      const stack = await this.openStack(ref.slug, noProgram, "select");
      const stored = (await resourceCount(stack)) > 0 ? await this.storedSpec(stack, op) : null;
      if (!stored) {
        throw new EngineError(
          "NOT_FOUND",
          `${verb} of ${ref.slug}: the stack holds no applied configuration.`,
          false,
        );
      }
      op.hooks.log(suspended ? "Scaling the nodes to zero." : "Scaling the nodes back up.");
      const config = stackConfig(stored.spec, { suspended, teardown: false }, this.cloudSettings());
      await this.deploy(stack, op, this.program(stored.spec), config);
      op.hooks.progress("Done", 100);
    });
  }

  /** Sets the stack config, previews to learn how many steps the update has, then runs it. */
  private async deploy(
    stack: Stack,
    op: Operation,
    program: PulumiFn,
    config: ConfigMap,
    range: [number, number] = [PLANNING_PERCENT, DONE_PERCENT],
  ): Promise<void> {
    await stack.setAllConfig(config);
    op.hooks.progress("Planning changes", range[0]);
    const planner = countPlannedSteps();
    // The preview's warnings come again from the update: only its errors are logged.
    const previewErrors = mapEvents({
      from: range[0],
      to: range[0],
      planned: 0,
      hooks: { progress: () => {}, log: (m, level) => level === "error" && op.hooks.log(m, level) },
      redact: op.redact,
    });
    await this.runCommand(stack, op, `pulumi preview of ${op.slug}`, previewErrors.errors, (signal) =>
      stack.preview({
        program,
        signal,
        color: "never",
        onEvent: (event: EngineEvent) => {
          planner.onEvent(event);
          previewErrors.onEvent(event);
        },
      }),
    );
    const planned = planner.count();
    op.hooks.log(planned ? `${planned} resource change(s) planned.` : "No resource changes planned.");
    const events = mapEvents({ from: range[0], to: range[1], planned, hooks: op.hooks, redact: op.redact });
    await this.runCommand(stack, op, `pulumi up of ${op.slug}`, events.errors, (signal) =>
      stack.up({ program, signal, color: "never", onEvent: events.onEvent }),
    );
  }

  /**
   * Runs one CLI command so that an abort interrupts it (the Automation API sends SIGINT) and also asks the backend
   * to cancel the update (`pulumi cancel`), then reports CANCELLED.
   */
  private async runCommand<T>(
    stack: Stack,
    op: Operation,
    action: string,
    diagnostics: string[],
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (op.signal.aborted)
      throw new EngineError("CANCELLED", `${action} was cancelled before it started.`, false);
    let cancelling: Promise<void> | undefined;
    const onAbort = () => {
      op.hooks.log("Cancel requested: stopping the running Pulumi update.", "warn");
      cancelling = stack.cancel().then(
        () => op.hooks.log("Pulumi cancelled the update.", "warn"),
        (error: unknown) => op.hooks.log(`pulumi cancel: ${op.redact(errorSummary(error))}`, "warn"),
      );
    };
    op.signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await run(op.signal);
    } catch (error) {
      throw toEngineError(error, { action, signal: op.signal, diagnostics, redact: op.redact });
    } finally {
      op.signal.removeEventListener("abort", onAbort);
      await cancelling;
    }
  }

  /** Common frame: fail fast when not configured, one in-process controller per stack, errors as EngineError. */
  private async operation<T>(
    slug: string,
    hooks: EngineHooks,
    secrets: string[],
    action: string,
    body: (op: Operation) => Promise<T>,
  ): Promise<T> {
    await this.ensureAvailable();
    if (hooks.signal.aborted)
      throw new EngineError("CANCELLED", `${action} was cancelled before it started.`, false);
    const known = [...secrets];
    let redact = redactor(known);
    const controller = new AbortController();
    this.running.set(slug, controller);
    const op: Operation = {
      slug,
      hooks,
      signal: AbortSignal.any([hooks.signal, controller.signal]),
      redact: (text) => redact(text),
      addSecrets: (values) => {
        known.push(...values);
        redact = redactor(known);
      },
    };
    try {
      const result = await body(op);
      if (op.signal.aborted) throw new EngineError("CANCELLED", `${action} was cancelled.`, false);
      return result;
    } catch (error) {
      throw toEngineError(error, { action, signal: op.signal, diagnostics: [], redact: op.redact });
    } finally {
      if (this.running.get(slug) === controller) this.running.delete(slug);
    }
  }

  /**
   * Frame of backup and verify: they call the cloud SDKs only, so they need neither the Pulumi CLI nor the stack; one
   * in-process controller per instance (cancel(ref) stops their polling), errors as EngineError.
   */
  private async snapshotOperation<T>(
    slug: string,
    hooks: EngineHooks,
    action: string,
    body: (hooks: EngineHooks) => Promise<T>,
  ): Promise<T> {
    if (hooks.signal.aborted)
      throw new EngineError("CANCELLED", `${action} was cancelled before it started.`, false);
    const controller = new AbortController();
    this.running.set(slug, controller);
    const signal = AbortSignal.any([hooks.signal, controller.signal]);
    try {
      return await body({ ...hooks, signal });
    } catch (error) {
      throw toEngineError(error, { action, signal, diagnostics: [], redact: (t) => t });
    } finally {
      if (this.running.get(slug) === controller) this.running.delete(slug);
    }
  }

  private databaseSnapshots(): DatabaseSnapshots {
    if (this.snapshotDriver) return this.snapshotDriver;
    const { cloud, gcpProject, snapshots } = this.settings;
    if (cloud === "gcp") {
      if (!gcpProject) {
        throw new EngineError(
          "NOT_CONFIGURED",
          "The GCP project for tenant instances is not configured.",
          false,
        );
      }
      this.snapshotDriver = new CloudSqlSnapshots({
        driver: this.name,
        project: gcpProject,
        ...snapshots.cloudSql,
        poll: snapshots.poll,
      });
    } else {
      this.snapshotDriver = new RdsSnapshots({ driver: this.name, ...snapshots.rds, poll: snapshots.poll });
    }
    return this.snapshotDriver;
  }

  private checkArtifact(artifact: BackupArtifact): void {
    if (artifact.driver !== this.name) {
      throw new EngineError(
        "FAILED",
        `This backup was made by the ${artifact.driver} driver; ${this.name} cannot use it.`,
        false,
      );
    }
  }

  // -- stacks ------------------------------------------------------------------------------------------------------

  private program(spec: InstanceSpec): PulumiFn {
    return tenantProgram({
      ...spec,
      baseDomain: this.settings.baseDomain,
      hostedZoneId: this.settings.hostedZoneId,
      gcpProject: this.settings.gcpProject,
    });
  }

  private async openStack(
    slug: string,
    program: PulumiFn,
    mode: "select" | "createOrSelect",
  ): Promise<Stack> {
    const { projectName, backendUrl, secretsProvider, envVars } = this.settings;
    const workDir = path.join(this.settings.workDir, projectName, slug);
    await mkdir(workDir, { recursive: true });
    const options: LocalWorkspaceOptions = {
      workDir,
      projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backendUrl } },
      secretsProvider,
      envVars,
      pulumiCommand: await this.command(),
    };
    const args = { projectName, stackName: slug, program };
    return mode === "select"
      ? LocalWorkspace.selectStack(args, options)
      : LocalWorkspace.createOrSelectStack(args, options);
  }

  /** The stack, or null when there is none. */
  private async selectStack(slug: string): Promise<Stack | null> {
    try {
      return await this.openStack(slug, noProgram, "select");
    } catch (error) {
      if (error instanceof StackNotFoundError) return null;
      throw error;
    }
  }

  /** The spec and suspended state of the last deployment (from any worker), its secrets added to the redactor. */
  private async storedSpec(
    stack: Stack,
    op: Operation,
  ): Promise<{ spec: InstanceSpec; suspended: boolean } | null> {
    await stack.refreshConfig();
    const config = await stack.getAllConfig();
    const spec = specFromConfig(config);
    if (!spec) return null;
    op.addSecrets(secretValues(spec));
    return { spec, suspended: config[SUSPENDED_KEY]?.value === "true" };
  }

  private command(): Promise<PulumiCommand> {
    if (!this.cli) {
      const root = commandRoot(this.settings.command);
      if ("error" in root) return Promise.reject(new EngineError("NOT_CONFIGURED", root.error, false));
      this.cli = PulumiCommand.get(root.root ? { root: root.root } : undefined);
      this.cli.catch(() => (this.cli = undefined));
    }
    return this.cli;
  }

  // -- configuration -----------------------------------------------------------------------------------------------

  private async ensureAvailable(): Promise<void> {
    if (Date.now() < this.availableUntil) return;
    const availability = await this.available();
    if (!availability.ok) throw new EngineError("NOT_CONFIGURED", availability.reason, false);
  }

  private configurationProblems(): string[] {
    const s = this.settings;
    const problems: string[] = [];
    if (!s.backendUrl) {
      problems.push(
        "PULUMI_BACKEND_URL is not set: tenant stacks need a state backend (https://api.pulumi.com, s3://…, gs://…).",
      );
    } else if (!/^https?:\/\//.test(s.backendUrl) && !s.secretsProvider) {
      problems.push(
        "CP_PULUMI_SECRETS_PROVIDER is not set: a self-managed state backend needs one (awskms://…, gcpkms://…, or passphrase).",
      );
    }
    if (!s.baseDomain || !s.hostedZoneId) {
      problems.push(
        `The DNS zone for ${s.cloud.toUpperCase()} instances is not configured (base domain and zone id).`,
      );
    }
    if (s.cloud === "gcp" && !s.gcpProject)
      problems.push("The GCP project for tenant instances is not configured.");
    return problems;
  }

  private cloudSettings(): CloudSettings {
    return { cloud: this.settings.cloud, gcpProject: this.settings.gcpProject };
  }

  private checkCloud(cloud: string, slug: string): void {
    if (cloud !== this.settings.cloud) {
      throw new EngineError(
        "FAILED",
        `Instance ${slug} is on ${cloud}; this driver provisions ${this.settings.cloud}.`,
        false,
      );
    }
  }
}

async function resourceCount(stack: Stack): Promise<number> {
  const state = await stack.exportStack();
  const resources = (state.deployment as { resources?: unknown[] } | undefined)?.resources;
  return Array.isArray(resources) ? resources.length : 0;
}

function toEngineOutputs(outputs: OutputMap, slug: string): EngineOutputs {
  const text = (key: keyof EngineOutputs) => {
    const value = outputs[key]?.value as unknown;
    if (typeof value !== "string" || !value) {
      throw new EngineError(
        "FAILED",
        `Stack ${slug} has no '${key}' output; its program did not complete.`,
        true,
      );
    }
    return value;
  };
  return {
    url: text("url"),
    databaseEndpoint: text("databaseEndpoint"),
    databaseName: text("databaseName"),
    bucket: text("bucket"),
    version: text("version"),
  };
}

function errorSummary(error: unknown): string {
  const text = error instanceof CommandError ? commandStderr(error) : String(error);
  return text.split("\n").at(-1) ?? text;
}
