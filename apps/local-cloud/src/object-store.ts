// One bucket on an S3-compatible server, with what backups need: streaming multipart uploads, downloads, listings,
// copies and prefix deletes. Used for the backup bucket and, through the instance's own credentials, for the
// instance's bucket (provider-hosted, or the customer's when they gave keys).
import type { Readable } from "node:stream";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { BucketObject } from "./backup-layout";

export interface S3Access {
  /** Unset: the provider's default (AWS). */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const isMissing = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.name === "NotFound" ||
    err.name === "NoSuchKey" ||
    err.name === "NoSuchBucket" ||
    err.$metadata.httpStatusCode === 404);

/** Multipart settings for dumps: 16 MiB parts, 4 in flight (measured against s3rver; see scripts/bench/backup.ts). */
export const UPLOAD_PART_SIZE = 16 * 1024 * 1024;
export const UPLOAD_QUEUE_SIZE = 4;

export function s3Client(access: S3Access): S3Client {
  const client = new S3Client({
    ...(access.endpoint ? { endpoint: access.endpoint, forcePathStyle: true } : {}),
    region: access.region,
    credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
    maxAttempts: 3,
    // Integrity is checked end to end with the dump's own SHA-256; per-request CRCs only cost throughput here.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  // Nor a SHA-256 of every part for the signature (SigV4 allows an unsigned payload): one pass less over each byte.
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
      return next(args);
    },
    { step: "build", name: "unsignedPayload" },
  );
  return client;
}

/** Whether two accesses reach the same server with the same identity (then objects can be copied server-side). */
export function sameServer(a: S3Access, b: S3Access): boolean {
  return a.endpoint === b.endpoint && a.region === b.region && a.accessKeyId === b.accessKeyId;
}

export class ObjectStore {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** Creates the bucket unless it exists. Idempotent. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (err instanceof S3ServiceException && /BucketAlready(OwnedByYou|Exists)/.test(err.name)) return;
      throw err;
    }
  }

  /**
   * Streams `body` into `key` as a multipart upload. The object appears only when the upload completes; when `body`
   * fails (or `signal` aborts) the multipart upload is aborted and nothing is left under `key`.
   */
  async upload(
    key: string,
    body: Readable,
    options: { contentType?: string; partSize?: number; queueSize?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: options.contentType },
      partSize: options.partSize ?? UPLOAD_PART_SIZE,
      queueSize: options.queueSize ?? UPLOAD_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await upload.done();
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: `${JSON.stringify(value, null, 2)}\n`,
        ContentType: "application/json",
      }),
    );
  }

  /** The object's JSON, or null when it does not exist. */
  async getJson<T>(key: string): Promise<T | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await out.Body!.transformToString("utf8")) as T;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** A stream of the object and its size; throws (isMissing) when it does not exist. */
  async read(key: string, signal?: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: signal,
    });
    return { body: out.Body as Readable, size: out.ContentLength ?? null };
  }

  async head(key: string): Promise<{ size: number; etag: string } | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, etag: out.ETag ?? "" };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** Every object under `prefix` (the whole bucket without one), in key order. */
  async list(prefix?: string): Promise<BucketObject[]> {
    const objects: BucketObject[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          MaxKeys: 1000,
        }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        objects.push({
          key: o.Key,
          size: o.Size ?? 0,
          etag: o.ETag ?? "",
          lastModified: o.LastModified?.toISOString() ?? null,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Deletes every object under `prefix`; returns how many. Idempotent (a missing bucket or prefix deletes 0). */
  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix) throw new Error("deletePrefix: an empty prefix would delete the whole bucket");
    let deleted = 0;
    try {
      // Always list from the start: deleting while paging with continuation tokens could skip objects.
      for (;;) {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000 }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (!keys.length) return deleted;
        const out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        const failed = out.Errors?.[0];
        if (failed) {
          throw new Error(
            `could not delete ${failed.Key} from ${this.bucket}: ${failed.Code} ${failed.Message}`,
          );
        }
        deleted += keys.length;
      }
    } catch (err) {
      if (isMissing(err)) return deleted;
      throw err;
    }
  }

  /** Copies `key` of `source` here: server-side when both are on the same server as the same identity. */
  async copyFrom(source: ObjectStore, key: string, sameServerAccess: boolean): Promise<void> {
    if (sameServerAccess) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${source.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`,
        }),
      );
      return;
    }
    const { body } = await source.read(key);
    await this.upload(key, body);
  }
}
