// The real S3Client against recorded S3 answers (testing/recorded-s3.ts): the SDK serializes the requests and
// parses the documented XML itself; only the transport is replaced.
import { describe, expect, it } from "vitest";
import {
  checkS3Bucket,
  normalizeS3Location,
  sameKmsKey,
  type S3BucketInput,
  type S3CheckOptions,
} from "./s3";
import { rootElement } from "./s3-errors";
import { passingAnswers, recordedS3, S3_ANSWERS, type Answers } from "./testing/recorded-s3";
import type { BucketCheckResult } from "./types";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";

const INPUT: S3BucketInput = {
  bucket: "acme-ml",
  region: "eu-west-1",
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: SECRET },
};

async function run(overrides: Answers = {}, input: Partial<S3BucketInput> = {}, opts: S3CheckOptions = {}) {
  const s3 = recordedS3("acme-ml", { ...passingAnswers(), ...overrides });
  const results = await checkS3Bucket({ ...INPUT, ...input }, { requestHandler: s3.handler, ...opts });
  expect(JSON.stringify(results)).not.toContain(SECRET);
  const check = (id: BucketCheckResult["id"]) => results.find((r) => r.id === id)!;
  return { results, check, seen: s3.seen };
}

describe("checkS3Bucket with recorded S3 answers", () => {
  it("passes a bucket that meets every requirement, asking each API once", async () => {
    const { results, seen } = await run();
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ["exists", "passed"],
      ["region", "passed"],
      ["versioning", "passed"],
      ["cors", "passed"],
      ["encryption", "passed"],
      ["probe-write", "passed"],
      ["probe-read", "passed"],
      ["probe-delete", "passed"],
    ]);
    expect(seen.map((r) => r.op)).toEqual([
      "HeadBucket",
      "GetBucketLocation",
      "GetBucketVersioning",
      "GetBucketCors",
      "GetBucketEncryption",
      "PutObject",
      "GetObject",
      "DeleteObject",
      "DeleteObject",
    ]);
    // The probe lives under its own prefix; in a versioned bucket its version is removed too.
    const put = seen.find((r) => r.op === "PutObject")!;
    expect(put.path).toMatch(/^\/\.control-plane-probe\/\d+-[0-9a-f-]{36}\.txt$/);
    expect(seen.at(-1)!.query).toMatchObject({ versionId: "v1" });
  });

  describe("versioning", () => {
    it("fails when suspended, with the command that enables it", async () => {
      const { check } = await run({ GetBucketVersioning: S3_ANSWERS.versioning("Suspended") });
      expect(check("versioning")).toEqual({
        id: "versioning",
        label: "Versioning is enabled",
        status: "failed",
        message: "Versioning is suspended: deleted or overwritten objects cannot be recovered.",
        fixHint:
          "Enable versioning: aws s3api put-bucket-versioning --bucket acme-ml --versioning-configuration " +
          "Status=Enabled",
      });
    });

    it("fails when never enabled (an empty VersioningConfiguration)", async () => {
      const { check } = await run({ GetBucketVersioning: S3_ANSWERS.versioning() });
      expect(check("versioning").status).toBe("failed");
      expect(check("versioning").message).toMatch(/^Versioning has never been enabled/);
    });

    it("is unverifiable when the service answers with a listing instead (s3rver)", async () => {
      const { check } = await run({ GetBucketVersioning: S3_ANSWERS.listing("acme-ml") });
      expect(check("versioning")).toMatchObject({
        status: "unverifiable",
        message:
          "Could not be verified: the storage service answered GetBucketVersioning with an answer that is not a " +
          "valid response (expected <VersioningConfiguration>, got <ListBucketResult>). Staff can accept this warning.",
      });
    });

    it("is unverifiable when not implemented, or not readable with these credentials", async () => {
      const notImplemented = await run({ GetBucketVersioning: S3_ANSWERS.error(501, "NotImplemented") });
      expect(notImplemented.check("versioning")).toMatchObject({
        status: "unverifiable",
        message: expect.stringMatching(
          /does not implement GetBucketVersioning \(NotImplemented \(HTTP 501\)\)/,
        ),
      });
      const denied = await run({
        GetBucketVersioning: S3_ANSWERS.error(403, "AccessDenied", "Access Denied"),
      });
      expect(denied.check("versioning")).toMatchObject({
        status: "unverifiable",
        message: expect.stringMatching(/may not read this setting \(AccessDenied \(HTTP 403\)\)/),
        fixHint: "Grant s3:GetBucketVersioning on arn:aws:s3:::acme-ml so it can be checked.",
      });
    });
  });

  describe("encryption", () => {
    it("passes SSE-KMS with the ordered key, named by ARN or by id", async () => {
      for (const [configured, ordered] of [
        [KEY_ARN, KEY_ID],
        [KEY_ID, KEY_ARN],
        [KEY_ARN, KEY_ARN],
      ]) {
        const { check } = await run(
          { GetBucketEncryption: S3_ANSWERS.encryption("aws:kms", configured) },
          { kmsKeyId: ordered },
        );
        expect(check("encryption")).toMatchObject({
          status: "passed",
          message: `Default encryption is SSE-KMS (aws:kms) with key ${configured}, as ordered.`,
        });
      }
    });

    it("fails SSE-KMS with another key, and SSE-S3, when a KMS key is ordered", async () => {
      const other = await run(
        {
          GetBucketEncryption: S3_ANSWERS.encryption(
            "aws:kms",
            "arn:aws:kms:eu-west-1:111122223333:key/other",
          ),
        },
        { kmsKeyId: KEY_ARN },
      );
      expect(other.check("encryption")).toMatchObject({
        status: "failed",
        message:
          "Default encryption is SSE-KMS (aws:kms) with key arn:aws:kms:eu-west-1:111122223333:key/other, but the " +
          `order requires SSE-KMS with key ${KEY_ARN}.`,
        fixHint:
          "Set default encryption: aws s3api put-bucket-encryption --bucket acme-ml " +
          `--server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":` +
          `{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"${KEY_ARN}"},"BucketKeyEnabled":true}]}'`,
      });
      const sseS3 = await run(
        { GetBucketEncryption: S3_ANSWERS.encryption("AES256") },
        { kmsKeyId: KEY_ARN },
      );
      expect(sseS3.check("encryption").status).toBe("failed");
      expect(sseS3.check("encryption").message).toMatch(
        /^Default encryption is SSE-S3 \(AES256\), but the order/,
      );
      const awsManaged = await run(
        { GetBucketEncryption: S3_ANSWERS.encryption("aws:kms") },
        { kmsKeyId: KEY_ARN },
      );
      expect(awsManaged.check("encryption").message).toMatch(
        /with the AWS managed key aws\/s3, but the order/,
      );
    });

    it("passes SSE-S3 when no key is ordered", async () => {
      const { check } = await run({ GetBucketEncryption: S3_ANSWERS.encryption("AES256") });
      expect(check("encryption")).toMatchObject({
        status: "passed",
        message: "Default encryption is SSE-S3 (AES256).",
      });
    });

    it("fails a bucket without default encryption (ServerSideEncryptionConfigurationNotFoundError)", async () => {
      const { check } = await run({ GetBucketEncryption: S3_ANSWERS.encryptionNotFound() });
      expect(check("encryption")).toMatchObject({
        status: "failed",
        message: "The bucket has no default encryption.",
        fixHint: expect.stringContaining('"SSEAlgorithm":"AES256"'),
      });
    });

    it("is unverifiable when the service does not implement it", async () => {
      const { check } = await run({
        GetBucketEncryption: S3_ANSWERS.error(
          501,
          "NotImplemented",
          "A parameter you provided implies functionality that is not implemented",
        ),
      });
      expect(check("encryption").status).toBe("unverifiable");
    });
  });

  describe("region", () => {
    it("reads us-east-1 from an empty LocationConstraint and eu-west-1 from EU", async () => {
      const east = await run({ GetBucketLocation: S3_ANSWERS.location("") }, { region: "us-east-1" });
      expect(east.check("region")).toMatchObject({
        status: "passed",
        message: "The bucket is in us-east-1.",
      });
      const eu = await run({ GetBucketLocation: S3_ANSWERS.location("EU") });
      expect(eu.check("region").status).toBe("passed");
      const wrong = await run({ GetBucketLocation: S3_ANSWERS.location("ap-south-1") });
      expect(wrong.check("region")).toMatchObject({
        status: "failed",
        message: "The bucket is in ap-south-1, but eu-west-1 was entered.",
      });
    });

    it("falls back to HeadBucket's region header when GetBucketLocation is denied", async () => {
      const { check } = await run({
        HeadBucket: S3_ANSWERS.ok({ "x-amz-bucket-region": "us-west-2" }),
        GetBucketLocation: S3_ANSWERS.error(403, "AccessDenied"),
      });
      expect(check("region")).toMatchObject({
        status: "failed",
        message: "The bucket is in us-west-2, but eu-west-1 was entered.",
      });
    });

    it("reports a bucket in another region (HTTP 301) and skips the rest", async () => {
      const { results } = await run({
        HeadBucket: { status: 301, headers: { "x-amz-bucket-region": "eu-central-1" } },
      });
      expect(results[0]).toMatchObject({
        status: "passed",
        message: 'Bucket "acme-ml" exists, in region eu-central-1.',
      });
      expect(results[1]).toMatchObject({
        status: "failed",
        fixHint: "Enter region eu-central-1, or use a bucket in eu-west-1.",
      });
      expect(results[2]!.message).toMatch(/skipped because the bucket is in eu-central-1, not eu-west-1/);
    });
  });

  describe("existence", () => {
    it("fails a missing bucket and skips the rest as unverifiable", async () => {
      const { results, seen } = await run({ HeadBucket: { status: 404 } });
      expect(results[0]).toMatchObject({
        status: "failed",
        message: 'Bucket "acme-ml" does not exist in eu-west-1.',
      });
      expect(results.slice(1).map((r) => r.status)).toEqual(Array(7).fill("unverifiable"));
      expect(seen.map((r) => r.op)).toEqual(["HeadBucket"]);
    });

    it("fails a refused key with the permissions to grant", async () => {
      const { results } = await run({ HeadBucket: { status: 403 } });
      expect(results[0]).toMatchObject({
        status: "failed",
        fixHint: expect.stringContaining("s3:ListBucket and s3:GetBucketLocation on arn:aws:s3:::acme-ml"),
      });
    });
  });

  describe("probe object", () => {
    it("fails a write that is denied, still tries to delete, and skips the read", async () => {
      const { check, seen } = await run({
        PutObject: S3_ANSWERS.error(403, "AccessDenied", "Access Denied"),
      });
      expect(check("probe-write")).toMatchObject({
        status: "failed",
        message: expect.stringMatching(/could not be written: AccessDenied \(HTTP 403\)\.$/),
        fixHint: "Grant the access key s3:PutObject on arn:aws:s3:::acme-ml/*.",
      });
      expect(check("probe-read").status).toBe("unverifiable");
      expect(check("probe-delete").status).toBe("unverifiable");
      expect(seen.map((r) => r.op).slice(-2)).toEqual(["PutObject", "DeleteObject"]);
    });

    it("fails a read-back that differs from what was written", async () => {
      const { check } = await run({ GetObject: S3_ANSWERS.object("something else") });
      expect(check("probe-read")).toMatchObject({
        status: "failed",
        message: expect.stringMatching(/differs from what was written/),
      });
      expect(check("probe-delete").status).toBe("passed");
    });

    it("fails a delete that is denied and says the object is still there", async () => {
      const { check } = await run({ DeleteObject: S3_ANSWERS.error(403, "AccessDenied") });
      expect(check("probe-delete")).toMatchObject({
        status: "failed",
        message: expect.stringMatching(
          /could not be deleted: AccessDenied \(HTTP 403\); it is still in the bucket\.$/,
        ),
      });
    });
  });

  describe("role access", () => {
    it("fails when the injected assumeRole is refused", async () => {
      const { results, seen } = await run(
        {},
        { credentials: { roleArn: "arn:aws:iam::111122223333:role/ml" } },
        {
          assumeRole: async () => {
            throw Object.assign(new Error("not authorized"), {
              name: "AccessDenied",
              $metadata: { httpStatusCode: 403 },
            });
          },
        },
      );
      expect(results[0]).toMatchObject({
        status: "failed",
        message:
          "The control plane could not assume the role arn:aws:iam::111122223333:role/ml: AccessDenied (HTTP 403).",
      });
      expect(seen).toEqual([]);
    });
  });
});

describe("helpers", () => {
  it("sameKmsKey matches ids, ARNs and aliases", () => {
    expect(sameKmsKey(KEY_ARN, KEY_ID)).toBe(true);
    expect(sameKmsKey("arn:aws:kms:eu-west-1:111122223333:alias/ml", "alias/ml")).toBe(true);
    expect(sameKmsKey(KEY_ARN, "alias/ml")).toBe(false);
  });

  it("normalizeS3Location", () => {
    expect(normalizeS3Location(undefined)).toBe("us-east-1");
    expect(normalizeS3Location("")).toBe("us-east-1");
    expect(normalizeS3Location("EU")).toBe("eu-west-1");
    expect(normalizeS3Location("ap-south-1")).toBe("ap-south-1");
  });

  it("rootElement skips the declaration and comments, and drops a prefix", () => {
    const bytes = (s: string) => new Uint8Array(Buffer.from(s));
    expect(rootElement(bytes('<?xml version="1.0"?>\n<!-- x --><VersioningConfiguration/>'))).toBe(
      "VersioningConfiguration",
    );
    expect(rootElement(bytes("<s3:CORSConfiguration>"))).toBe("CORSConfiguration");
    expect(rootElement(bytes("not xml"))).toBe("");
  });
});
