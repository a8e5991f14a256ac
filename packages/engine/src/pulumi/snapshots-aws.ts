// Backups of AWS instances: manual RDS DB snapshots of the instance's database (`cp-<slug>-db`, named by
// @cp/infra-tenant), through the RDS API of @aws-sdk/client-rds.
//
// - backup: CreateDBSnapshot named after the backup id (an existing one is reused), then DescribeDBSnapshots until it
//   is `available`, reporting its PercentProgress. A snapshot that failed is deleted so that a retry takes a new one.
// - restore (the pattern the RDS API reference gives for RestoreDBInstanceFromDBSnapshot: one name, a new instance):
//   restore the snapshot into a new instance `<db>-r<hash of request id>` with the original's network, parameter and
//   backup settings; when it is available, rename the original to `<db>-o<hash>` and the new one to the original name
//   (ModifyDBInstance NewDBInstanceIdentifier, ApplyImmediately); only then delete the old one, without a final
//   snapshot but keeping its automated backups for their retention period. The application's endpoint (the
//   instance's DNS name follows its identifier) is down between the two renames only. The restored instance carries
//   the tag `cp-restore-request=<request id>`, which the tenant program ignores, so a retry after the swap knows it is
//   done. A snapshot of another instance is encrypted with that instance's key: it is first copied under the
//   target's key (CopyDBSnapshot), else the next apply would want to replace the database to change its key.
// - verify: restore the snapshot into a scratch instance `<db>-v<hash of request id>` in the instance's subnets,
//   wait until RDS reports it available, delete it. That proves the snapshot restores; rows are not compared, which
//   would need a connection to the scratch database inside the tenant's VPC, which the control plane does not have.
// - remove: DeleteDBSnapshot; DBSnapshotNotFound counts as done.
import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
  type Tag,
} from "@aws-sdk/client-rds";
import { databaseInstanceName, RESTORE_MARKER_TAG } from "@cp/infra-tenant";
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
  derivedName,
  errorCode,
  progressReporter,
  waitUntil,
  type DatabaseSnapshots,
  type PollSettings,
} from "./snapshots";

export interface RdsSnapshotOptions {
  /** The engine's name, recorded as the artifact's driver. */
  driver: string;
  /** RDS endpoint URL (a local stand-in in tests, or a VPC endpoint). Omitted: the region's public endpoint. */
  endpoint?: string;
  /** Static credentials (tests). Omitted: the SDK's default chain (environment, web identity, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  poll?: Partial<PollSettings>;
}

const GIB = 1024 ** 3;
const BACKUP_TAG = "cp-backup-id";
const VERIFY_TAG = "cp-verify-request";
/** Instance states from which a restore will not become available by waiting. */
const FAILED_INSTANCE_STATES = new Set([
  "failed",
  "incompatible-restore",
  "incompatible-parameters",
  "incompatible-network",
  "incompatible-option-group",
  "inaccessible-encryption-credentials",
  "restore-error",
  "storage-full",
]);

export class RdsSnapshots implements DatabaseSnapshots {
  private readonly clients = new Map<string, RDSClient>();
  private readonly poll: PollSettings;

  constructor(private readonly options: RdsSnapshotOptions) {
    this.poll = { ...DEFAULT_POLL, ...options.poll };
  }

  async backup(ref: InstanceRef, backupId: string, hooks: EngineHooks): Promise<BackupArtifact> {
    const started = Date.now();
    const rds = this.rds(ref.region, hooks.signal);
    const dbId = databaseInstanceName(ref);
    const snapshotId = snapshotName(dbId, backupId);
    const report = progressReporter(hooks);
    report(`Snapshot ${snapshotId}`, 1);

    let snapshot = await rds.snapshot(snapshotId);
    if (snapshot?.Status === "failed") {
      hooks.log(`Snapshot ${snapshotId} failed earlier; deleting it to take it again.`, "warn");
      await rds.deleteSnapshot(snapshotId);
    }
    if (snapshot?.Status === "failed" || snapshot?.Status === "deleting") {
      await rds.waitSnapshotGone(snapshotId);
      snapshot = null;
    }
    if (snapshot) {
      hooks.log(`Snapshot ${snapshotId} exists already (${snapshot.Status}); continuing with it.`);
    } else {
      const db = await rds.waitInstance(dbId, `RDS instance ${dbId} to be available for a snapshot`);
      hooks.log(`Creating snapshot ${snapshotId} of RDS instance ${dbId} in ${ref.region}.`);
      await rds.createSnapshot(snapshotId, dbId, [...ownTags(db), { Key: BACKUP_TAG, Value: backupId }]);
    }

    const done = await waitUntil(
      `snapshot ${snapshotId}`,
      this.poll,
      hooks.signal,
      async () => {
        const current = await rds.snapshot(snapshotId);
        if (!current) {
          throw new EngineError(
            "FAILED",
            `Snapshot ${snapshotId} disappeared while it was being taken.`,
            true,
          );
        }
        if (current.Status === "failed") {
          await rds.deleteSnapshot(snapshotId).catch(() => undefined);
          throw new EngineError(
            "FAILED",
            `RDS could not take snapshot ${snapshotId} of ${dbId} (status failed). It was deleted, so a retry takes a new one.`,
            true,
          );
        }
        report(`Snapshot ${snapshotId}`, 2 + 0.96 * (current.PercentProgress ?? 0));
        return current;
      },
      (current) => current.Status === "available",
    );
    report(`Snapshot ${snapshotId}`, 100);
    hooks.log(`Snapshot ${snapshotId} is available (${done.AllocatedStorage ?? "?"} GiB allocated).`);
    return {
      driver: this.options.driver,
      location: required(done.DBSnapshotArn, "DBSnapshotArn"),
      sizeBytes: (done.AllocatedStorage ?? 0) * GIB,
      sha256: null,
      durationMs: Date.now() - started,
      tables: null,
      bucketManifest: null,
      details: {
        snapshotId,
        dbInstanceIdentifier: dbId,
        region: ref.region,
        engine: [done.Engine, done.EngineVersion].filter(Boolean).join(" "),
        ...(done.SnapshotCreateTime ? { snapshotCreateTime: done.SnapshotCreateTime.toISOString() } : {}),
      },
    };
  }

  async verify(
    ref: InstanceRef,
    artifact: BackupArtifact,
    requestId: string,
    hooks: EngineHooks,
  ): Promise<VerifyReport> {
    const started = Date.now();
    const { region, snapshotId } = parseSnapshotArn(artifact.location);
    const rds = this.rds(region, hooks.signal);
    const report = (problems: string[]): VerifyReport => ({
      ok: problems.length === 0,
      checked: { tables: 0, rows: 0 },
      problems,
      durationMs: Date.now() - started,
    });
    const snapshot = await rds.snapshot(snapshotId);
    if (!snapshot) return report([`Snapshot ${snapshotId} does not exist any more.`]);
    if (snapshot.Status !== "available") {
      return report([
        `Snapshot ${snapshotId} is ${snapshot.Status ?? "in an unknown state"}, not available.`,
      ]);
    }
    const dbId = databaseInstanceName(ref);
    const db = await rds.instance(dbId);
    if (!db) throw notFound(dbId, region);
    const scratchId = derivedName(dbId, "v", requestId);
    hooks.progress(`Restoring into scratch instance ${scratchId}`, 5);

    let scratch = await rds.instance(scratchId);
    if (scratch?.DBInstanceStatus === "deleting") {
      // An earlier attempt got as far as removing it: its outcome is unknown here, so verify again.
      await rds.waitInstanceGone(scratchId);
      scratch = null;
    }
    if (!scratch) {
      hooks.log(`Restoring snapshot ${snapshotId} into scratch instance ${scratchId}.`);
      await rds.restoreInstance({
        DBInstanceIdentifier: scratchId,
        DBSnapshotIdentifier: snapshotId,
        DBInstanceClass: db.DBInstanceClass,
        DBSubnetGroupName: db.DBSubnetGroup?.DBSubnetGroupName,
        VpcSecurityGroupIds: securityGroups(db),
        DBParameterGroupName: db.DBParameterGroups?.[0]?.DBParameterGroupName,
        StorageType: db.StorageType,
        MultiAZ: false,
        PubliclyAccessible: false,
        DeletionProtection: false,
        // No automated backups of a copy that lives for minutes.
        BackupRetentionPeriod: 0,
        Tags: [...ownTags(db), { Key: VERIFY_TAG, Value: requestId }],
      });
    } else {
      hooks.log(
        `Scratch instance ${scratchId} exists already (${scratch.DBInstanceStatus}); continuing with it.`,
      );
    }

    const problems: string[] = [];
    try {
      const restored = await rds.waitInstance(scratchId, `scratch instance ${scratchId} to be available`, {
        failed: (status) => FAILED_INSTANCE_STATES.has(status),
      });
      if (FAILED_INSTANCE_STATES.has(restored.DBInstanceStatus ?? "")) {
        problems.push(
          `RDS could not restore snapshot ${snapshotId}: the scratch instance went to "${restored.DBInstanceStatus}".`,
        );
      } else {
        hooks.log(`Snapshot ${snapshotId} restored: scratch instance ${scratchId} is available.`);
      }
    } finally {
      // Also when cancelled: a scratch instance must not be left running. Deleting one that is still being created
      // may be refused; a retry with the same request id then finds it and deletes it.
      hooks.progress(`Deleting scratch instance ${scratchId}`, 90);
      const cleanup = this.rds(region, new AbortController().signal);
      await cleanup.deleteInstance(scratchId, { keepAutomatedBackups: false }).then(
        (deleting) => deleting && hooks.log(`Deleting scratch instance ${scratchId}.`),
        (error: unknown) =>
          hooks.log(
            `Scratch instance ${scratchId} could not be deleted now (${errorMessage(error)}); verifying again with the same request deletes it.`,
            "warn",
          ),
      );
    }
    hooks.log(
      "Rows were not compared: that needs a connection to the scratch database inside the tenant's VPC, which the " +
        "control plane does not have. The check is that RDS restores the snapshot into a working instance.",
    );
    hooks.progress("Done", 100);
    return report(problems);
  }

  async restore(
    target: InstanceRef,
    artifact: BackupArtifact,
    options: RestoreOptions,
    hooks: EngineHooks,
  ): Promise<void> {
    const { region, snapshotId } = parseSnapshotArn(artifact.location);
    if (region !== target.region) {
      throw new EngineError(
        "FAILED",
        `Snapshot ${snapshotId} is in ${region}; ${target.slug} runs in ${target.region}. Restoring across regions is not supported.`,
        false,
      );
    }
    const rds = this.rds(region, hooks.signal);
    const { requestId } = options;
    const original = databaseInstanceName(target);
    const restored = derivedName(original, "r", requestId);
    const old = derivedName(original, "o", requestId);
    const copy = derivedName(original, "c", requestId, 255);
    const report = progressReporter(hooks);
    report("Checking the database", 1);

    const [current, found, renamed] = await rds.settle([original, restored, old]);
    let fresh = found;
    if (current && tagValue(current, RESTORE_MARKER_TAG) === requestId) {
      hooks.log(`${original} is already the database restored by this request; finishing up.`);
    } else {
      const source = current ?? renamed;
      if (!fresh) {
        if (!source) throw notFound(original, region);
        const from = await this.restoreSource(rds, snapshotId, source, copy, hooks);
        report(`Restoring snapshot into ${restored}`, 10);
        hooks.log(`Restoring ${from} into a new instance ${restored} beside ${original}.`);
        await rds.restoreInstance({
          DBInstanceIdentifier: restored,
          DBSnapshotIdentifier: from,
          DBInstanceClass: source.DBInstanceClass,
          DBSubnetGroupName: source.DBSubnetGroup?.DBSubnetGroupName,
          VpcSecurityGroupIds: securityGroups(source),
          DBParameterGroupName: source.DBParameterGroups?.[0]?.DBParameterGroupName,
          StorageType: source.StorageType,
          MultiAZ: source.MultiAZ,
          PubliclyAccessible: source.PubliclyAccessible,
          AutoMinorVersionUpgrade: source.AutoMinorVersionUpgrade,
          CopyTagsToSnapshot: source.CopyTagsToSnapshot,
          // Protected only once it restored: an instance that failed to restore must be deletable.
          DeletionProtection: false,
          BackupRetentionPeriod: source.BackupRetentionPeriod,
          PreferredBackupWindow: source.PreferredBackupWindow,
          ManageMasterUserPassword: true,
          MasterUserSecretKmsKeyId: source.MasterUserSecret?.KmsKeyId,
          Tags: [...ownTags(source), { Key: RESTORE_MARKER_TAG, Value: requestId }],
        });
      } else {
        hooks.log(`${restored} exists already (${fresh.DBInstanceStatus}); continuing with it.`);
      }
      report(`Restoring snapshot into ${restored}`, 15);
      fresh = await rds.waitInstance(restored, `restored instance ${restored} to be available`, {
        failed: (status) => FAILED_INSTANCE_STATES.has(status),
      });
      if (FAILED_INSTANCE_STATES.has(fresh.DBInstanceStatus ?? "")) {
        await rds.deleteInstance(restored, { keepAutomatedBackups: false }).catch(() => undefined);
        throw new EngineError(
          "FAILED",
          `RDS could not restore snapshot ${snapshotId}: the new instance went to "${fresh.DBInstanceStatus}". ${original} was not touched.`,
          false,
        );
      }
      if (source?.DeletionProtection && !fresh.DeletionProtection) {
        await rds.protect(restored);
      }
      report("Swapping the databases", 60);
      if (current) {
        await rds.waitInstance(original, `${original} to be available for the swap`);
        hooks.log(
          `Renaming ${original} to ${old}: the application loses its database until the swap is done.`,
        );
        await rds.rename(original, old);
        await rds.waitInstance(old, `${original} to be renamed to ${old}`, { appearing: true });
      }
      hooks.log(`Renaming ${restored} to ${original}.`);
      await rds.rename(restored, original);
      report("Swapping the databases", 70);
    }
    await rds.waitInstance(original, `${restored} to be renamed to ${original}`, { appearing: true });
    hooks.log(`${original} now holds the contents of snapshot ${snapshotId}.`);

    report(`Deleting the replaced instance ${old}`, 75);
    if (await rds.instance(old)) {
      hooks.log(`Deleting the replaced instance ${old} (no final snapshot; its automated backups are kept).`);
      await rds.deleteInstance(old, { keepAutomatedBackups: true });
      await rds.waitInstanceGone(old);
    }
    if (await rds.snapshot(copy)) {
      hooks.log(`Deleting ${copy}, the copy of the snapshot made for this restore.`);
      await rds.deleteSnapshot(copy);
    }
    report("Database restored", 100);
  }

  async remove(artifact: BackupArtifact, signal: AbortSignal): Promise<void> {
    const { region, snapshotId } = parseSnapshotArn(artifact.location);
    await this.rds(region, signal).deleteSnapshot(snapshotId);
  }

  /** The snapshot to restore from: the artifact's, or a copy under the target's key when it is another's. */
  private async restoreSource(
    rds: Rds,
    snapshotId: string,
    target: DBInstance,
    copyId: string,
    hooks: EngineHooks,
  ): Promise<string> {
    const snapshot = await rds.snapshot(snapshotId);
    if (!snapshot)
      throw new EngineError("NOT_FOUND", `Snapshot ${snapshotId} does not exist any more.`, false);
    if (snapshot.Status !== "available") {
      throw new EngineError("FAILED", `Snapshot ${snapshotId} is ${snapshot.Status}, not available.`, true);
    }
    if (!snapshot.KmsKeyId || !target.KmsKeyId || snapshot.KmsKeyId === target.KmsKeyId) return snapshotId;
    if (!(await rds.snapshot(copyId))) {
      hooks.log(
        `Snapshot ${snapshotId} is encrypted with another instance's key: copying it as ${copyId} under this instance's key.`,
      );
      await rds.copySnapshot(snapshotId, copyId, target.KmsKeyId, ownTags(target));
    }
    await waitUntil(
      `the copy ${copyId} of snapshot ${snapshotId}`,
      this.poll,
      hooks.signal,
      async () => {
        const copied = await rds.snapshot(copyId);
        if (!copied || copied.Status === "failed") {
          throw new EngineError("FAILED", `RDS could not copy snapshot ${snapshotId} to ${copyId}.`, true);
        }
        return copied;
      },
      (copied) => copied.Status === "available",
    );
    return copyId;
  }

  private rds(region: string, signal: AbortSignal): Rds {
    let client = this.clients.get(region);
    if (!client) {
      client = new RDSClient({
        region,
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
      this.clients.set(region, client);
    }
    return new Rds(client, region, this.poll, signal);
  }
}

/** The RDS calls this module makes: "not found" answers as null, failures as EngineError. */
class Rds {
  constructor(
    private readonly client: RDSClient,
    private readonly region: string,
    private readonly poll: PollSettings,
    private readonly signal: AbortSignal,
  ) {}

  async instance(id: string): Promise<DBInstance | null> {
    const out = await this.send(
      `Describing RDS instance ${id}`,
      (o) => this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), o),
      ["DBInstanceNotFound"],
    );
    return out?.DBInstances?.[0] ?? null;
  }

  async snapshot(id: string): Promise<DBSnapshot | null> {
    const out = await this.send(
      `Describing snapshot ${id}`,
      (o) => this.client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }), o),
      ["DBSnapshotNotFound"],
    );
    return out?.DBSnapshots?.[0] ?? null;
  }

  /**
   * Waits until the instance is `available`, or in a state `failed` accepts (returned as is). An instance that does
   * not exist is NOT_FOUND, unless `appearing`: a renamed instance answers to its new name only once the rename is
   * through.
   */
  async waitInstance(
    id: string,
    what: string,
    options: { failed?: (status: string) => boolean; appearing?: boolean } = {},
  ): Promise<DBInstance> {
    const found = await waitUntil(
      what,
      this.poll,
      this.signal,
      async () => {
        const current = await this.instance(id);
        if (!current && !options.appearing) throw notFound(id, this.region);
        return current;
      },
      (current) =>
        current !== null &&
        (current.DBInstanceStatus === "available" ||
          (options.failed?.(current.DBInstanceStatus ?? "") ?? false)),
    );
    return found!;
  }

  async waitInstanceGone(id: string): Promise<void> {
    await waitUntil(
      `RDS instance ${id} to be deleted`,
      this.poll,
      this.signal,
      () => this.instance(id),
      (found) => !found,
    );
  }

  async waitSnapshotGone(id: string): Promise<void> {
    await waitUntil(
      `snapshot ${id} to be deleted`,
      this.poll,
      this.signal,
      () => this.snapshot(id),
      (found) => !found,
    );
  }

  /** The instances by these names once none of them is being renamed (a rename moves one from name to name). */
  async settle(ids: string[]): Promise<(DBInstance | null)[]> {
    return waitUntil(
      `the renames of ${ids.join(", ")} to finish`,
      this.poll,
      this.signal,
      () => Promise.all(ids.map((id) => this.instance(id))),
      (found) => found.every((i) => i?.DBInstanceStatus !== "renaming"),
    );
  }

  /** CreateDBSnapshot; one that another attempt created meanwhile is carried on with. */
  async createSnapshot(snapshotId: string, dbId: string, tags: Tag[]): Promise<void> {
    await this.send(
      `Creating snapshot ${snapshotId}`,
      (o) =>
        this.client.send(
          new CreateDBSnapshotCommand({
            DBSnapshotIdentifier: snapshotId,
            DBInstanceIdentifier: dbId,
            Tags: tags,
          }),
          o,
        ),
      ["DBSnapshotAlreadyExists"],
    );
  }

  async copySnapshot(sourceId: string, targetId: string, kmsKeyId: string, tags: Tag[]): Promise<void> {
    await this.send(
      `Copying snapshot ${sourceId} to ${targetId}`,
      (o) =>
        this.client.send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: sourceId,
            TargetDBSnapshotIdentifier: targetId,
            KmsKeyId: kmsKeyId,
            Tags: tags,
          }),
          o,
        ),
      ["DBSnapshotAlreadyExists"],
    );
  }

  /** DeleteDBSnapshot; a snapshot that is gone or being deleted already counts as deleted. */
  async deleteSnapshot(id: string): Promise<void> {
    const found = await this.snapshot(id);
    if (!found || found.Status === "deleting") return;
    await this.send(
      `Deleting snapshot ${id}`,
      (o) => this.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }), o),
      ["DBSnapshotNotFound"],
    );
  }

  /** RestoreDBInstanceFromDBSnapshot; an instance that another attempt created meanwhile is carried on with. */
  async restoreInstance(input: RestoreDBInstanceFromDBSnapshotCommandInput): Promise<void> {
    await this.send(
      `Restoring ${input.DBSnapshotIdentifier} into ${input.DBInstanceIdentifier}`,
      (o) => this.client.send(new RestoreDBInstanceFromDBSnapshotCommand(input), o),
      ["DBInstanceAlreadyExists"],
    );
  }

  async protect(id: string): Promise<void> {
    await this.send(`Turning on deletion protection of ${id}`, (o) =>
      this.client.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          DeletionProtection: true,
          ApplyImmediately: true,
        }),
        o,
      ),
    );
    await this.waitInstance(id, `deletion protection of ${id}`);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.send(`Renaming RDS instance ${from} to ${to}`, (o) =>
      this.client.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: from,
          NewDBInstanceIdentifier: to,
          ApplyImmediately: true,
        }),
        o,
      ),
    );
  }

  /**
   * Lifts deletion protection if set, then DeleteDBInstance without a final snapshot. False when there was nothing to
   * delete (gone, or being deleted already).
   */
  async deleteInstance(id: string, options: { keepAutomatedBackups: boolean }): Promise<boolean> {
    const found = await this.instance(id);
    if (!found || found.DBInstanceStatus === "deleting") return false;
    if (found.DeletionProtection) {
      await this.send(`Lifting deletion protection of ${id}`, (o) =>
        this.client.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: id,
            DeletionProtection: false,
            ApplyImmediately: true,
          }),
          o,
        ),
      );
      await this.waitInstance(id, `deletion protection of ${id} to be lifted`);
    }
    const out = await this.send(
      `Deleting RDS instance ${id}`,
      (o) =>
        this.client.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: id,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: !options.keepAutomatedBackups,
          }),
          o,
        ),
      ["DBInstanceNotFound"],
    );
    return out !== null;
  }

  /** Sends one command with the operation's signal; null when RDS answered one of the `tolerated` error codes. */
  private async send<T>(
    action: string,
    run: (options: { abortSignal: AbortSignal }) => Promise<T>,
    tolerated: string[] = [],
  ): Promise<T | null> {
    try {
      return await run({ abortSignal: this.signal });
    } catch (error) {
      if (tolerated.some((code) => isCode(error, code))) return null;
      throw cloudError(error, `${action} (RDS, ${this.region})`, this.signal);
    }
  }
}

/** `cp-<slug>-db-<backup id>`: the backup id as is where RDS allows it, else cleaned up and made unique by a hash. */
export function snapshotName(dbId: string, backupId: string): string {
  const clean = backupId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const name = `${dbId}-${clean}`;
  if (clean === backupId && name.length <= 255) return name;
  return derivedName(`${dbId}-${clean}`, "", backupId, 255);
}

export function parseSnapshotArn(location: string): { region: string; snapshotId: string } {
  const match = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d{12}:snapshot:([A-Za-z][A-Za-z0-9-]*)$/.exec(location);
  if (!match) throw new EngineError("FAILED", `"${location}" is not an RDS DB snapshot ARN.`, false);
  return { region: match[1]!, snapshotId: match[2]! };
}

/** Whether the error is RDS's `code` (the SDK names modelled errors after their shape: `<code>Fault`). */
function isCode(error: unknown, code: string): boolean {
  const name = errorCode(error);
  return name === code || name === `${code}Fault`;
}

/** The instance's tags without those of the driver's own bookkeeping. */
function ownTags(db: DBInstance): Tag[] {
  return (db.TagList ?? []).filter(
    (t) => t.Key && ![RESTORE_MARKER_TAG, BACKUP_TAG, VERIFY_TAG].includes(t.Key),
  );
}

function tagValue(db: DBInstance, key: string): string | undefined {
  return db.TagList?.find((t) => t.Key === key)?.Value;
}

function securityGroups(db: DBInstance): string[] | undefined {
  const ids = (db.VpcSecurityGroups ?? []).flatMap((g) =>
    g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
  );
  return ids.length ? ids : undefined;
}

function notFound(dbId: string, region: string): EngineError {
  return new EngineError("NOT_FOUND", `RDS instance ${dbId} does not exist in ${region}.`, false);
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new EngineError("FAILED", `RDS answered without ${name}.`, true);
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
