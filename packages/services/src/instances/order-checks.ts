// The checks an order must pass before it is accepted, and that customers can run on demand from the wizard.
import { env } from "@cp/config";
import type { OrderInput } from "@cp/core";
import { checkGcsBucket, checkOidcIssuer, checkS3Bucket, type BucketCheckResult } from "@cp/connectors";
import { db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";

export interface OrderCheckItem {
  id: string;
  label: string;
  status: "passed" | "failed" | "unverifiable";
  message: string;
  fixHint: string | null;
  /** The order field the check is about. */
  field: string;
}

export interface OrderChecks {
  items: OrderCheckItem[];
  /** Any failed check blocks the order. */
  blocking: boolean;
  /** Checks the service could not answer: staff may accept them. */
  warnings: number;
}

function allowPrivate(): string[] {
  return env()
    .CP_ALLOWED_PRIVATE_HOSTS.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

const asItems = (checks: BucketCheckResult[], field: string): OrderCheckItem[] =>
  checks.map((c) => ({
    id: c.id,
    label: c.label,
    status: c.status,
    message: c.message,
    fixHint: c.fixHint ?? null,
    field,
  }));

export async function checkBucket(
  cloud: OrderInput["cloud"],
  storage: OrderInput["storage"],
): Promise<OrderCheckItem[]> {
  if (storage.mode !== "byob") return [];
  if (cloud === "gcp") {
    if (storage.access.kind !== "keys") {
      return [
        {
          id: "access",
          label: "Access",
          status: "unverifiable",
          message:
            "Access through a service account is granted to the instance's own identity when it is created; it cannot be checked before then.",
          fixHint: "Grant roles/storage.objectAdmin on the bucket to the service account named in the order.",
          field: "storage.access",
        },
      ];
    }
    const credentials = {
      clientEmail: storage.access.accessKeyId,
      privateKey: storage.access.secretAccessKey,
    };
    const results = await checkGcsBucket(
      {
        bucket: storage.bucket,
        location: storage.region,
        credentials,
        apiEndpoint: storage.endpoint,
        kmsKeyName: storage.kmsKeyId,
      },
      { allow: allowPrivate() },
    );
    return asItems(results, "storage");
  }
  const credentials =
    storage.access.kind === "keys"
      ? { accessKeyId: storage.access.accessKeyId, secretAccessKey: storage.access.secretAccessKey }
      : storage.access.kind === "role"
        ? { roleArn: storage.access.roleArn }
        : null;
  if (!credentials) {
    return [
      {
        id: "access",
        label: "Access",
        status: "failed",
        message: "S3 buckets are reached with an IAM role or access keys.",
        fixHint: "Choose an IAM role or access keys.",
        field: "storage.access",
      },
    ];
  }
  const results = await checkS3Bucket(
    {
      bucket: storage.bucket,
      region: storage.region,
      endpoint: storage.endpoint,
      forcePathStyle: Boolean(storage.endpoint),
      credentials,
      kmsKeyId: storage.kmsKeyId,
    },
    { allow: allowPrivate() },
  );
  return asItems(results, "storage");
}

export async function checkIssuer(
  sso: OrderInput["sso"],
): Promise<{ items: OrderCheckItem[]; discovery: unknown }> {
  if (sso.mode !== "oidc") return { items: [], discovery: null };
  const r = await checkOidcIssuer(sso.issuer, {
    requirePkce: sso.flow === "pkce",
    requireImplicit: sso.flow === "implicit",
    allow: allowPrivate(),
  });
  const items: OrderCheckItem[] = r.ok
    ? [
        {
          id: "oidc",
          label: "OIDC issuer",
          status: "passed",
          message: `Found ${r.issuer}.`,
          fixHint: null,
          field: "sso.issuer",
        },
      ]
    : [
        {
          id: "oidc",
          label: "OIDC issuer",
          status: "failed",
          message: r.problems.join(" "),
          fixHint: "Check the issuer URL (it must serve /.well-known/openid-configuration).",
          field: "sso.issuer",
        },
      ];
  return { items, discovery: r };
}

export async function runOrderChecks(order: OrderInput): Promise<OrderChecks> {
  const [bucket, issuer] = await Promise.all([
    checkBucket(order.cloud, order.storage),
    checkIssuer(order.sso),
  ]);
  const items = [...bucket, ...issuer.items];
  return {
    items,
    blocking: items.some((i) => i.status === "failed"),
    warnings: items.filter((i) => i.status === "unverifiable").length,
  };
}

/** The wizard's on-demand bucket check: it touches the customer's bucket (a probe object), so it is audited. */
export async function runBucketCheck(
  ctx: ServiceContext,
  input: { orgId: string; cloud: OrderInput["cloud"]; storage: OrderInput["storage"] },
): Promise<OrderCheckItem[]> {
  const items = await checkBucket(input.cloud, input.storage);
  await recordAudit(db(), ctx, {
    action: "instance.check_bucket",
    targetType: "bucket",
    targetId: input.storage.mode === "byob" ? input.storage.bucket : null,
    orgId: input.orgId,
    after: { results: items.map((i) => `${i.id}:${i.status}`) },
  });
  return items;
}
