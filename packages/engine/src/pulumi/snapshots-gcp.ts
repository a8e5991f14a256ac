// Backups of GCP instances: on-demand Cloud SQL backup runs of the instance's database (`cp-<slug>-db-<hash>`, named
// by @cp/infra-tenant), through the Cloud SQL Admin API v1 (@googleapis/sqladmin).
//
// - backup: backupRuns.insert with the description `cp-backup <backup id>`; a run with that description is reused
//   (found with backupRuns.list), a failed one deleted and taken again. The insert's operation is polled
//   (operations.get) until DONE. Cloud SQL reports no progress percentage for a backup: progress moves at its start and
//   its end only.
// - restore: instances.restoreBackup into the target instance itself (restoreBackupContext: backup run id, the source
//   instance and project), which overwrites its data in place; name, address and users' grants stay. A retry first
//   looks for a restore still running on the instance (operations.list) and waits for it instead of starting another;
//   Cloud SQL keeps no request id on an operation, so a retry after a restore that finished restores once more (the
//   same data).
// - verify: checks that the backup run exists and is SUCCESSFUL. No scratch restore is done on GCP: Cloud SQL restores
//   only into an existing instance, so a scratch restore means creating a whole Cloud SQL instance (with the tenant's
//   network, key and version) and deleting it again, which this driver does not do. The report says 0 tables checked.
// - remove: backupRuns.delete and its operation; a run that is gone counts as deleted.
import { auth as googleAuth, sqladmin, type sqladmin_v1 } from "@googleapis/sqladmin";
import { databaseInstanceName } from "@cp/infra-tenant";
import {
  EngineError,
  type BackupArtifact,
  type EngineHooks,
  type InstanceRef,
  type RestoreOptions,
  type VerifyReport,
} from "../types";
import {
  cloudError,
  DEFAULT_POLL,
  httpStatus,
  pause,
  progressReporter,
  waitUntil,
  type DatabaseSnapshots,
  type PollSettings,
} from "./snapshots";

export interface CloudSqlSnapshotOptions {
  /** The engine's name, recorded as the artifact's driver. */
  driver: string;
  /** The GCP project of the tenant instances. */
  project: string;
  /** Root URL of the Cloud SQL Admin API (a local stand-in in tests). Omitted: https://sqladmin.googleapis.com/. */
  rootUrl?: string;
  /** Credentials (tests: an OAuth2 client with a fixed token). Omitted: Application Default Credentials. */
  auth?: sqladmin_v1.Options["auth"];
  poll?: Partial<PollSettings>;
}

type Operation = sqladmin_v1.Schema$Operation;
type BackupRun = sqladmin_v1.Schema$BackupRun;

const SCOPE = "https://www.googleapis.com/auth/sqlservice.admin";
/** Backup run states that will not turn into a usable backup. */
const FAILED_RUN_STATES = new Set(["FAILED", "SKIPPED"]);
/** Backup runs on their way out: as good as gone. */
const GONE_RUN_STATES = new Set(["DELETION_PENDING", "DELETED", "DELETION_FAILED"]);

export class CloudSqlSnapshots implements DatabaseSnapshots {
  private readonly api: sqladmin_v1.Sqladmin;
  private readonly poll: PollSettings;

  constructor(private readonly options: CloudSqlSnapshotOptions) {
    this.poll = { ...DEFAULT_POLL, ...options.poll };
    this.api = sqladmin({
      version: "v1",
      auth: options.auth ?? new googleAuth.GoogleAuth({ scopes: [SCOPE] }),
      ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}),
    });
  }

  async backup(ref: InstanceRef, backupId: string, hooks: EngineHooks): Promise<BackupArtifact> {
    const started = Date.now();
    const sql = this.sql(hooks.signal);
    const { project } = this.options;
    const instance = databaseInstanceName(ref);
    const description = backupDescription(backupId);
    const report = progressReporter(hooks);
    report(`Backup of ${instance}`, 1);

    let run = await sql.findRun(instance, description);
    if (run && FAILED_RUN_STATES.has(run.status ?? "")) {
      hooks.log(
        `Backup run ${run.id} for this backup ended ${run.status}; deleting it to take it again.`,
        "warn",
      );
      await sql.deleteRun(instance, run.id!);
      run = null;
    }
    if (run) {
      hooks.log(`Backup run ${run.id} for this backup exists already (${run.status}); continuing with it.`);
    } else {
      hooks.log(`Starting an on-demand backup of Cloud SQL instance ${instance} (${project}).`);
      const operation = await sql.whenIdle(`backup of ${instance}`, () =>
        sql.call(`Starting a backup of ${instance}`, (o) =>
          this.api.backupRuns.insert({ project, instance, requestBody: { description } }, o),
        ),
      );
      report(`Backup of ${instance}`, 10);
      if (!operation) throw instanceNotFound(instance, project);
      const done = await sql.waitOperation(operation, `the backup of ${instance}`);
      const id = done.backupContext?.backupId;
      run = id ? await sql.run(instance, id) : await sql.findRun(instance, description);
      if (done.error || !run) {
        if (run?.id) await sql.deleteRun(instance, run.id).catch(() => undefined);
        throw new EngineError(
          "FAILED",
          `Cloud SQL could not back up ${instance}: ${operationError(done) || "the backup run is missing"}. A retry takes a new one.`,
          true,
        );
      }
    }

    const finished = await waitUntil(
      `backup run ${run.id} of ${instance}`,
      this.poll,
      hooks.signal,
      async () => {
        const current = await sql.run(instance, run!.id!);
        if (!current || GONE_RUN_STATES.has(current.status ?? "")) {
          throw new EngineError(
            "FAILED",
            `Backup run ${run!.id} disappeared while it was being taken.`,
            true,
          );
        }
        if (FAILED_RUN_STATES.has(current.status ?? "")) {
          await sql.deleteRun(instance, current.id!).catch(() => undefined);
          throw new EngineError(
            "FAILED",
            `Cloud SQL backup run ${current.id} of ${instance} ended ${current.status}${current.error?.message ? `: ${current.error.message}` : ""}. It was deleted, so a retry takes a new one.`,
            true,
          );
        }
        return current;
      },
      (current) => current.status === "SUCCESSFUL",
    );
    report(`Backup of ${instance}`, 100);
    hooks.log(`Backup run ${finished.id} of ${instance} is SUCCESSFUL.`);
    return {
      driver: this.options.driver,
      location: runLocation(project, instance, finished.id!),
      sizeBytes: Number(finished.maxChargeableBytes ?? 0) || 0,
      sha256: null,
      durationMs: Date.now() - started,
      tables: null,
      bucketManifest: null,
      details: {
        backupRunId: finished.id!,
        instance,
        project,
        ...(finished.databaseVersion ? { databaseVersion: finished.databaseVersion } : {}),
        ...(finished.endTime ? { endTime: finished.endTime } : {}),
      },
    };
  }

  async verify(
    _ref: InstanceRef,
    artifact: BackupArtifact,
    _requestId: string,
    hooks: EngineHooks,
  ): Promise<VerifyReport> {
    const started = Date.now();
    const { project, instance, id } = parseRunLocation(artifact.location);
    const run = await this.sql(hooks.signal, project).run(instance, id);
    const problems: string[] = [];
    if (!run || GONE_RUN_STATES.has(run.status ?? "")) {
      problems.push(`Backup run ${id} of ${instance} does not exist any more.`);
    } else if (run.status !== "SUCCESSFUL") {
      problems.push(
        `Backup run ${id} of ${instance} is ${run.status ?? "in an unknown state"}, not SUCCESSFUL.`,
      );
    } else {
      hooks.log(`Backup run ${id} of ${instance} is SUCCESSFUL.`);
    }
    hooks.log(
      "Verify on GCP checks the backup run's state only: no scratch restore is done (Cloud SQL restores only into an " +
        "existing instance, and creating one per check is not done here), and no rows are compared.",
      "warn",
    );
    hooks.progress("Done", 100);
    return {
      ok: problems.length === 0,
      checked: { tables: 0, rows: 0 },
      problems,
      durationMs: Date.now() - started,
    };
  }

  async restore(
    target: InstanceRef,
    artifact: BackupArtifact,
    _options: RestoreOptions,
    hooks: EngineHooks,
  ): Promise<void> {
    const source = parseRunLocation(artifact.location);
    const { project } = this.options;
    const sql = this.sql(hooks.signal);
    const instance = databaseInstanceName(target);
    const report = progressReporter(hooks);
    report(`Restoring ${instance}`, 1);

    let operation = await sql.runningRestore(instance);
    if (operation) {
      hooks.log(`A restore of ${instance} is running already (operation ${operation.name}); waiting for it.`);
    } else {
      const run = await this.sql(hooks.signal, source.project).run(source.instance, source.id);
      if (!run || run.status !== "SUCCESSFUL") {
        throw new EngineError(
          "NOT_FOUND",
          `Backup run ${source.id} of ${source.instance} is ${run?.status ?? "gone"}; there is nothing to restore.`,
          false,
        );
      }
      hooks.log(
        `Restoring backup run ${source.id} of ${source.instance} into ${instance}: its data is overwritten in place.`,
      );
      operation = await sql.whenIdle(`restore of ${instance}`, () =>
        sql.call(`Starting the restore of ${instance}`, (o) =>
          this.api.instances.restoreBackup(
            {
              project,
              instance,
              requestBody: {
                restoreBackupContext: {
                  backupRunId: source.id,
                  instanceId: source.instance,
                  project: source.project,
                },
              },
            },
            o,
          ),
        ),
      );
    }
    report(`Restoring ${instance}`, 10);
    if (!operation) throw instanceNotFound(instance, project);
    const done = await sql.waitOperation(operation, `the restore of ${instance}`);
    if (done.error) {
      throw new EngineError(
        "FAILED",
        `Cloud SQL could not restore ${instance} from backup run ${source.id}: ${operationError(done)}`,
        false,
      );
    }
    hooks.log(`${instance} now holds the contents of backup run ${source.id}.`);
    report(`Restoring ${instance}`, 100);
  }

  async remove(artifact: BackupArtifact, signal: AbortSignal): Promise<void> {
    const { project, instance, id } = parseRunLocation(artifact.location);
    await this.sql(signal, project).deleteRun(instance, id);
  }

  private sql(signal: AbortSignal, project = this.options.project): CloudSql {
    return new CloudSql(this.api, project, this.poll, signal);
  }
}

/** The Cloud SQL calls this module makes: 404 answers as null, failures as EngineError. */
class CloudSql {
  constructor(
    private readonly api: sqladmin_v1.Sqladmin,
    private readonly project: string,
    private readonly poll: PollSettings,
    private readonly signal: AbortSignal,
  ) {}

  async run(instance: string, id: string): Promise<BackupRun | null> {
    return this.call(`Reading backup run ${id} of ${instance}`, (o) =>
      this.api.backupRuns.get({ project: this.project, instance, id }, o),
    );
  }

  /** The newest backup run of the instance with this description that is not on its way out. */
  async findRun(instance: string, description: string): Promise<BackupRun | null> {
    let pageToken: string | undefined;
    do {
      const page = await this.call(`Listing the backup runs of ${instance}`, (o) =>
        this.api.backupRuns.list({ project: this.project, instance, maxResults: 100, pageToken }, o),
      );
      if (!page) throw instanceNotFound(instance, this.project);
      const found = (page.items ?? []).find(
        (run) => run.description === description && !GONE_RUN_STATES.has(run.status ?? ""),
      );
      if (found) return found;
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return null;
  }

  /** backupRuns.delete and its operation; a run that is gone counts as deleted. */
  async deleteRun(instance: string, id: string): Promise<void> {
    const operation = await this.call(`Deleting backup run ${id} of ${instance}`, (o) =>
      this.api.backupRuns.delete({ project: this.project, instance, id }, o),
    );
    if (!operation) return;
    const done = await this.waitOperation(operation, `the deletion of backup run ${id}`);
    if (done.error) {
      throw new EngineError(
        "FAILED",
        `Cloud SQL could not delete backup run ${id} of ${instance}: ${operationError(done)}`,
        true,
      );
    }
  }

  /** A restore of the instance that is still pending or running. */
  async runningRestore(instance: string): Promise<Operation | null> {
    const page = await this.call(`Listing the operations of ${instance}`, (o) =>
      this.api.operations.list({ project: this.project, instance, maxResults: 20 }, o),
    );
    if (!page) throw instanceNotFound(instance, this.project);
    return (
      (page.items ?? []).find(
        (op) => op.operationType === "RESTORE_VOLUME" && (op.status === "PENDING" || op.status === "RUNNING"),
      ) ?? null
    );
  }

  async waitOperation(operation: Operation, what: string): Promise<Operation> {
    const name = operation.name;
    if (!name) throw new EngineError("FAILED", `Cloud SQL answered ${what} without an operation name.`, true);
    if (operation.status === "DONE") return operation;
    return waitUntil(
      what,
      this.poll,
      this.signal,
      async () => {
        const current = await this.call(`Reading operation ${name}`, (o) =>
          this.api.operations.get({ project: this.project, operation: name }, o),
        );
        if (!current) throw new EngineError("FAILED", `Cloud SQL lost operation ${name} (${what}).`, true);
        return current;
      },
      (current) => current.status === "DONE",
    );
  }

  /**
   * Runs `start` and, while Cloud SQL answers 409 (another operation holds the instance, e.g. its automated backup),
   * waits and tries again.
   */
  async whenIdle<T>(what: string, start: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.poll.timeoutMs;
    for (;;) {
      try {
        return await start();
      } catch (error) {
        const busy = error instanceof EngineError && httpStatus(error.cause) === 409;
        if (!busy || Date.now() >= deadline) throw error;
      }
      await pause(this.poll.intervalMs, this.signal, `the instance to be free for the ${what}`);
    }
  }

  /** One API call with the operation's signal; null when Cloud SQL answers 404. */
  async call<T>(
    action: string,
    request: (options: { signal: AbortSignal }) => Promise<{ data: T }>,
  ): Promise<T | null> {
    try {
      return (await request({ signal: this.signal })).data;
    } catch (error) {
      if (httpStatus(error) === 404) return null;
      throw cloudError(error, `${action} (Cloud SQL, ${this.project})`, this.signal);
    }
  }
}

export function backupDescription(backupId: string): string {
  return `cp-backup ${backupId}`;
}

function runLocation(project: string, instance: string, id: string): string {
  return `projects/${project}/instances/${instance}/backupRuns/${id}`;
}

export function parseRunLocation(location: string): { project: string; instance: string; id: string } {
  const match = /^projects\/([^/]+)\/instances\/([^/]+)\/backupRuns\/(\d+)$/.exec(location);
  if (!match) throw new EngineError("FAILED", `"${location}" is not a Cloud SQL backup run.`, false);
  return { project: match[1]!, instance: match[2]!, id: match[3]! };
}

function operationError(operation: Operation): string {
  return (operation.error?.errors ?? [])
    .map((e) => [e.code, e.message].filter(Boolean).join(": "))
    .join("; ");
}

function instanceNotFound(instance: string, project: string): EngineError {
  return new EngineError("NOT_FOUND", `Cloud SQL instance ${instance} does not exist in ${project}.`, false);
}
