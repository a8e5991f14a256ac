// Provider-hosted buckets on the local S3-compatible server (s3rver).
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";

export interface ObjectServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const isMissing = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.name === "NotFound" || err.name === "NoSuchBucket" || err.$metadata.httpStatusCode === 404);

export class Buckets {
  private readonly s3: S3Client;

  constructor(readonly server: ObjectServer) {
    this.s3 = new S3Client({
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      maxAttempts: 2,
    });
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.s3.send(new ListBucketsCommand({}), { abortSignal: signal });
  }

  async exists(bucket: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Creates the bucket unless it exists. Idempotent. */
  async ensure(bucket: string): Promise<void> {
    if (await this.exists(bucket)) return;
    try {
      await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (err instanceof S3ServiceException && /BucketAlready(OwnedByYou|Exists)/.test(err.name)) return;
      throw err;
    }
  }

  /** Deletes every object, then the bucket. Idempotent: a missing bucket is success. */
  async remove(bucket: string): Promise<void> {
    try {
      // Always list from the start: deleting while paging with continuation tokens could skip objects.
      for (;;) {
        const page: ListObjectsV2CommandOutput = await this.s3.send(
          new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (!keys.length) break;
        const out = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }),
        );
        const failed = out.Errors?.[0];
        if (failed)
          throw new Error(`could not delete ${failed.Key} from ${bucket}: ${failed.Code} ${failed.Message}`);
      }
      await this.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
  }

  async list(): Promise<string[]> {
    const out = await this.s3.send(new ListBucketsCommand({}));
    return (out.Buckets ?? []).map((b) => b.Name ?? "").filter(Boolean);
  }

  close(): void {
    this.s3.destroy();
  }
}
