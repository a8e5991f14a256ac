// Against a real S3-compatible server (s3rver, in-process on 127.0.0.1). s3rver cannot express versioning or default
// encryption (OFFLINE.md), so those two are expected to be unverifiable here; s3.test.ts covers their pass/fail logic
// with recorded S3 answers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkS3Bucket, type S3BucketInput } from "./s3";
import { summarizeChecks, type BucketCheckResult } from "./types";

const cors = (rule: string) => `<CORSConfiguration><CORSRule>${rule}</CORSRule></CORSConfiguration>`;
const methods = (...m: string[]) => m.map((x) => `<AllowedMethod>${x}</AllowedMethod>`).join("");
const GOOD_CORS = cors(
  `<AllowedOrigin>*</AllowedOrigin>${methods("GET", "HEAD", "PUT")}<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>`,
);

let dir: string;
let server: S3rver;
let endpoint: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "cp-s3rver-"));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: [
      { name: "good", configs: [GOOD_CORS] },
      { name: "no-cors" },
      {
        name: "cors-no-put",
        configs: [
          cors(`<AllowedOrigin>*</AllowedOrigin>${methods("GET", "HEAD")}<ExposeHeader>ETag</ExposeHeader>`),
        ],
      },
      {
        name: "cors-no-etag",
        configs: [cors(`<AllowedOrigin>*</AllowedOrigin>${methods("GET", "HEAD", "PUT")}`)],
      },
      {
        name: "cors-one-origin",
        configs: [
          cors(
            `<AllowedOrigin>https://app.example.com</AllowedOrigin>${methods("GET", "HEAD", "PUT")}<ExposeHeader>ETag</ExposeHeader>`,
          ),
        ],
      },
    ],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const input = (overrides: Partial<S3BucketInput> = {}): S3BucketInput => ({
  bucket: "good",
  region: "us-east-1",
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  ...overrides,
});

const byId = (results: BucketCheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));
const statuses = (results: BucketCheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r.status]));

describe("checkS3Bucket against s3rver", () => {
  it("passes a good bucket; versioning and encryption are unverifiable on s3rver", async () => {
    const probeKey = `.control-plane-probe/it-${Date.now()}.txt`;
    const results = await checkS3Bucket(input(), { allow: ["127.0.0.1"], probeKey });
    expect(statuses(results)).toEqual({
      exists: "passed",
      region: "passed",
      versioning: "unverifiable",
      cors: "passed",
      encryption: "unverifiable",
      "probe-write": "passed",
      "probe-read": "passed",
      "probe-delete": "passed",
    });
    const r = byId(results);
    expect(r.region!.message).toBe("The bucket is in us-east-1.");
    expect(r.versioning!.message).toBe(
      "Could not be verified: the storage service answered GetBucketVersioning with an answer that is not a valid " +
        "response (expected <VersioningConfiguration>, got <ListBucketResult>). Staff can accept this warning.",
    );
    expect(r.encryption!.message).toBe(
      "Could not be verified: the storage service does not implement GetBucketEncryption (NotImplemented " +
        "(HTTP 501)). Staff can accept this warning.",
    );
    expect(summarizeChecks(results)).toEqual({ blocking: false, warnings: 2 });

    // The probe object is gone.
    const client = new S3Client({
      region: "us-east-1",
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    await expect(client.send(new HeadObjectCommand({ Bucket: "good", Key: probeKey }))).rejects.toMatchObject(
      {
        $metadata: { httpStatusCode: 404 },
      },
    );
    client.destroy();
  });

  it("fails a missing bucket and skips the rest", async () => {
    const results = await checkS3Bucket(input({ bucket: "missing" }), { allowPrivate: true });
    expect(results[0]).toEqual({
      id: "exists",
      label: "Bucket exists and is reachable",
      status: "failed",
      message: `Bucket "missing" does not exist at ${endpoint}.`,
      fixHint: "Create the bucket, or correct its name and region.",
    });
    expect(results.slice(1).every((r) => r.status === "unverifiable")).toBe(true);
    expect(results[1]!.message).toBe(
      "Could not be verified: skipped because the bucket is not reachable. Staff can accept this warning.",
    );
    expect(summarizeChecks(results)).toEqual({ blocking: true, warnings: 7 });
  });

  it("fails a region that differs from the bucket's (s3rver reports every bucket in us-east-1)", async () => {
    const results = await checkS3Bucket(input({ region: "eu-west-1" }), { allowPrivate: true });
    expect(byId(results).region).toMatchObject({
      status: "failed",
      message: "The bucket is in us-east-1, but eu-west-1 was entered.",
      fixHint: "Enter region us-east-1, or use a bucket in eu-west-1.",
    });
  });

  it.each([
    ["no-cors", "The bucket has no CORS configuration: browsers cannot upload or download."],
    ["cors-no-put", "CORS does not allow browser uploads and downloads: no rule for any origin allows PUT."],
    [
      "cors-no-etag",
      "CORS does not allow browser uploads and downloads: the rule for GET, HEAD, PUT does not expose the ETag header.",
    ],
    [
      "cors-one-origin",
      'CORS does not allow browser uploads and downloads: no rule allows any origin ("*").',
    ],
  ])("fails CORS on %s with the rule to add", async (bucket, message) => {
    const results = await checkS3Bucket(input({ bucket }), { allowPrivate: true });
    const check = byId(results).cors!;
    expect(check.status).toBe("failed");
    expect(check.message).toBe(message);
    expect(check.fixHint).toBe(
      `Add this CORS rule: aws s3api put-bucket-cors --bucket ${bucket} --cors-configuration ` +
        `'{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD","PUT"],"AllowedHeaders":["*"],` +
        `"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}'`,
    );
    // The other checks still ran.
    expect(byId(results)["probe-read"]!.status).toBe("passed");
  });

  it("fails an unknown access key without revealing the secret", async () => {
    const results = await checkS3Bucket(
      input({ credentials: { accessKeyId: "NOT-A-KEY", secretAccessKey: "very-secret-value" } }),
      { allowPrivate: true },
    );
    expect(results[0]).toMatchObject({ status: "failed" });
    expect(results[0]!.message).toMatch(/credentials were refused \(HTTP 403\)/);
    expect(JSON.stringify(results)).not.toContain("very-secret-value");
  });

  it("refuses a loopback endpoint that is not allowlisted, without contacting it", async () => {
    const results = await checkS3Bucket(input(), { allow: [] });
    expect(results[0]).toMatchObject({
      status: "failed",
      message:
        "Bucket endpoint: 127.0.0.1 is a loopback address. Use a public address, or ask an operator to allow this " +
        "host (CP_ALLOWED_PRIVATE_HOSTS).",
    });
    expect(summarizeChecks(results).blocking).toBe(true);
  });

  it("fails when the endpoint does not answer", async () => {
    const results = await checkS3Bucket(input({ endpoint: "http://127.0.0.1:9" }), { allowPrivate: true });
    expect(results[0]!.message).toBe(
      "The storage service at http://127.0.0.1:9 did not answer: no answer (ECONNREFUSED).",
    );
  });

  it("marks every check unverifiable for role access when no STS is available", async () => {
    const results = await checkS3Bucket(
      input({ credentials: { roleArn: "arn:aws:iam::123456789012:role/ml-platform" } }),
      { allowPrivate: true },
    );
    expect(results).toHaveLength(8);
    for (const r of results) {
      expect(r.status).toBe("unverifiable");
      expect(r.message).toBe(
        "Could not be verified: access is granted to the role arn:aws:iam::123456789012:role/ml-platform, and the " +
          "control plane cannot assume roles here (no AWS STS access configured), so the bucket was not contacted. " +
          "Staff can accept this warning.",
      );
    }
  });

  it("checks role access with the keys an injected assumeRole returns", async () => {
    const results = await checkS3Bucket(
      input({ credentials: { roleArn: "arn:aws:iam::123456789012:role/x" } }),
      {
        allowPrivate: true,
        assumeRole: async () => ({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER", sessionToken: "t" }),
      },
    );
    expect(byId(results).exists!.status).toBe("passed");
    expect(byId(results)["probe-delete"]!.status).toBe("passed");
  });
});
