// Object storage. Provider-hosted: a GCS bucket in the instance's region, encrypted with the instance's key (CMEK),
// versioned, uniform bucket-level access, public access prevented, with the CORS the application's browser uploads
// need. BYOB: no bucket; the application's service account is granted the customer's bucket (and key).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { TenantStorage } from "../input";
import type { GcpContext } from "./context";

export interface GcpStorage {
  bucketName: pulumi.Output<string>;
}

export function createStorage(
  ctx: GcpContext,
  key: gcp.kms.CryptoKey,
  appServiceAccount: gcp.serviceaccount.Account,
): GcpStorage {
  const member = pulumi.interpolate`serviceAccount:${appServiceAccount.email}`;
  const storage = ctx.input.storage;
  if (storage.mode === "byob") {
    grantCustomerBucket(ctx, storage, member);
    return { bucketName: pulumi.output(storage.bucket) };
  }

  // GCS encrypts with the key through the project's storage service agent.
  const agent = gcp.storage.getProjectServiceAccountOutput(
    { project: ctx.project },
    { provider: ctx.provider },
  );
  const agentKeyAccess = new gcp.kms.CryptoKeyIAMMember(
    "storage-agent-key",
    {
      cryptoKeyId: key.id,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: pulumi.interpolate`serviceAccount:${agent.emailAddress}`,
    },
    ctx.opts,
  );
  const bucket = new gcp.storage.Bucket(
    "bucket",
    {
      name: ctx.name(`data-${ctx.unique}`),
      location: ctx.input.region.toUpperCase(),
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: key.id },
      cors: [
        {
          origins: ["*"],
          methods: ["GET", "HEAD", "PUT"],
          responseHeaders: ["ETag"],
          maxAgeSeconds: 3000,
        },
      ],
      // Only a teardown run may delete a bucket that still holds objects.
      forceDestroy: ctx.flags.teardown,
      labels: ctx.labels,
    },
    { ...ctx.opts, dependsOn: [agentKeyAccess] },
  );
  new gcp.storage.BucketIAMMember(
    "app-bucket",
    { bucket: bucket.name, role: "roles/storage.objectAdmin", member },
    ctx.opts,
  );
  return { bucketName: bucket.name };
}

function grantCustomerBucket(
  ctx: GcpContext,
  storage: Extract<TenantStorage, { mode: "byob" }>,
  member: pulumi.Output<string>,
): void {
  // An S3 bucket is reached with the credentials in the app secret; GCP IAM has no say.
  if (storage.provider !== "gcs") return;
  new gcp.storage.BucketIAMMember(
    "app-customer-bucket",
    { bucket: storage.bucket, role: "roles/storage.objectAdmin", member },
    ctx.opts,
  );
  if (storage.kmsKeyId) {
    new gcp.kms.CryptoKeyIAMMember(
      "app-customer-key",
      { cryptoKeyId: storage.kmsKeyId, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member },
      ctx.opts,
    );
  }
}
