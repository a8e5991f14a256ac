// The tenant's bucket: provider-hosted on the local S3-compatible server, or the customer's own (BYOB).
import {
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import type { TenantConfig } from "./config";

export class TenantStorage {
  private readonly s3: S3Client;
  readonly bucket: string;

  constructor(config: TenantConfig) {
    this.bucket = config.S3_BUCKET;
    this.s3 = new S3Client({
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      forcePathStyle: Boolean(config.S3_ENDPOINT),
      credentials:
        config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
          ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
          : undefined,
      maxAttempts: 2,
    });
  }

  async check(signal?: AbortSignal): Promise<void> {
    await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
  }

  async putFile(name: string, body: Buffer, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `files/${name}`,
        Body: body,
        ContentType: contentType,
      }),
    );
  }

  /** Sum of the sizes of every object in the bucket (paged). */
  async totalBytes(): Promise<{ bytes: number; objects: number }> {
    let bytes = 0;
    let objects = 0;
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token, MaxKeys: 1000 }),
      );
      for (const o of page.Contents ?? []) {
        bytes += o.Size ?? 0;
        objects += 1;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { bytes, objects };
  }

  close(): void {
    this.s3.destroy();
  }
}
