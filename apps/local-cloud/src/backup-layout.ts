// Where a backup lives in the backup bucket and what its manifests hold; pure, so the layout and the comparison a
// verification makes are tested without a server. Layout: `s3://<bucket>/<slug>/<backupId>/` holding
// `database.sql.zst` (the dump, zstd-compressed), `bucket-manifest.json` (the instance bucket's objects) and
// `manifest.json` (written last: a backup without it is incomplete). Backups made before compression hold
// `database.sql` (uncompressed; their manifest names that key and no compression) and are still verified and restored.
import { isValidSlug } from "./naming";

export const DUMP_OBJECT = "database.sql.zst";
/** The dump of backups made before compression. */
export const LEGACY_DUMP_OBJECT = "database.sql";
export const BUCKET_MANIFEST_OBJECT = "bucket-manifest.json";
export const MANIFEST_OBJECT = "manifest.json";

/** Caller-chosen ids (backup ids, request ids): they name objects and tasks, so they stay URL- and key-safe. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const ID_RULE = "must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit";

/** One table as it was at the dump's point in time (the engine's TableDigest). */
export interface TableDigest {
  name: string;
  rows: number;
  /** CHECKSUM TABLE, as a decimal string. */
  checksum: string;
}

export interface BucketObject {
  key: string;
  size: number;
  etag: string;
  lastModified: string | null;
}

export interface BucketManifest {
  format: 1;
  bucket: string;
  mode: "provider" | "byob";
  listedAt: string;
  objects: BucketObject[];
}

export interface BackupManifest {
  format: 1;
  slug: string;
  backupId: string;
  createdAt: string;
  mysqlVersion: string;
  /**
   * The dump as stored: `sizeBytes` and `sha256` are of the stored (compressed) bytes. `compression` and `dumpBytes`
   * (the uncompressed size) are absent in backups made before compression.
   */
  database: {
    key: string;
    sizeBytes: number;
    sha256: string;
    compression?: DumpCompression;
    dumpBytes?: number;
  };
  tables: TableDigest[];
  bucket: { key: string; bucket: string; objects: number; bytes: number } | null;
  /** How long writes to the tenant's tables waited for the backup (the lock that makes it consistent). */
  writesBlockedMs: number;
  durationMs: number;
}

export type DumpCompression = "zstd" | "none";

/** Where a backup's dump is and how it is stored: as its manifest says; without a manifest, the current layout. */
export function dumpObjectOf(manifest: Pick<BackupManifest, "database"> | null): {
  key: string;
  compression: DumpCompression;
} {
  if (!manifest) return { key: DUMP_OBJECT, compression: "zstd" };
  const { key, compression } = manifest.database;
  if (key !== DUMP_OBJECT && key !== LEGACY_DUMP_OBJECT) {
    throw new Error(`manifest: unknown dump object "${key.slice(0, 100)}"`);
  }
  return { key, compression: compression ?? (key === DUMP_OBJECT ? "zstd" : "none") };
}

export interface BackupPlace {
  bucket: string;
  slug: string;
  backupId: string;
  /** `<slug>/<backupId>/` */
  prefix: string;
}

export function backupPlace(bucket: string, slug: string, backupId: string): BackupPlace {
  return { bucket, slug, backupId, prefix: `${slug}/${backupId}/` };
}

export function locationOf(place: BackupPlace): string {
  return `s3://${place.bucket}/${place.prefix}`;
}

export class LocationError extends Error {
  override name = "LocationError";
}

/**
 * Parses `s3://<bucket>/<slug>/<backupId>/` (the trailing slash is optional). Only locations in this daemon's backup
 * bucket are accepted: a backup is never read from, or deleted in, any other bucket. `field` names the input in errors.
 */
export function parseLocation(location: string, backupBucket: string, field = "location"): BackupPlace {
  const m = /^s3:\/\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(location);
  if (!m) {
    throw new LocationError(
      `${field}: must look like s3://${backupBucket}/<slug>/<backupId>/ (got ${JSON.stringify(location.slice(0, 200))})`,
    );
  }
  const [, bucket, slug, backupId] = m as unknown as [string, string, string, string];
  if (bucket !== backupBucket) {
    throw new LocationError(
      `${field}: the backup is in bucket "${bucket}", but this local cloud keeps backups in "${backupBucket}"`,
    );
  }
  if (!isValidSlug(slug)) throw new LocationError(`${field}: "${slug}" is not an instance slug`);
  if (!ID_PATTERN.test(backupId)) throw new LocationError(`${field}: backup id "${backupId}" ${ID_RULE}`);
  return backupPlace(bucket, slug, backupId);
}

/**
 * Compares what a verification restored with what was dumped: every table's rows and checksum, and tables missing or
 * extra. Returns the differences (empty when identical) and the rows compared.
 */
export function compareTables(
  dumped: TableDigest[],
  restored: TableDigest[],
): { problems: string[]; tables: number; rows: number } {
  const problems: string[] = [];
  const got = new Map(restored.map((t) => [t.name, t]));
  let rows = 0;
  for (const want of dumped) {
    const have = got.get(want.name);
    got.delete(want.name);
    if (!have) {
      problems.push(`table ${want.name}: missing after the restore (${want.rows} rows dumped)`);
      continue;
    }
    rows += have.rows;
    if (have.rows !== want.rows) {
      problems.push(`table ${want.name}: ${have.rows} rows restored, ${want.rows} dumped`);
    } else if (have.checksum !== want.checksum) {
      problems.push(`table ${want.name}: checksum ${have.checksum} restored, ${want.checksum} dumped`);
    }
  }
  for (const extra of got.values()) {
    problems.push(
      `table ${extra.name}: present after the restore (${extra.rows} rows) but not in the backup`,
    );
  }
  return { problems, tables: dumped.length, rows };
}

/** Totals of a bucket listing. */
export function bucketTotals(objects: BucketObject[]): { objects: number; bytes: number } {
  return { objects: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0) };
}

/** A name for a verification's scratch database that no instance can have (slugs never start with "_"). */
export function scratchDatabaseName(unique: string): string {
  if (!/^[a-z0-9]{6,32}$/.test(unique))
    throw new Error("scratch database suffix: 6-32 lower-case letters or digits");
  // The daemon's MariaDB account may create databases named `t\_%` only (scripts/services.sh).
  return `t__verify_${unique}`;
}
