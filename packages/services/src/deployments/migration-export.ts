// The export package of a migration to customer-managed, written next to the backups in the provider's backup bucket:
// `exports/<instanceId>/<operationId>/` holding the verified backup's dump (copied server-side, as stored), a bucket
// handoff plan, the configuration without secrets and a README, each with a time-limited download link. A retry
// writes the same keys again (the operation id is in the prefix), so the package is overwritten in place.
import { createHash, createHmac, type BinaryLike } from "node:crypto";
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { localCloudEnv } from "@cp/config/local-cloud";
import { SIZES, type InstanceConfig, type SizeId } from "@cp/core";
import { EngineError, type BackupArtifact } from "@cp/engine";
import { SignatureV4 } from "@smithy/signature-v4";

/** SigV4 presigned URLs cannot outlive a week. */
const MAX_LINK_SECONDS = 7 * 24 * 3600;

export interface ExportFile {
  name: string;
  key: string;
  bytes: number;
  url: string;
  expiresAt: string;
}

/** What the operation keeps of its export (in its params, under `export`): where it is and the links. */
export interface ExportRecord {
  location: string;
  bucket: string;
  prefix: string;
  createdAt: string;
  expiresAt: string;
  files: ExportFile[];
}

/** The provider's storage that holds a backup: the bucket, the backup's prefix, and a client that reaches it. */
export interface BackupStore {
  client: S3Client;
  bucket: string;
  prefix: string;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The store of a backup made by a driver that keeps dumps in S3 (the local cloud). Snapshot-based drivers (RDS, Cloud
 * SQL) have no dump object to hand over: their exports need the snapshot exported first, which is not automated.
 */
export function backupStoreOf(artifact: BackupArtifact): BackupStore {
  const m = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(artifact.location);
  if (artifact.driver !== "local" || !m) {
    throw new EngineError(
      "FAILED",
      `Backups of this instance are ${artifact.driver} snapshots, not dump objects in S3; an export package can ` +
        "only be made from a dump. Ask an SRE to export the snapshot to S3 and hand it over.",
      false,
    );
  }
  const cloud = localCloudEnv();
  const region = "us-east-1";
  const credentials = { accessKeyId: cloud.s3.accessKeyId, secretAccessKey: cloud.s3.secretAccessKey };
  return {
    client: new S3Client({ endpoint: cloud.s3.endpoint, region, forcePathStyle: true, credentials }),
    bucket: m[1]!,
    prefix: `${m[2]!}/`,
    endpoint: cloud.s3.endpoint,
    region,
    credentials,
  };
}

async function getJson<T>(store: BackupStore, key: string): Promise<T | null> {
  try {
    const out = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString()) as T;
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchKey") return null;
    throw err;
  }
}

/** The backup's manifests as the local cloud writes them (apps/local-cloud/src/backup-layout.ts). */
interface BackupManifest {
  mysqlVersion: string;
  database: { key: string; sizeBytes: number; sha256: string; compression?: "zstd" | "none" };
}
interface BucketManifest {
  bucket: string;
  mode: "provider" | "byob";
  listedAt: string;
  objects: { key: string; size: number; etag: string }[];
}

export interface ExportSource {
  instance: {
    id: string;
    name: string;
    slug: string;
    cloud: string;
    region: string;
    size: string;
    mysqlVersion: string;
    version: string | null;
    config: InstanceConfig;
    outputs: { bucket?: string; databaseName?: string } | null;
  };
  backup: { id: string; completedAt: Date | null; artifact: BackupArtifact };
  operationId: string;
  deploymentName: string;
  /** When the provider removes the instance's data (bucket included): the handoff must be done before. */
  dataKeptUntil: Date;
  linkTtlHours: number;
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Writes the export package and signs a download link per file. */
export async function writeExport(src: ExportSource, log: (message: string) => void): Promise<ExportRecord> {
  const store = backupStoreOf(src.backup.artifact);
  try {
    const prefix = `exports/${src.instance.id}/${src.operationId}/`;
    const manifest = await getJson<BackupManifest>(store, `${store.prefix}manifest.json`);
    if (!manifest) {
      throw new EngineError(
        "FAILED",
        `Backup ${src.backup.id} has no manifest in s3://${store.bucket}/${store.prefix} (it was removed?).`,
        false,
      );
    }
    const compressed = (manifest.database.compression ?? "none") === "zstd";
    const dumpName = compressed ? "database.sql.zst" : "database.sql";
    // Server-side: the dump is not downloaded through the control plane, and stays byte-for-byte what was verified.
    await store.client.send(
      new CopyObjectCommand({
        Bucket: store.bucket,
        Key: `${prefix}${dumpName}`,
        CopySource: encodeURI(`${store.bucket}/${store.prefix}${manifest.database.key}`),
      }),
    );
    const head = await store.client.send(
      new HeadObjectCommand({ Bucket: store.bucket, Key: `${prefix}${dumpName}` }),
    );
    if (head.ContentLength !== manifest.database.sizeBytes) {
      throw new EngineError(
        "FAILED",
        `The copied dump has ${head.ContentLength ?? "?"} bytes, the backup ${manifest.database.sizeBytes}; try again.`,
        true,
      );
    }
    log(`Copied the verified dump (${manifest.database.sizeBytes} bytes) to s3://${store.bucket}/${prefix}.`);
    const bucketManifest = src.backup.artifact.bucketManifest
      ? await getJson<BucketManifest>(store, `${store.prefix}bucket-manifest.json`)
      : null;
    const bodies: [string, string, string][] = [
      ["bucket-handoff.json", json(bucketHandoff(src, bucketManifest)), "application/json"],
      ["config.json", json(exportConfig(src, manifest, dumpName)), "application/json"],
      ["README.txt", readme(src, manifest, dumpName), "text/plain; charset=utf-8"],
    ];
    for (const [name, body, contentType] of bodies) {
      await store.client.send(
        new PutObjectCommand({
          Bucket: store.bucket,
          Key: `${prefix}${name}`,
          Body: body,
          ContentType: contentType,
        }),
      );
    }
    const ttl = Math.min(src.linkTtlHours * 3600, MAX_LINK_SECONDS);
    if (ttl < src.linkTtlHours * 3600) log("Download links are capped at 7 days (the longest S3 allows).");
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
    const sizes: [string, number][] = [
      [dumpName, manifest.database.sizeBytes],
      ...bodies.map(([name, body]): [string, number] => [name, Buffer.byteLength(body)]),
    ];
    const files: ExportFile[] = [];
    for (const [name, bytes] of sizes) {
      const key = `${prefix}${name}`;
      files.push({ name, key, bytes, url: await presignGet(store, key, ttl, now), expiresAt });
    }
    log(`Wrote ${files.length} files; download links are valid until ${expiresAt}.`);
    return {
      location: `s3://${store.bucket}/${prefix}`,
      bucket: store.bucket,
      prefix,
      createdAt: now.toISOString(),
      expiresAt,
      files,
    };
  } finally {
    store.client.destroy();
  }
}

function bucketHandoff(src: ExportSource, manifest: BucketManifest | null) {
  const config = src.instance.config;
  const byob = config.storage.mode === "byob" ? config.storage : null;
  const bucket = byob?.bucket ?? manifest?.bucket ?? src.instance.outputs?.bucket ?? null;
  const objects = manifest?.objects ?? [];
  const totals = { objects: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0) };
  const until = src.dataKeptUntil.toISOString();
  return {
    format: 1,
    source: {
      bucket,
      owner: byob ? "customer" : "provider",
      region: byob?.region ?? src.instance.region,
      listedAt: manifest?.listedAt ?? null,
    },
    ...totals,
    steps: byob
      ? [
          `The bucket ${bucket} is already yours: point the customer-managed deployment's object storage at it.`,
          "Nothing needs copying; the objects listed below are what the instance had when the final backup was taken.",
        ]
      : [
          "Create the bucket of your customer-managed deployment (see the install template's storage settings).",
          `Ask provider support for read-only credentials to ${bucket}; they are issued until ${until}, when the ` +
            "dedicated instance's data is removed.",
          "Copy the objects with one of the commands below (profile `provider` holds those credentials, `customer` " +
            "yours).",
          `Check the copy: it should hold ${totals.objects} objects, ${totals.bytes} bytes (objects written after ` +
            "the final backup are copied too).",
          "Point the deployment's object storage at your bucket.",
        ],
    commands: byob
      ? {}
      : {
          awsCli: `aws s3 sync s3://${bucket} s3://YOUR-BUCKET --source-region ${src.instance.region} --profile provider`,
          rclone: `rclone copy provider:${bucket} customer:YOUR-BUCKET --checksum --progress`,
          verify: "aws s3 ls s3://YOUR-BUCKET --recursive --summarize | tail -2",
        },
    objectsList: objects.map((o) => ({ key: o.key, size: o.size, etag: o.etag })),
  };
}

/** The instance's settings a customer-managed deployment needs. Built field by field: nothing secret is copied. */
function exportConfig(src: ExportSource, manifest: BackupManifest, dumpName: string) {
  const { instance, backup } = src;
  const config = instance.config;
  const storage = config.storage;
  const sso = config.sso;
  const size = SIZES[instance.size as SizeId];
  return {
    format: 1,
    exportedAt: new Date().toISOString(),
    deploymentName: src.deploymentName,
    source: { instanceId: instance.id, name: instance.name, slug: instance.slug },
    version: instance.version,
    mysqlVersion: instance.mysqlVersion,
    size: { id: instance.size, label: size?.label ?? instance.size },
    cloud: instance.cloud,
    region: instance.region,
    storage:
      storage.mode === "byob"
        ? {
            mode: "byob",
            bucket: storage.bucket,
            region: storage.region,
            endpoint: storage.endpoint ?? null,
            kmsKeyId: storage.kmsKeyId ?? null,
            access: storage.access.kind,
          }
        : { mode: "provider", bucket: instance.outputs?.bucket ?? null },
    sso:
      sso.mode === "oidc"
        ? {
            mode: "oidc",
            issuer: sso.issuer,
            clientId: sso.clientId,
            flow: sso.flow,
            clientSecret: "not exported: set your identity provider's client secret in the deployment",
          }
        : {
            mode: "provider",
            note: "The provider's sign-in does not carry over: configure your own OIDC issuer.",
          },
    reliability: {
      externalRedis: config.reliability.externalRedis,
      rateLimits: { ...config.reliability.rateLimits },
    },
    ipAllowlist: [...(config.ipAllowlist ?? [])],
    database: {
      name: instance.outputs?.databaseName ?? null,
      dump: dumpName,
      compression: dumpName.endsWith(".zst") ? "zstd" : "none",
      sizeBytes: manifest.database.sizeBytes,
      sha256: manifest.database.sha256,
      serverVersion: manifest.mysqlVersion,
      tables: backup.artifact.tables ?? [],
    },
    backup: { id: backup.id, takenAt: backup.completedAt?.toISOString() ?? null },
  };
}

function readme(src: ExportSource, manifest: BackupManifest, dumpName: string): string {
  const zst = dumpName.endsWith(".zst");
  const tables = src.backup.artifact.tables ?? [];
  return [
    `Export of ${src.instance.name} for the customer-managed deployment "${src.deploymentName}"`,
    "",
    "Files",
    `  ${dumpName}  the database (mariadb-dump --single-transaction${zst ? ", zstd-compressed" : ""}),`,
    `      SHA-256 ${manifest.database.sha256}, ${manifest.database.sizeBytes} bytes`,
    "  bucket-handoff.json  the instance bucket's objects and how to copy them",
    "  config.json          the instance's settings (no secrets: set your own SSO client secret and keys)",
    "",
    "Restore the database (MySQL 5.7/8.0 or MariaDB; an empty database first)",
    `  1. Check the download:  sha256sum ${dumpName}`,
    "  2. Create the database:",
    '       mysql -h DB_HOST -u DB_USER -p -e "CREATE DATABASE wandb CHARACTER SET utf8mb4"',
    "  3. Load it:",
    zst
      ? `       zstd -dc ${dumpName} | mysql -h DB_HOST -u DB_USER -p wandb`
      : `       mysql -h DB_HOST -u DB_USER -p wandb < ${dumpName}`,
    "     (or decompress first with `zstd -d` and load the .sql file). If the load stops at a DEFINER clause, load",
    "     as an account with SET_USER_ID / SUPER, or remove the DEFINER clauses from the SQL.",
    "  4. Compare the row counts with these (SELECT COUNT(*) FROM <table>):",
    ...tables.map((t) => `       ${t.name}: ${t.rows}`),
    "",
    "Then copy the bucket (bucket-handoff.json) and install with your deployment's template and license.",
    `The dedicated instance is stopped, and its data removed after ${src.dataKeptUntil.toISOString()}.`,
    "",
  ].join("\n");
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (d: SourceData): BinaryLike =>
  typeof d === "string"
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);

/** node:crypto as the SHA-256 (and HMAC) the signer asks for. */
class NodeSha256 {
  private hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac("sha256", bytesOf(secret)) : createHash("sha256");
  }
  update(data: SourceData) {
    this.hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset() {}
}

/**
 * A presigned GET (SigV4 query auth), made with the signer the AWS SDK itself uses. Where @aws-sdk/s3-request-presigner
 * is installed, `getSignedUrl(client, new GetObjectCommand(...), { expiresIn })` is the same thing.
 */
async function presignGet(store: BackupStore, key: string, expiresIn: number, now: Date): Promise<string> {
  const endpoint = new URL(store.endpoint);
  const path = `${endpoint.pathname.replace(/\/+$/, "")}/${store.bucket}/${key
    .split("/")
    .map(encodeURIComponent)
    .join("/")}`;
  const signer = new SignatureV4({
    service: "s3",
    region: store.region,
    credentials: store.credentials,
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const signed = await signer.presign(
    {
      method: "GET",
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path,
      query: {},
      // As the SDK's presigner does: S3 expects presigned requests to leave the payload unsigned.
      headers: { host: endpoint.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    },
    { expiresIn, signingDate: now },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join("&");
  return `${endpoint.protocol}//${endpoint.host}${path}?${query}`;
}
