// Checks a customer's own Google Cloud Storage bucket before it is used for a dedicated instance.
import { randomUUID } from "node:crypto";
import { Storage, type Bucket, type StorageOptions } from "@google-cloud/storage";
import type { LookupFn } from "../network-guard";
import {
  allUnverifiable,
  corsGaps,
  failed,
  guardEndpoint,
  passed,
  SKIPPED_UNREACHABLE,
  unverifiable,
  type BucketCheckId,
  type BucketCheckResult,
} from "./types";

export interface GcsServiceAccountKey {
  clientEmail: string;
  privateKey: string;
}

export interface GcsAccessToken {
  accessToken: string;
}

export interface GcsBucketInput {
  bucket: string;
  /** As ordered, e.g. "EU", "US", "europe-west4" (compared case-insensitively). */
  location: string;
  credentials: GcsServiceAccountKey | GcsAccessToken;
  /** The JSON API's base, e.g. a private service connect endpoint; unset means storage.googleapis.com. */
  apiEndpoint?: string;
  /** When set, the bucket's default key must be this Cloud KMS key (projects/…/cryptoKeys/…). */
  kmsKeyName?: string;
}

export interface GcsCheckOptions {
  /** The endpoint is trusted (e.g. a test server): skip the private-address guard. */
  allowPrivate?: boolean;
  /** Allowlist for the guard; default env().CP_ALLOWED_PRIVATE_HOSTS. */
  allow?: readonly string[];
  lookup?: LookupFn;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** For tests: the probe object's name. */
  probeKey?: string;
}

export const GCS_CHECK_IDS: readonly BucketCheckId[] = [
  "exists",
  "region",
  "versioning",
  "uniform-access",
  "cors",
  "encryption",
  "probe-write",
  "probe-read",
  "probe-delete",
];

/** The parts of the bucket resource (storage/v1) the checks read. */
interface BucketResource {
  location?: string;
  versioning?: { enabled?: boolean };
  iamConfiguration?: { uniformBucketLevelAccess?: { enabled?: boolean } };
  cors?: { origin?: string[]; method?: string[]; responseHeader?: string[] }[];
  encryption?: { defaultKmsKeyName?: string };
}

/** Runs every check; never throws for a bad bucket: each problem is a result. */
export async function checkGcsBucket(
  input: GcsBucketInput,
  opts: GcsCheckOptions = {},
): Promise<BucketCheckResult[]> {
  const endpointProblem = await guardEndpoint(input.apiEndpoint, opts, {
    field: "Storage API endpoint",
    fixHint: "Use Google's public endpoint (leave the API endpoint empty).",
  });
  if (endpointProblem)
    return [endpointProblem, ...allUnverifiable(GCS_CHECK_IDS.slice(1), SKIPPED_UNREACHABLE)];
  const bucket = createStorage(input, opts).bucket(input.bucket);

  let metadata: BucketResource;
  try {
    [metadata] = (await bucket.getMetadata()) as unknown as [BucketResource];
  } catch (err) {
    return [
      existsFailure(input, describeGcsError(err)),
      ...allUnverifiable(GCS_CHECK_IDS.slice(1), SKIPPED_UNREACHABLE),
    ];
  }
  return [
    passed("exists", `Bucket "${input.bucket}" exists and the credentials can read it.`),
    checkLocation(metadata, input),
    checkVersioning(metadata, input),
    checkUniformAccess(metadata, input),
    checkCors(metadata, input),
    checkEncryption(metadata, input),
    ...(await probe(
      bucket,
      input,
      opts.probeKey ?? `.control-plane-probe/${Date.now()}-${randomUUID()}.txt`,
    )),
  ];
}

function createStorage(input: GcsBucketInput, opts: GcsCheckOptions): Storage {
  const creds = input.credentials;
  return new Storage({
    apiEndpoint: input.apiEndpoint,
    // A custom endpoint is still Google's API (or a stand-in for it): send the credentials there too.
    useAuthWithCustomEndpoint: true,
    timeout: opts.timeoutMs ?? 10_000,
    retryOptions: { autoRetry: true, maxRetries: 1, maxRetryDelay: 2, totalTimeout: 30 },
    ...("accessToken" in creds
      ? { authClient: fixedTokenAuthClient(creds.accessToken) }
      : { credentials: { client_email: creds.clientEmail, private_key: creds.privateKey } }),
  });
}

/**
 * The only part of an AuthClient the storage client uses to authorize requests (GoogleAuth.authorizeRequest calls
 * getRequestHeaders). A caller-provided token is used as is: no refresh, no metadata server, no OAuth traffic.
 */
function fixedTokenAuthClient(token: string): NonNullable<StorageOptions["authClient"]> {
  const client = {
    universeDomain: "googleapis.com",
    getRequestHeaders: async () => ({ Authorization: `Bearer ${token}` }),
    getAccessToken: async () => ({ token }),
  };
  return client as unknown as NonNullable<StorageOptions["authClient"]>;
}

interface GcsFailure {
  status: number | undefined;
  reason: string;
  network: boolean;
  /** The service's own message (names the missing permission); never carries credentials. */
  detail: string;
}

function describeGcsError(err: unknown): GcsFailure {
  const e = (err ?? {}) as { code?: unknown; message?: string; errors?: { reason?: string }[] };
  const status = typeof e.code === "number" ? e.code : undefined;
  const code = typeof e.code === "string" ? e.code : undefined;
  const reason = e.errors?.[0]?.reason ?? code ?? (status ? `HTTP ${status}` : "error");
  const detail = (e.message ?? "").replace(/\s+/g, " ").slice(0, 240);
  const network =
    !status && (Boolean(code && /^E[A-Z]+$/.test(code)) || /timeout|timed out|socket hang up/i.test(detail));
  return { status, reason, network, detail };
}

const failureText = (f: GcsFailure) =>
  f.status ? `HTTP ${f.status} ${f.reason}: ${f.detail}` : `${f.reason}: ${f.detail}`;

const ROLE_HINT = (bucket: string) =>
  `Grant the service account roles/storage.admin on gs://${bucket} (or a role with storage.buckets.get, ` +
  `storage.objects.create, storage.objects.get and storage.objects.delete).`;

function existsFailure(input: GcsBucketInput, f: GcsFailure): BucketCheckResult {
  const name = `Bucket "${input.bucket}"`;
  if (f.status === 404) {
    return failed("exists", `${name} does not exist.`, "Create the bucket, or correct its name.");
  }
  if (f.status === 401) {
    return failed(
      "exists",
      `The credentials were not accepted (HTTP 401): the token is invalid or has expired.`,
      "Provide a current access token or a service account key.",
    );
  }
  if (f.status === 403) {
    return failed(
      "exists",
      `${name}: the credentials were refused (${failureText(f)}).`,
      ROLE_HINT(input.bucket),
    );
  }
  if (f.network) {
    return failed(
      "exists",
      `The storage API did not answer (${f.reason}).`,
      "Check the API endpoint, and that it is reachable from the control plane.",
    );
  }
  if (!f.status && "privateKey" in input.credentials) {
    const why = f.reason.startsWith("ERR_OSSL") ? "the private key is not a valid PEM private key" : f.detail;
    return failed(
      "exists",
      `The service account key could not be used (${f.reason}): ${why}.`,
      "Paste the client_email and private_key of a current JSON key of the service account.",
    );
  }
  return failed("exists", `${name} could not be checked (${failureText(f)}).`, "Try again later.");
}

function checkLocation(meta: BucketResource, input: GcsBucketInput): BucketCheckResult {
  if (!meta.location) return unverifiable("region", "the storage API did not report the bucket's location");
  if (meta.location.toLowerCase() === input.location.toLowerCase()) {
    return passed("region", `The bucket is in ${meta.location}.`);
  }
  return failed(
    "region",
    `The bucket is in ${meta.location}, but ${input.location} was entered.`,
    `A bucket cannot move: enter location ${meta.location}, or use a bucket in ${input.location}.`,
  );
}

function checkVersioning(meta: BucketResource, input: GcsBucketInput): BucketCheckResult {
  // The API omits `versioning` for buckets that never had it.
  if (meta.versioning?.enabled === true) return passed("versioning", "Object versioning is enabled.");
  return failed(
    "versioning",
    "Object versioning is off: deleted or overwritten objects cannot be recovered.",
    `Enable it: gcloud storage buckets update gs://${input.bucket} --versioning`,
  );
}

function checkUniformAccess(meta: BucketResource, input: GcsBucketInput): BucketCheckResult {
  if (!meta.iamConfiguration) {
    return unverifiable("uniform-access", "the storage API did not report the bucket's iamConfiguration");
  }
  if (meta.iamConfiguration.uniformBucketLevelAccess?.enabled === true) {
    return passed(
      "uniform-access",
      "Uniform bucket-level access is enabled: access is governed by IAM only.",
    );
  }
  return failed(
    "uniform-access",
    "Uniform bucket-level access is off: object ACLs can grant access that IAM does not show.",
    `Enable it: gcloud storage buckets update gs://${input.bucket} --uniform-bucket-level-access`,
  );
}

export const GCS_CORS_RULE = {
  origin: ["*"],
  method: ["GET", "HEAD", "PUT"],
  responseHeader: ["ETag", "Content-Type"],
  maxAgeSeconds: 3600,
};

function checkCors(meta: BucketResource, input: GcsBucketInput): BucketCheckResult {
  const hint =
    `Save ${JSON.stringify([GCS_CORS_RULE])} as cors.json, then run: ` +
    `gcloud storage buckets update gs://${input.bucket} --cors-file=cors.json`;
  if (!meta.cors?.length) {
    return failed("cors", "The bucket has no CORS configuration: browsers cannot upload or download.", hint);
  }
  const gaps = corsGaps(
    meta.cors.map((c) => ({
      origins: c.origin ?? [],
      methods: c.method ?? [],
      exposedHeaders: c.responseHeader ?? [],
    })),
  );
  if (gaps.length)
    return failed("cors", `CORS does not allow browser uploads and downloads: ${gaps.join("; ")}.`, hint);
  return passed("cors", "CORS allows GET, HEAD and PUT from any origin and exposes ETag.");
}

function checkEncryption(meta: BucketResource, input: GcsBucketInput): BucketCheckResult {
  const key = meta.encryption?.defaultKmsKeyName;
  if (!input.kmsKeyName) {
    return passed(
      "encryption",
      key
        ? `Objects are encrypted with the customer-managed key ${key}.`
        : "Objects are encrypted with Google-managed keys (always on); no customer-managed key was ordered.",
    );
  }
  if (key === input.kmsKeyName)
    return passed("encryption", `The bucket's default key is ${key}, as ordered.`);
  return failed(
    "encryption",
    key
      ? `The bucket's default key is ${key}, but the order requires ${input.kmsKeyName}.`
      : `The bucket uses Google-managed keys, but the order requires the customer-managed key ${input.kmsKeyName}.`,
    `Grant the Cloud Storage service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on the key, then run: ` +
      `gcloud storage buckets update gs://${input.bucket} --default-encryption-key=${input.kmsKeyName}`,
  );
}

async function probe(bucket: Bucket, input: GcsBucketInput, key: string): Promise<BucketCheckResult[]> {
  const content = `control-plane bucket check ${randomUUID()}`;
  let generation: string | number | undefined;
  try {
    const file = bucket.file(key);
    await file.save(content, {
      resumable: false,
      contentType: "text/plain",
      preconditionOpts: { ifGenerationMatch: 0 },
    });
    generation = file.metadata.generation;
  } catch (err) {
    const why = "skipped because the test object could not be written";
    return [
      failed(
        "probe-write",
        `Test object ${key} could not be written (${failureText(describeGcsError(err))}).`,
        ROLE_HINT(input.bucket),
      ),
      unverifiable("probe-read", why),
      unverifiable("probe-delete", why),
    ];
  }
  const read = await probeRead(bucket, input, key, content);
  const deleted = await probeDelete(bucket, input, key, generation);
  return [passed("probe-write", `Test object ${key} was written.`), read, deleted];
}

async function probeRead(
  bucket: Bucket,
  input: GcsBucketInput,
  key: string,
  content: string,
): Promise<BucketCheckResult> {
  try {
    const [data] = await bucket.file(key).download();
    if (data.toString("utf8") === content)
      return passed("probe-read", "The test object was read back unchanged.");
    return failed(
      "probe-read",
      `The test object read back differs from what was written (${data.length} bytes instead of ${content.length}).`,
      "Check for a proxy or gateway between the control plane and the storage API that rewrites objects.",
    );
  } catch (err) {
    return failed(
      "probe-read",
      `The test object could not be read back (${failureText(describeGcsError(err))}).`,
      ROLE_HINT(input.bucket),
    );
  }
}

async function probeDelete(
  bucket: Bucket,
  input: GcsBucketInput,
  key: string,
  generation: string | number | undefined,
): Promise<BucketCheckResult> {
  try {
    // Deleting the generation removes it outright, so a versioned bucket keeps no noncurrent copy of the probe.
    await bucket.file(key, generation === undefined ? {} : { generation }).delete();
    return passed("probe-delete", "The test object was deleted.");
  } catch (err) {
    return failed(
      "probe-delete",
      `The test object ${key} could not be deleted (${failureText(describeGcsError(err))}); it is still in the bucket.`,
      ROLE_HINT(input.bucket),
    );
  }
}
