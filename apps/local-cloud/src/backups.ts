// Backups of instances, the way a cloud offers them: a consistent dump of the tenant database with per-table digests
// and a manifest of its bucket, stored in the backup bucket; verification by restoring into a scratch database and
// comparing; restore into an instance (the same one, or another: a clone); deletion. Each runs as a task (tasks.ts).
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import type { LocalCloudConfig } from "@cp/config/local-cloud";
import {
  BUCKET_MANIFEST_OBJECT,
  DUMP_OBJECT,
  MANIFEST_OBJECT,
  backupPlace,
  bucketTotals,
  compareTables,
  dumpObjectOf,
  locationOf,
  parseLocation,
  scratchDatabaseName,
  type BackupManifest,
  type BackupPlace,
  type BucketManifest,
  type DumpCompression,
  type TableDigest,
} from "./backup-layout";
import type { Artifact } from "./backup-schemas";
import { databaseDigests, dumpDatabase } from "./consistent-dump";
import { DefinerRewriter, HashCounter } from "./dump-streams";
import { describe, NotFoundError } from "./errors";
import { clientFailure, spawnClient, withOptionFile, type ClientAccount } from "./mariadb-client";
import type { TenantDatabases } from "./mariadb";
import { KeyedMutex } from "./mutex";
import { isMissing, ObjectStore, s3Client, sameServer, type S3Access } from "./object-store";
import { loadDumpFile } from "./parallel-load";
import { TaskError, TaskRegistry, type TaskContext, type TaskView } from "./tasks";
import { childSink, DECOMPRESS_ARGS, spawnZstd, zstdFailure } from "./zstd";

/** How the daemon reaches an instance's bucket. */
export interface BucketAccess {
  bucket: string;
  mode: "provider" | "byob";
  s3: S3Access;
}

/** What backups need to know of an instance. Holds secrets: never logged, never answered over the API. */
export interface InstanceData {
  database: string;
  /** The tenant's own database account: it owns the tenant's views and routines, so dumps and loads run as it. */
  user: string;
  password: string;
  bucketName: string;
  /** Null when the instance uses the customer's bucket without keys (the daemon cannot list it). */
  bucket: BucketAccess | null;
}

/** The part of the local cloud that backups act through. */
export interface BackupHost {
  dataOf(slug: string): InstanceData | null;
  /** The bucket of `slug` (the provider's name when the instance no longer exists), for copying from it. */
  bucketOf(slug: string): BucketAccess | null;
  /**
   * Runs `work` with the instance's service stopped, serialized with reconciles, then starts it again through a
   * reconcile; resolves with the instance's status afterwards. `work` calls `touched()` before changing data.
   */
  whileStopped(
    slug: string,
    work: (touched: () => Promise<void>) => Promise<void>,
  ): Promise<{ status: string; error: string | null }>;
}

export interface BackupArtifactOut {
  driver: "local";
  location: string;
  sizeBytes: number;
  sha256: string;
  durationMs: number;
  tables: TableDigest[];
  bucketManifest: { location: string; objects: number; bytes: number } | null;
  details: Record<string, string | number>;
}

export interface VerifyReportOut {
  ok: boolean;
  checked: { tables: number; rows: number };
  problems: string[];
  durationMs: number;
}

const COPY_CONCURRENCY = 4;
/** Clients loading a restore's tables at once (parallel-load.ts): one per core, at most 4. */
const LOAD_WORKERS = Math.max(1, Math.min(4, availableParallelism()));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export class BackupService {
  readonly tasks: TaskRegistry;
  /** Backups and restores of one instance run one at a time (a dump must not read a database being replaced). */
  private readonly dataLock = new KeyedMutex();
  private readonly store: ObjectStore;

  constructor(
    private readonly deps: {
      host: BackupHost;
      databases: TenantDatabases;
      config: LocalCloudConfig;
      log: Logger;
    },
  ) {
    const { s3, backupBucket } = deps.config;
    this.store = new ObjectStore(s3Client({ ...s3, region: "us-east-1" }), backupBucket);
    this.tasks = new TaskRegistry({
      onFinish: (t) =>
        t.status === "failed"
          ? deps.log.warn({ task: t.id, slug: t.slug, err: t.error }, `${t.kind} failed`)
          : deps.log.info({ task: t.id, slug: t.slug }, `${t.kind} succeeded`),
    });
  }

  get bucket(): string {
    return this.store.bucket;
  }

  /**
   * Creates the backup bucket (idempotent; a failure is only logged: every backup ensures it again) and removes the
   * downloads of restores a previous daemon did not finish.
   */
  async init(): Promise<void> {
    const { dataDir } = this.deps.config;
    for (const name of await readdir(dataDir).catch(() => [] as string[])) {
      if (/^restore-.+\.sql$/.test(name)) await rm(path.join(dataDir, name), { force: true });
    }
    try {
      await this.store.ensureBucket();
    } catch (err) {
      this.deps.log.warn(
        { bucket: this.store.bucket, err: describe(err) },
        "cannot create the backup bucket yet; backups will try again",
      );
    }
  }

  close(): void {
    this.store.client.destroy();
  }

  // ---- starting tasks ----------------------------------------------------------------------------------------------

  startBackup(slug: string, backupId: string): { view: TaskView; started: boolean } {
    if (!this.deps.host.dataOf(slug)) throw new NotFoundError(`instance "${slug}" does not exist`);
    return this.tasks.start(
      {
        kind: "backup",
        key: backupId,
        slug,
        fingerprint: slug,
        what: `a backup of instance "${slug}"`,
        field: "backupId",
      },
      (ctx) => this.backup(slug, backupId, ctx),
    );
  }

  startVerify(slug: string, requestId: string, artifact: Artifact): { view: TaskView; started: boolean } {
    const place = parseLocation(artifact.location, this.store.bucket, "artifact.location");
    return this.tasks.start(
      {
        kind: "verify",
        key: requestId,
        slug,
        fingerprint: `${slug} ${artifact.location} ${artifact.sha256}`,
        what: `verifying ${artifact.location}`,
        field: "requestId",
      },
      (ctx) => this.verify(place, artifact, ctx),
    );
  }

  startRestore(
    slug: string,
    requestId: string,
    artifact: Artifact,
    sourceSlug: string,
  ): { view: TaskView; started: boolean } {
    const place = parseLocation(artifact.location, this.store.bucket, "artifact.location");
    if (!this.deps.host.dataOf(slug)) throw new NotFoundError(`instance "${slug}" does not exist`);
    return this.tasks.start(
      {
        kind: "restore",
        key: requestId,
        slug,
        fingerprint: `${slug} ${artifact.location} ${artifact.sha256} ${sourceSlug}`,
        what: `restoring ${artifact.location} into "${slug}"`,
        field: "requestId",
      },
      (ctx) => this.restore(slug, place, artifact, sourceSlug, ctx),
    );
  }

  /** Deletes every object of the backup at `location`. Idempotent: returns how many objects there were. */
  async deleteBackup(location: string): Promise<{ location: string; deleted: number }> {
    const place = parseLocation(location, this.store.bucket);
    const deleted = await this.store.deletePrefix(place.prefix);
    if (deleted) this.deps.log.info({ location, deleted }, "backup deleted");
    return { location: locationOf(place), deleted };
  }

  // ---- backup ------------------------------------------------------------------------------------------------------

  private async backup(slug: string, backupId: string, ctx: TaskContext): Promise<BackupArtifactOut> {
    const place = backupPlace(this.store.bucket, slug, backupId);
    if (this.dataLock.busy(slug)) ctx.log("Waiting for another backup or restore of this instance to finish");
    return this.dataLock.run(slug, async () => {
      const started = Date.now();
      const data = this.deps.host.dataOf(slug);
      if (!data) throw new NotFoundError(`instance "${slug}" does not exist`);
      const { databases, config } = this.deps;
      await this.store.ensureBucket();
      // A backup id used before (an attempt that failed, or one a restarted daemon forgot) starts from nothing.
      await this.store.deletePrefix(place.prefix);
      try {
        const mysqlVersion = await databases.version();
        const listing = data.bucket ? listBucket(data.bucket) : null;
        listing?.catch(() => undefined);
        if (!data.bucket) {
          ctx.log(
            `The customer's bucket ${data.bucketName} is used without keys: its objects are not listed in the backup`,
            "warn",
          );
        }
        ctx.log(`Dumping database ${data.database} to ${locationOf(place)}${DUMP_OBJECT}`);
        const dump = await dumpDatabase({
          admin: databases.admin,
          server: config.mysql,
          account: { user: data.user, password: data.password },
          database: data.database,
          store: this.store,
          key: `${place.prefix}${DUMP_OBJECT}`,
          ctx,
        });
        const rows = dump.tables.reduce((n, t) => n + t.rows, 0);
        ctx.log(
          `Dumped and stored ${dump.tables.length} tables (${rows} rows, ${dump.dumpBytes === null ? "?" : mb(dump.dumpBytes)} MiB, ` +
            `${mb(dump.bytes)} MiB compressed, SHA-256 ${dump.sha256.slice(0, 12)}…) ` +
            `in ${dump.durationMs} ms; writes waited ${dump.writesBlockedMs} ms for the consistent snapshot`,
        );
        ctx.step("upload");
        let bucketInfo: BackupManifest["bucket"] = null;
        if (listing && data.bucket) {
          const objects = await listing;
          const manifest: BucketManifest = {
            format: 1,
            bucket: data.bucket.bucket,
            mode: data.bucket.mode,
            listedAt: new Date().toISOString(),
            objects,
          };
          await this.store.putJson(`${place.prefix}${BUCKET_MANIFEST_OBJECT}`, manifest);
          bucketInfo = { key: BUCKET_MANIFEST_OBJECT, bucket: data.bucket.bucket, ...bucketTotals(objects) };
          ctx.log(
            `Listed ${bucketInfo.objects} objects (${mb(bucketInfo.bytes)} MiB) of bucket ${data.bucket.bucket}`,
          );
        }
        const durationMs = Date.now() - started;
        const manifest: BackupManifest = {
          format: 1,
          slug,
          backupId,
          createdAt: new Date(started).toISOString(),
          mysqlVersion,
          database: {
            key: DUMP_OBJECT,
            sizeBytes: dump.bytes,
            sha256: dump.sha256,
            compression: "zstd",
            ...(dump.dumpBytes === null ? {} : { dumpBytes: dump.dumpBytes }),
          },
          tables: dump.tables,
          bucket: bucketInfo,
          writesBlockedMs: dump.writesBlockedMs,
          durationMs,
        };
        // Written last: a backup without its manifest is not whole.
        await this.store.putJson(`${place.prefix}${MANIFEST_OBJECT}`, manifest);
        return {
          driver: "local",
          location: locationOf(place),
          sizeBytes: dump.bytes,
          sha256: dump.sha256,
          durationMs,
          tables: dump.tables,
          bucketManifest: bucketInfo
            ? {
                location: `${locationOf(place)}${BUCKET_MANIFEST_OBJECT}`,
                objects: bucketInfo.objects,
                bytes: bucketInfo.bytes,
              }
            : null,
          details: {
            mysqlVersion,
            database: data.database,
            bucket: data.bucketName,
            writesBlockedMs: dump.writesBlockedMs,
            lockReleased: dump.releasedEarly ? "at-snapshot" : "at-end",
            format: "mariadb-dump --single-transaction",
            compression: "zstd",
            ...(dump.dumpBytes === null ? {} : { dumpBytes: dump.dumpBytes }),
          },
        };
      } catch (err) {
        // Nothing that looks like a backup is left behind.
        await this.store.deletePrefix(place.prefix).catch(() => undefined);
        throw err;
      }
    });
  }

  // ---- verify ------------------------------------------------------------------------------------------------------

  private async verify(place: BackupPlace, artifact: Artifact, ctx: TaskContext): Promise<VerifyReportOut> {
    const started = Date.now();
    const { databases, config } = this.deps;
    const problems: string[] = [];
    const scratch = scratchDatabaseName(randomBytes(6).toString("hex"));
    const dumpObject = await this.dumpObject(place);
    const location = `${locationOf(place)}${dumpObject.key}`;
    let checked = { tables: 0, rows: 0 };
    ctx.step("verify", artifact.sizeBytes);
    ctx.log(`Loading ${location} into the scratch database ${scratch}`);
    await databases.createDatabase(scratch);
    try {
      let source: { body: Readable; size: number | null } | null = null;
      try {
        source = await this.store.read(`${place.prefix}${dumpObject.key}`);
      } catch (err) {
        if (!isMissing(err)) throw err;
        problems.push(`dump: ${location} does not exist`);
      }
      if (source) {
        const loaded = await loadDump(source.body, {
          compression: dumpObject.compression,
          account: { ...config.mysql },
          database: scratch,
          onBytes: (n) => ctx.bytes(n),
        });
        if (loaded.sha256 !== artifact.sha256) {
          problems.push(
            `checksum: the stored dump's SHA-256 is ${loaded.sha256}, the backup recorded ${artifact.sha256} (the object was changed or damaged)`,
          );
        }
        if (loaded.bytes !== artifact.sizeBytes) {
          problems.push(
            `size: the stored dump has ${loaded.bytes} bytes, the backup recorded ${artifact.sizeBytes}`,
          );
        }
        if (loaded.error) problems.push(`load: ${loaded.error}`);
        else if (artifact.tables) {
          ctx.step("compare");
          const restored = await databaseDigests(databases.admin, scratch);
          const compared = compareTables(artifact.tables, restored);
          problems.push(...compared.problems);
          checked = { tables: compared.tables, rows: compared.rows };
        }
      }
    } finally {
      ctx.step("cleanup");
      await databases.dropDatabase(scratch);
    }
    for (const p of problems) ctx.log(p, "warn");
    ctx.log(
      problems.length
        ? `The backup failed verification (${problems.length} problem${problems.length === 1 ? "" : "s"})`
        : `The backup restores: ${checked.tables} tables and ${checked.rows} rows match what was dumped`,
      problems.length ? "warn" : "info",
    );
    return { ok: problems.length === 0, checked, problems, durationMs: Date.now() - started };
  }

  // ---- restore -----------------------------------------------------------------------------------------------------

  private async restore(
    slug: string,
    place: BackupPlace,
    artifact: Artifact,
    sourceSlug: string,
    ctx: TaskContext,
  ): Promise<Record<string, unknown>> {
    const started = Date.now();
    const file = path.join(this.deps.config.dataDir, `restore-${slug}-${randomBytes(6).toString("hex")}.sql`);
    try {
      // 1. The whole dump, checked, before the target is touched.
      ctx.step("download", artifact.sizeBytes);
      const dumpObject = await this.dumpObject(place);
      ctx.log(`Downloading ${locationOf(place)}${dumpObject.key}`);
      const got = await this.download(`${place.prefix}${dumpObject.key}`, dumpObject.compression, file, ctx);
      if (got.sha256 !== artifact.sha256 || got.bytes !== artifact.sizeBytes) {
        throw new TaskError(
          "damaged_backup",
          `checksum: the stored dump (${got.bytes} bytes, SHA-256 ${got.sha256}) is not the one the backup recorded ` +
            `(${artifact.sizeBytes} bytes, SHA-256 ${artifact.sha256}): the backup is damaged; instance "${slug}" was not touched`,
        );
      }
      if (got.error) throw new Error(`unpacking the dump failed: ${got.error}`);
      ctx.log(
        `The dump is intact (${mb(got.bytes)} MiB stored, SHA-256 matches` +
          (dumpObject.compression === "zstd" ? `; ${mb(got.dumpBytes)} MiB decompressed)` : ")"),
      );
      const clone = sourceSlug !== slug;
      const manifest = clone
        ? await this.store.getJson<BucketManifest>(`${place.prefix}${BUCKET_MANIFEST_OBJECT}`)
        : null;

      // 2. Replace the database with the service stopped, then start it again.
      let copied: CopyOutcome | null = null;
      if (this.dataLock.busy(slug))
        ctx.log("Waiting for another backup or restore of this instance to finish");
      const after = await this.dataLock.run(slug, () =>
        this.deps.host.whileStopped(slug, async (touched) => {
          const data = this.deps.host.dataOf(slug);
          if (!data) throw new NotFoundError(`instance "${slug}" does not exist`);
          ctx.step("restore", (await stat(file)).size);
          ctx.log(`Stopped the service of ${slug}; replacing database ${data.database}`);
          await touched();
          await this.deps.databases.recreate(data.database);
          const loaded = await loadDumpFile(file, {
            account: { ...this.deps.config.mysql, user: data.user, password: data.password },
            database: data.database,
            workers: LOAD_WORKERS,
            onBytes: (n) => ctx.bytes(n),
          });
          if (loaded.error) throw new Error(`loading the dump failed: ${loaded.error}`);
          ctx.log(
            `Loaded the dump into ${data.database}` +
              (loaded.clients > 1 ? ` (${loaded.clients} tables at a time)` : ""),
          );
          if (clone) {
            ctx.step("copy");
            copied = await this.copyObjects(sourceSlug, slug, manifest, ctx);
          }
          ctx.step("start");
          ctx.log(`Starting the service of ${slug} again`);
        }),
      );
      if (after.status === "failed") {
        throw new Error(
          `the database was restored, but the service did not start: ${after.error ?? "unknown error"}`,
        );
      }
      ctx.log(`Instance ${slug} is ${after.status} with the restored data`);
      return {
        slug,
        sourceSlug,
        location: artifact.location,
        bytes: got.bytes,
        status: after.status,
        bucketObjects: copied,
        durationMs: Date.now() - started,
      };
    } finally {
      await rm(file, { force: true });
    }
  }

  /** The backup's dump object and its compression, as its manifest says (backups before compression: database.sql). */
  private async dumpObject(place: BackupPlace): Promise<{ key: string; compression: DumpCompression }> {
    return dumpObjectOf(await this.store.getJson<BackupManifest>(`${place.prefix}${MANIFEST_OBJECT}`));
  }

  private async download(
    key: string,
    compression: DumpCompression,
    file: string,
    ctx: TaskContext,
  ): Promise<{ sha256: string; bytes: number; dumpBytes: number; error: string | null }> {
    let source: { body: Readable };
    try {
      source = await this.store.read(key);
    } catch (err) {
      if (isMissing(err)) {
        throw new TaskError(
          "damaged_backup",
          `checksum: s3://${this.store.bucket}/${key} does not exist (the backup was deleted?); the target was not touched`,
        );
      }
      throw err;
    }
    // Hashed as stored; decompressed and written re-owned (DEFINER), ready for the client to read straight from the file.
    const counter = new HashCounter({ onBytes: (n) => ctx.bytes(n) });
    const written = new HashCounter({ hash: false });
    const out = await unpackDump(source.body, compression, counter, [
      written,
      createWriteStream(file, { mode: 0o600 }),
    ]);
    if (out.readError) throw out.readError;
    return {
      sha256: counter.digest(),
      bytes: counter.bytes,
      dumpBytes: written.bytes,
      error: out.zstdError ?? (out.writeError ? describe(out.writeError) : null),
    };
  }

  /** Copies the objects of the backup's bucket manifest that still exist in the source's bucket into the target's. */
  private async copyObjects(
    sourceSlug: string,
    targetSlug: string,
    manifest: BucketManifest | null,
    ctx: TaskContext,
  ): Promise<CopyOutcome> {
    const outcome: CopyOutcome = { listed: manifest?.objects.length ?? 0, copied: 0, missing: 0, changed: 0 };
    if (!manifest) {
      ctx.log("The backup has no bucket manifest: no bucket objects to copy", "warn");
      return outcome;
    }
    const source = this.deps.host.bucketOf(sourceSlug);
    const target = this.deps.host.dataOf(targetSlug)?.bucket ?? null;
    if (!source || !target) {
      ctx.log(
        `Bucket objects not copied: the daemon has no keys for the ${source ? "target" : "source"} instance's bucket`,
        "warn",
      );
      return outcome;
    }
    const from = new ObjectStore(s3Client(source.s3), source.bucket);
    const to = new ObjectStore(s3Client(target.s3), target.bucket);
    const serverSide = sameServer(source.s3, target.s3);
    try {
      if (serverSide && source.bucket === target.bucket) {
        ctx.log("Source and target share one bucket: nothing to copy");
        return outcome;
      }
      let next = 0;
      const worker = async () => {
        while (next < manifest.objects.length) {
          const o = manifest.objects[next++]!;
          const now = await from.head(o.key);
          if (!now) {
            outcome.missing += 1;
            continue;
          }
          if (now.etag !== o.etag || now.size !== o.size) outcome.changed += 1;
          await to.copyFrom(from, o.key, serverSide);
          outcome.copied += 1;
          ctx.bytes(outcome.copied);
        }
      };
      await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker));
    } finally {
      from.client.destroy();
      to.client.destroy();
    }
    ctx.log(
      `Copied ${outcome.copied} of ${outcome.listed} bucket objects from ${source.bucket} to ${target.bucket}` +
        (outcome.missing ? `; ${outcome.missing} no longer exist in ${source.bucket}` : "") +
        (outcome.changed ? `; ${outcome.changed} changed since the backup (copied as they are now)` : ""),
      outcome.missing ? "warn" : "info",
    );
    return outcome;
  }
}

export interface CopyOutcome {
  /** Objects in the backup's bucket manifest. */
  listed: number;
  copied: number;
  /** Listed, but gone from the source bucket. */
  missing: number;
  /** Copied, but no longer the same (size or ETag) as at the backup. */
  changed: number;
}

async function listBucket(access: BucketAccess) {
  const store = new ObjectStore(s3Client(access.s3), access.bucket);
  try {
    return await store.list();
  } catch (err) {
    throw new Error(`listing bucket ${access.bucket}: ${describe(err)}`);
  } finally {
    store.client.destroy();
  }
}

/**
 * Reads a stored dump to its end through `counter` (the hash of the stored bytes), decompresses it (zstd) and passes
 * it, re-owned (DEFINER), to `dest`. When decompression or `dest` fail, the source is still read to its end, so the hash
 * covers the whole object. Resolves with what failed.
 */
async function unpackDump(
  source: Readable,
  compression: DumpCompression,
  counter: HashCounter,
  dest: Writable[],
): Promise<{ readError: unknown; zstdError: string | null; writeError: unknown }> {
  if (compression === "none") {
    const [piped] = await Promise.allSettled([pipeline([source, counter, new DefinerRewriter(), ...dest])]);
    return {
      readError: piped.status === "rejected" ? piped.reason : null,
      zstdError: null,
      writeError: null,
    };
  }
  const zstd = spawnZstd(DECOMPRESS_ARGS);
  const [fed, written, exited] = await Promise.allSettled([
    pipeline(source, counter, childSink(zstd.child, zstd.exited)),
    pipeline([zstd.child.stdout!, new DefinerRewriter(), ...dest]),
    zstd.exited,
  ]);
  const result = exited.status === "fulfilled" ? exited.value : null;
  return {
    readError: fed.status === "rejected" ? fed.reason : null,
    zstdError: !result ? "zstd -d did not run" : result.code !== 0 ? zstdFailure("zstd -d", result) : null,
    writeError: written.status === "rejected" ? written.reason : null,
  };
}

/**
 * Feeds a dump to the `mariadb` client (loading into `database` as `account`), hashing it as stored and decompressing
 * it on the way. A load that fails part-way does not stop the hashing: the rest of the dump is still read, so the
 * SHA-256 covers the whole object.
 */
async function loadDump(
  source: Readable,
  opts: {
    compression: DumpCompression;
    account: ClientAccount;
    database: string;
    onBytes: (n: number) => void;
  },
): Promise<{ sha256: string; bytes: number; error: string | null }> {
  return withOptionFile(opts.account, async (optionFile) => {
    const client = spawnClient("mariadb", optionFile, ["--max-allowed-packet=1G", opts.database], {
      stdout: "ignore",
    });
    const counter = new HashCounter({ onBytes: opts.onBytes });
    // Forwards to the client while it runs; once it is gone, the rest is only hashed.
    const sink = childSink(client.child, client.exited);
    const [unpacked, exited] = await Promise.allSettled([
      unpackDump(source, opts.compression, counter, [sink]),
      client.exited,
    ]);
    const out =
      unpacked.status === "fulfilled"
        ? unpacked.value
        : { readError: unpacked.reason, zstdError: null, writeError: null };
    const result = exited.status === "fulfilled" ? exited.value : null;
    let error: string | null = null;
    if (out.zstdError) error = out.zstdError;
    else if (!result || result.code !== 0)
      error = result ? clientFailure("mariadb", result) : "mariadb did not run";
    else if (out.readError) error = `reading the dump failed: ${describe(out.readError)}`;
    else if (out.writeError) error = `feeding the dump to mariadb failed: ${describe(out.writeError)}`;
    return {
      sha256: out.readError ? "unreadable" : counter.digest(),
      bytes: counter.bytes,
      error,
    };
  });
}
