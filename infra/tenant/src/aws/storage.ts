// Object storage. Provider-hosted: an S3 bucket encrypted with the instance's key, versioned, private, with the CORS
// the application's browser uploads need. BYOB: no bucket; the application role is granted the customer's bucket.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TenantStorage } from "../input";
import type { AwsContext } from "./context";

export interface AwsStorage {
  /** The bucket the application uses (created here, or the customer's). */
  bucketName: pulumi.Output<string>;
}

export function createStorage(ctx: AwsContext, key: aws.kms.Key, appRole: aws.iam.Role): AwsStorage {
  const storage = ctx.input.storage;
  if (storage.mode === "byob") {
    grantCustomerBucket(ctx, storage, appRole);
    return { bucketName: pulumi.output(storage.bucket) };
  }
  return createBucket(ctx, key, appRole);
}

function createBucket(ctx: AwsContext, key: aws.kms.Key, appRole: aws.iam.Role): AwsStorage {
  const bucket = new aws.s3.Bucket(
    "bucket",
    {
      bucketPrefix: `${ctx.name("data", 37)}-`,
      // Only a teardown run may delete a bucket that still holds objects.
      forceDestroy: ctx.flags.teardown,
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.s3.BucketPublicAccessBlock(
    "bucket-public-access",
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    ctx.opts,
  );
  new aws.s3.BucketOwnershipControls(
    "bucket-ownership",
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    ctx.opts,
  );
  new aws.s3.BucketVersioning(
    "bucket-versioning",
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    ctx.opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    "bucket-encryption",
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
          bucketKeyEnabled: true,
        },
      ],
    },
    ctx.opts,
  );
  new aws.s3.BucketCorsConfiguration(
    "bucket-cors",
    {
      bucket: bucket.id,
      corsRules: [
        {
          allowedMethods: ["GET", "HEAD", "PUT"],
          allowedOrigins: ["*"],
          allowedHeaders: ["*"],
          exposeHeaders: ["ETag"],
          maxAgeSeconds: 3000,
        },
      ],
    },
    ctx.opts,
  );
  new aws.s3.BucketPolicy(
    "bucket-tls-only",
    {
      bucket: bucket.id,
      policy: bucket.arn.apply((arn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [arn, `${arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      ),
    },
    ctx.opts,
  );
  new aws.iam.RolePolicy(
    "app-bucket",
    {
      role: appRole.id,
      policy: pulumi
        .all([bucket.arn, key.arn])
        .apply(([bucketArn, keyArn]) => JSON.stringify(bucketPolicy(bucketArn, keyArn))),
    },
    ctx.opts,
  );
  return { bucketName: bucket.bucket };
}

function grantCustomerBucket(
  ctx: AwsContext,
  storage: Extract<TenantStorage, { mode: "byob" }>,
  appRole: aws.iam.Role,
): void {
  // A GCS bucket (or an S3-compatible endpoint) is reached with the credentials in the app secret; IAM has no say.
  if (storage.provider !== "s3" || storage.endpoint) return;
  const document = bucketPolicy(`arn:aws:s3:::${storage.bucket}`, customerKeyArn(storage));
  if (storage.access.kind === "role") {
    document.Statement.push({
      Effect: "Allow",
      Action: ["sts:AssumeRole"],
      Resource: [storage.access.roleArn],
    });
  }
  new aws.iam.RolePolicy(
    "app-customer-bucket",
    { role: appRole.id, policy: JSON.stringify(document) },
    ctx.opts,
  );
}

/** A bare key id is turned into an ARN in the bucket's region; any account, since the key is the customer's. */
function customerKeyArn(storage: Extract<TenantStorage, { mode: "byob" }>): string | undefined {
  const id = storage.kmsKeyId;
  if (!id) return undefined;
  return id.startsWith("arn:") ? id : `arn:aws:kms:${storage.region}:*:key/${id}`;
}

interface PolicyDocument {
  Version: "2012-10-17";
  Statement: { Effect: "Allow"; Action: string[]; Resource: string[] }[];
}

function bucketPolicy(bucketArn: string, keyArn: string | undefined): PolicyDocument {
  const document: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
        Resource: [bucketArn],
      },
      {
        Effect: "Allow",
        Action: [
          "s3:GetObject",
          "s3:GetObjectVersion",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ],
        Resource: [`${bucketArn}/*`],
      },
    ],
  };
  if (keyArn) {
    document.Statement.push({
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: [keyArn],
    });
  }
  return document;
}
