// Checks a customer's own S3 (or S3-compatible) bucket before it is used for a dedicated instance.
import { randomUUID } from "node:crypto";
import {
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { LookupFn } from "../network-guard";
import { answerText, describeS3Error, sendExpectingRoot, type S3Failure } from "./s3-errors";
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

export interface S3AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3RoleAccess {
  roleArn: string;
  externalId?: string;
}

export interface S3BucketInput {
  bucket: string;
  region: string;
  /** An S3-compatible service; unset means AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials: S3AccessKeys | S3RoleAccess;
  /** When set, default encryption must be SSE-KMS with this key (id, ARN or alias). */
  kmsKeyId?: string;
}

export interface S3CheckOptions {
  /** The endpoint is trusted (e.g. the local cloud's): skip the private-address guard. */
  allowPrivate?: boolean;
  /** Allowlist for the guard; default env().CP_ALLOWED_PRIVATE_HOSTS. */
  allow?: readonly string[];
  lookup?: LookupFn;
  /** Turns a role into temporary keys (STS AssumeRole). Without it, role access cannot be checked from here. */
  assumeRole?: (role: S3RoleAccess) => Promise<S3AccessKeys>;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** For tests: an HTTP handler that answers with recorded responses. */
  requestHandler?: S3ClientConfig["requestHandler"];
  /** For tests: the probe object's key. */
  probeKey?: string;
}

export const S3_CHECK_IDS: readonly BucketCheckId[] = [
  "exists",
  "region",
  "versioning",
  "cors",
  "encryption",
  "probe-write",
  "probe-read",
  "probe-delete",
];

export const PROBE_PREFIX = ".control-plane-probe/";

/** Runs every check; never throws for a bad bucket: each problem is a result. */
export async function checkS3Bucket(
  input: S3BucketInput,
  opts: S3CheckOptions = {},
): Promise<BucketCheckResult[]> {
  const keys = await accessKeys(input, opts);
  if ("results" in keys) return keys.results;
  const endpointProblem = await guardEndpoint(input.endpoint, opts, {
    field: "Bucket endpoint",
    fixHint: "Use the storage service's public endpoint.",
  });
  if (endpointProblem)
    return [endpointProblem, ...allUnverifiable(S3_CHECK_IDS.slice(1), SKIPPED_UNREACHABLE)];

  const client = new S3Client({
    region: input.region,
    endpoint: input.endpoint,
    forcePathStyle: input.forcePathStyle,
    credentials: keys.keys,
    maxAttempts: 2,
    // S3-compatible services often reject the newer default checksum headers; S3 does not need them here.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: opts.requestHandler ?? {
      connectionTimeout: opts.timeoutMs ?? 10_000,
      requestTimeout: opts.timeoutMs ?? 10_000,
    },
  });
  try {
    return await runChecks(client, input, opts);
  } finally {
    client.destroy();
  }
}

async function runChecks(
  client: S3Client,
  input: S3BucketInput,
  opts: S3CheckOptions,
): Promise<BucketCheckResult[]> {
  const head = await checkExists(client, input);
  if (head.result.status !== "passed") {
    return [head.result, ...allUnverifiable(S3_CHECK_IDS.slice(1), SKIPPED_UNREACHABLE)];
  }
  if (head.redirectedTo) {
    const why = `skipped because the bucket is in ${head.redirectedTo}, not ${input.region}`;
    return [
      head.result,
      regionResult(head.redirectedTo, input.region),
      ...allUnverifiable(S3_CHECK_IDS.slice(2), why),
    ];
  }
  return [
    head.result,
    await checkRegion(client, input, head.bucketRegion),
    await checkVersioning(client, input),
    await checkCors(client, input),
    await checkEncryption(client, input),
    ...(await probe(client, input, opts.probeKey ?? `${PROBE_PREFIX}${Date.now()}-${randomUUID()}.txt`)),
  ];
}

async function accessKeys(
  input: S3BucketInput,
  opts: S3CheckOptions,
): Promise<{ keys: S3AccessKeys } | { results: BucketCheckResult[] }> {
  const creds = input.credentials;
  if (!("roleArn" in creds)) return { keys: creds };
  if (!opts.assumeRole) {
    const why =
      `access is granted to the role ${creds.roleArn}, and the control plane cannot assume roles here (no AWS STS ` +
      `access configured), so the bucket was not contacted`;
    return { results: allUnverifiable(S3_CHECK_IDS, why) };
  }
  try {
    return { keys: await opts.assumeRole(creds) };
  } catch (err) {
    const f = describeS3Error(err);
    return {
      results: [
        failed(
          "exists",
          `The control plane could not assume the role ${creds.roleArn}: ${answerText(f)}.`,
          "Check that the role's trust policy allows the control plane's AWS principal (and the external id, when " +
            "one is set).",
        ),
        ...allUnverifiable(S3_CHECK_IDS.slice(1), SKIPPED_UNREACHABLE),
      ],
    };
  }
}

const where = (input: S3BucketInput) => (input.endpoint ? ` at ${input.endpoint}` : ` in ${input.region}`);

const bucketPolicyHint = (bucket: string) =>
  `Check the access key and secret, and grant the key s3:ListBucket and s3:GetBucketLocation on ` +
  `arn:aws:s3:::${bucket}, and s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::${bucket}/*.`;

async function checkExists(
  client: S3Client,
  input: S3BucketInput,
): Promise<{ result: BucketCheckResult; bucketRegion?: string; redirectedTo?: string }> {
  const name = `Bucket "${input.bucket}"`;
  try {
    const out = await client.send(new HeadBucketCommand({ Bucket: input.bucket }));
    return {
      result: passed("exists", `${name} exists and the credentials can reach it.`),
      bucketRegion: out.BucketRegion,
    };
  } catch (err) {
    const f = describeS3Error(err);
    const region = f.headers["x-amz-bucket-region"];
    if (f.status === 301 && region) {
      return { result: passed("exists", `${name} exists, in region ${region}.`), redirectedTo: region };
    }
    return { result: existsFailure(input, f) };
  }
}

function existsFailure(input: S3BucketInput, f: S3Failure): BucketCheckResult {
  const name = `Bucket "${input.bucket}"`;
  if (f.network) {
    return failed(
      "exists",
      `The storage service${where(input)} did not answer: ${answerText(f)}.`,
      "Check the endpoint URL, and that it is reachable from the internet.",
    );
  }
  if (f.status === 404) {
    return failed(
      "exists",
      `${name} does not exist${where(input)}.`,
      "Create the bucket, or correct its name and region.",
    );
  }
  if (f.status === 403) {
    return failed(
      "exists",
      `${name}: the credentials were refused (HTTP 403): the access key is unknown, or it may not list this bucket.`,
      bucketPolicyHint(input.bucket),
    );
  }
  return failed(
    "exists",
    `${name} could not be checked: the service answered ${answerText(f)}.`,
    "Check the bucket name, region and endpoint; if they are right, try again later.",
  );
}

/** AWS reports us-east-1 as an empty location and eu-west-1 as the legacy "EU". */
export function normalizeS3Location(constraint: string | null | undefined): string {
  if (!constraint) return "us-east-1";
  return constraint === "EU" ? "eu-west-1" : constraint;
}

function regionResult(actual: string, expected: string): BucketCheckResult {
  if (actual === expected) return passed("region", `The bucket is in ${actual}.`);
  return failed(
    "region",
    `The bucket is in ${actual}, but ${expected} was entered.`,
    `Enter region ${actual}, or use a bucket in ${expected}.`,
  );
}

async function checkRegion(
  client: S3Client,
  input: S3BucketInput,
  headRegion?: string,
): Promise<BucketCheckResult> {
  try {
    const cmd = new GetBucketLocationCommand({ Bucket: input.bucket });
    const out = await sendExpectingRoot(client, cmd, "LocationConstraint");
    return regionResult(normalizeS3Location(out.LocationConstraint), input.region);
  } catch (err) {
    if (headRegion) return regionResult(headRegion, input.region);
    return configReadFailure(
      "region",
      describeS3Error(err),
      "GetBucketLocation",
      "s3:GetBucketLocation",
      input,
    );
  }
}

/** A configuration the service would not or could not tell us: unverifiable, saying why. */
function configReadFailure(
  id: BucketCheckId,
  f: S3Failure,
  api: string,
  permission: string,
  input: S3BucketInput,
): BucketCheckResult {
  if (f.notImplemented)
    return unverifiable(id, `the storage service does not implement ${api} (${answerText(f)})`);
  if (f.unexpected) return unverifiable(id, `the storage service answered ${api} with ${answerText(f)}`);
  if (f.accessDenied) {
    return unverifiable(
      id,
      `the credentials may not read this setting (${answerText(f)})`,
      `Grant ${permission} on arn:aws:s3:::${input.bucket} so it can be checked.`,
    );
  }
  return unverifiable(id, `${api} answered ${answerText(f)}`);
}

const versioningHint = (bucket: string) =>
  `Enable versioning: aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`;

async function checkVersioning(client: S3Client, input: S3BucketInput): Promise<BucketCheckResult> {
  let status: string | undefined;
  try {
    const cmd = new GetBucketVersioningCommand({ Bucket: input.bucket });
    status = (await sendExpectingRoot(client, cmd, "VersioningConfiguration")).Status;
  } catch (err) {
    return configReadFailure(
      "versioning",
      describeS3Error(err),
      "GetBucketVersioning",
      "s3:GetBucketVersioning",
      input,
    );
  }
  if (status === "Enabled") return passed("versioning", "Versioning is enabled.");
  const found = status === "Suspended" ? "Versioning is suspended" : "Versioning has never been enabled";
  return failed(
    "versioning",
    `${found}: deleted or overwritten objects cannot be recovered.`,
    versioningHint(input.bucket),
  );
}

export const S3_CORS_RULE = {
  AllowedOrigins: ["*"],
  AllowedMethods: ["GET", "HEAD", "PUT"],
  AllowedHeaders: ["*"],
  ExposeHeaders: ["ETag"],
  MaxAgeSeconds: 3000,
};

const corsHint = (bucket: string) =>
  `Add this CORS rule: aws s3api put-bucket-cors --bucket ${bucket} --cors-configuration ` +
  `'${JSON.stringify({ CORSRules: [S3_CORS_RULE] })}'`;

async function checkCors(client: S3Client, input: S3BucketInput): Promise<BucketCheckResult> {
  let rules;
  try {
    const cmd = new GetBucketCorsCommand({ Bucket: input.bucket });
    rules = (await sendExpectingRoot(client, cmd, "CORSConfiguration")).CORSRules ?? [];
  } catch (err) {
    const f = describeS3Error(err);
    if (f.code === "NoSuchCORSConfiguration") {
      return failed(
        "cors",
        "The bucket has no CORS configuration: browsers cannot upload or download.",
        corsHint(input.bucket),
      );
    }
    return configReadFailure("cors", f, "GetBucketCors", "s3:GetBucketCORS", input);
  }
  const gaps = corsGaps(
    rules.map((r) => ({
      origins: r.AllowedOrigins ?? [],
      methods: r.AllowedMethods ?? [],
      exposedHeaders: r.ExposeHeaders ?? [],
    })),
  );
  if (gaps.length) {
    return failed(
      "cors",
      `CORS does not allow browser uploads and downloads: ${gaps.join("; ")}.`,
      corsHint(input.bucket),
    );
  }
  return passed("cors", "CORS allows GET, HEAD and PUT from any origin and exposes ETag.");
}

/** True when a KMS key reference (id, ARN, alias, alias ARN) names the expected one. */
export function sameKmsKey(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  const tail = (ref: string) => ref.replace(/^arn:[^:]+:kms:[^:]*:[^:]*:/, "").replace(/^key\//, "");
  return tail(actual) === tail(expected);
}

const encryptionHint = (input: S3BucketInput) => {
  const rule = input.kmsKeyId
    ? { SSEAlgorithm: "aws:kms", KMSMasterKeyID: input.kmsKeyId }
    : { SSEAlgorithm: "AES256" };
  const config = { Rules: [{ ApplyServerSideEncryptionByDefault: rule, BucketKeyEnabled: true }] };
  return (
    `Set default encryption: aws s3api put-bucket-encryption --bucket ${input.bucket} ` +
    `--server-side-encryption-configuration '${JSON.stringify(config)}'`
  );
};

async function checkEncryption(client: S3Client, input: S3BucketInput): Promise<BucketCheckResult> {
  let rule;
  try {
    const cmd = new GetBucketEncryptionCommand({ Bucket: input.bucket });
    const out = await sendExpectingRoot(client, cmd, "ServerSideEncryptionConfiguration");
    rule = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  } catch (err) {
    const f = describeS3Error(err);
    if (f.code !== "ServerSideEncryptionConfigurationNotFoundError") {
      return configReadFailure(
        "encryption",
        f,
        "GetBucketEncryption",
        "s3:GetEncryptionConfiguration",
        input,
      );
    }
  }
  if (!rule?.SSEAlgorithm) {
    return failed("encryption", "The bucket has no default encryption.", encryptionHint(input));
  }
  return encryptionResult(rule.SSEAlgorithm, rule.KMSMasterKeyID, input);
}

function encryptionResult(
  algorithm: string,
  keyId: string | undefined,
  input: S3BucketInput,
): BucketCheckResult {
  const kms = algorithm.startsWith("aws:kms");
  const found = kms
    ? `SSE-KMS (${algorithm}) with ${keyId ? `key ${keyId}` : "the AWS managed key aws/s3"}`
    : `SSE-S3 (${algorithm})`;
  if (!input.kmsKeyId) return passed("encryption", `Default encryption is ${found}.`);
  if (kms && keyId && sameKmsKey(keyId, input.kmsKeyId)) {
    return passed("encryption", `Default encryption is ${found}, as ordered.`);
  }
  return failed(
    "encryption",
    `Default encryption is ${found}, but the order requires SSE-KMS with key ${input.kmsKeyId}.`,
    encryptionHint(input),
  );
}

async function probe(client: S3Client, input: S3BucketInput, key: string): Promise<BucketCheckResult[]> {
  const content = `control-plane bucket check ${randomUUID()}`;
  const object = `Test object ${key}`;
  let versionId: string | undefined;
  try {
    const out = await client.send(
      new PutObjectCommand({ Bucket: input.bucket, Key: key, Body: content, ContentType: "text/plain" }),
    );
    versionId = out.VersionId;
  } catch (err) {
    await deleteQuietly(client, input.bucket, key);
    const why = "skipped because the test object could not be written";
    return [
      failed(
        "probe-write",
        `${object} could not be written: ${answerText(describeS3Error(err))}.`,
        objectHint(input, "s3:PutObject"),
      ),
      unverifiable("probe-read", why),
      unverifiable("probe-delete", why),
    ];
  }
  const read = await probeRead(client, input, key, content);
  const deleted = await probeDelete(client, input, key, versionId);
  return [passed("probe-write", `${object} was written.`), read, deleted];
}

async function probeRead(
  client: S3Client,
  input: S3BucketInput,
  key: string,
  content: string,
): Promise<BucketCheckResult> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: input.bucket, Key: key }));
    const body = (await out.Body?.transformToString("utf8")) ?? "";
    if (body === content) return passed("probe-read", "The test object was read back unchanged.");
    return failed(
      "probe-read",
      `The test object read back differs from what was written (${body.length} bytes instead of ${content.length}).`,
      "Check for a proxy or gateway that rewrites objects, or an object lifecycle/transform on the bucket.",
    );
  } catch (err) {
    return failed(
      "probe-read",
      `The test object could not be read back: ${answerText(describeS3Error(err))}.`,
      objectHint(input, "s3:GetObject (and kms:Decrypt on the bucket's KMS key, when it has one)"),
    );
  }
}

async function probeDelete(
  client: S3Client,
  input: S3BucketInput,
  key: string,
  versionId: string | undefined,
): Promise<BucketCheckResult> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: input.bucket, Key: key }));
  } catch (err) {
    return failed(
      "probe-delete",
      `The test object ${key} could not be deleted: ${answerText(describeS3Error(err))}; it is still in the bucket.`,
      objectHint(input, "s3:DeleteObject"),
    );
  }
  // In a versioned bucket the plain delete leaves a noncurrent version: remove it too when allowed.
  if (versionId) await deleteQuietly(client, input.bucket, key, versionId);
  return passed("probe-delete", "The test object was deleted.");
}

async function deleteQuietly(
  client: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  } catch {
    // Best effort: the check already reports what matters.
  }
}

const objectHint = (input: S3BucketInput, permission: string) =>
  `Grant the access key ${permission} on arn:aws:s3:::${input.bucket}/*.`;
