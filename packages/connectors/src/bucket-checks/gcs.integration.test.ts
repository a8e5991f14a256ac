// The real @google-cloud/storage client against a local stand-in for the JSON API (testing/fake-gcs.ts).
// Every outgoing TCP connection of this process is recorded, to show that only the fake is contacted: no OAuth,
// no metadata server, no googleapis.com.
import net from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { checkGcsBucket, type GcsBucketInput, type GcsCheckOptions } from "./gcs";
import { forbidden, startFakeGcs, type FakeBucket } from "./testing/fake-gcs";
import { summarizeChecks, type BucketCheckResult } from "./types";

const TOKEN = "ya29.test-access-token-not-for-logs";
const KMS_KEY = "projects/acme/locations/europe/keyRings/ml/cryptoKeys/bucket";
const GOOD: Omit<FakeBucket, "name"> = {
  location: "EU",
  versioning: true,
  uniformAccess: true,
  cors: [
    {
      origin: ["*"],
      method: ["GET", "HEAD", "PUT"],
      responseHeader: ["ETag", "Content-Type"],
      maxAgeSeconds: 3600,
    },
  ],
};

let fake: Awaited<ReturnType<typeof startFakeGcs>>;
const connections: string[] = [];

beforeAll(async () => {
  fake = await startFakeGcs({
    token: TOKEN,
    buckets: [
      { name: "good", ...GOOD },
      { name: "good-cmek", ...GOOD, defaultKmsKeyName: KMS_KEY },
      { name: "us-bucket", ...GOOD, location: "US-CENTRAL1" },
      { name: "unversioned", ...GOOD, versioning: false },
      { name: "acl-mode", ...GOOD, uniformAccess: false },
      { name: "no-iam-config", ...GOOD, uniformAccess: undefined },
      { name: "no-cors", ...GOOD, cors: undefined },
      {
        name: "cors-no-put",
        ...GOOD,
        cors: [{ origin: ["*"], method: ["GET", "HEAD"], responseHeader: ["ETag"] }],
      },
      {
        name: "cors-no-etag",
        ...GOOD,
        cors: [{ origin: ["*"], method: ["GET", "HEAD", "PUT"], responseHeader: ["Content-Type"] }],
      },
      {
        name: "other-key",
        ...GOOD,
        defaultKmsKeyName: "projects/acme/locations/europe/keyRings/ml/cryptoKeys/other",
      },
      { name: "no-bucket-get", ...GOOD, fail: { getBucket: forbidden("storage.buckets.get") } },
      { name: "read-only", ...GOOD, fail: { insert: forbidden("storage.objects.create") } },
      { name: "no-read", ...GOOD, fail: { read: forbidden("storage.objects.get") } },
      { name: "no-delete", ...GOOD, fail: { delete: forbidden("storage.objects.delete") } },
      { name: "rewriting", ...GOOD, corruptReads: true },
    ],
  });
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  connections.length = 0;
  const original = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, "connect").mockImplementation(function (
    this: net.Socket,
    ...args: unknown[]
  ) {
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as { host?: string; port?: number } | number;
    connections.push(
      typeof options === "object" ? `${options.host}:${options.port}` : `${String(args[1])}:${options}`,
    );
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const input = (bucket: string, overrides: Partial<GcsBucketInput> = {}): GcsBucketInput => ({
  bucket,
  location: "eu",
  credentials: { accessToken: TOKEN },
  apiEndpoint: fake.endpoint,
  ...overrides,
});

async function check(bucket: string, overrides: Partial<GcsBucketInput> = {}, opts: GcsCheckOptions = {}) {
  const results = await checkGcsBucket(input(bucket, overrides), { allow: ["127.0.0.1"], ...opts });
  expect(JSON.stringify(results)).not.toContain(TOKEN);
  const only = new Set(connections);
  only.delete(fake.endpoint.replace("http://", ""));
  expect([...only], "connections to anything but the fake").toEqual([]);
  return { results, get: (id: BucketCheckResult["id"]) => results.find((r) => r.id === id)! };
}

describe("checkGcsBucket against the fake JSON API", () => {
  it("passes a good bucket, authenticating every request with the given token", async () => {
    const before = fake.requests.length;
    const { results } = await check("good", {}, { probeKey: ".control-plane-probe/gcs-good.txt" });
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ["exists", "passed"],
      ["region", "passed"],
      ["versioning", "passed"],
      ["uniform-access", "passed"],
      ["cors", "passed"],
      ["encryption", "passed"],
      ["probe-write", "passed"],
      ["probe-read", "passed"],
      ["probe-delete", "passed"],
    ]);
    expect(results.find((r) => r.id === "encryption")!.message).toBe(
      "Objects are encrypted with Google-managed keys (always on); no customer-managed key was ordered.",
    );
    expect(summarizeChecks(results)).toEqual({ blocking: false, warnings: 0 });
    const seen = fake.requests.slice(before);
    expect(seen.map((r) => `${r.method} ${r.path.split("?")[0]}`)).toEqual([
      "GET /storage/v1/b/good",
      "POST /upload/storage/v1/b/good/o",
      "GET /storage/v1/b/good/o/.control-plane-probe%2Fgcs-good.txt",
      "DELETE /storage/v1/b/good/o/.control-plane-probe%2Fgcs-good.txt",
    ]);
    expect(seen[1]!.path).toMatch(/uploadType=multipart/);
    expect(seen[2]!.path).toMatch(/alt=media/);
    expect(seen[3]!.path).toMatch(/generation=\d+/);
    expect(
      seen.every((r) => r.authorization === `Bearer ${TOKEN}` && r.host === fake.endpoint.slice(7)),
    ).toBe(true);
    expect(fake.objectNames("good")).toEqual([]);
    expect(connections.length).toBeGreaterThan(0);
  });

  it("passes a customer-managed key that matches the order", async () => {
    const { get } = await check("good-cmek", { kmsKeyName: KMS_KEY });
    expect(get("encryption")).toMatchObject({
      status: "passed",
      message: `The bucket's default key is ${KMS_KEY}, as ordered.`,
    });
  });

  it.each([
    ["region", "us-bucket", {}, "The bucket is in US-CENTRAL1, but eu was entered."],
    [
      "versioning",
      "unversioned",
      {},
      "Object versioning is off: deleted or overwritten objects cannot be recovered.",
    ],
    [
      "uniform-access",
      "acl-mode",
      {},
      "Uniform bucket-level access is off: object ACLs can grant access that IAM does not show.",
    ],
    ["cors", "no-cors", {}, "The bucket has no CORS configuration: browsers cannot upload or download."],
    [
      "cors",
      "cors-no-put",
      {},
      "CORS does not allow browser uploads and downloads: no rule for any origin allows PUT.",
    ],
    [
      "cors",
      "cors-no-etag",
      {},
      "CORS does not allow browser uploads and downloads: the rule for GET, HEAD, PUT does not expose the ETag header.",
    ],
    [
      "encryption",
      "good",
      { kmsKeyName: KMS_KEY },
      `The bucket uses Google-managed keys, but the order requires the customer-managed key ${KMS_KEY}.`,
    ],
    [
      "encryption",
      "other-key",
      { kmsKeyName: KMS_KEY },
      `The bucket's default key is projects/acme/locations/europe/keyRings/ml/cryptoKeys/other, but the order requires ${KMS_KEY}.`,
    ],
  ] as const)("fails %s on bucket %s", async (id, bucket, overrides, message) => {
    const { get, results } = await check(bucket, overrides);
    expect(get(id)).toMatchObject({ status: "failed", message });
    expect(get(id).fixHint).toMatch(
      id === "region" ? /^A bucket cannot move: enter location US-CENTRAL1/ : new RegExp(`gs://${bucket}`),
    );
    expect(summarizeChecks(results).blocking).toBe(true);
  });

  it("gives the exact CORS rule to add", async () => {
    const { get } = await check("no-cors");
    expect(get("cors").fixHint).toBe(
      'Save [{"origin":["*"],"method":["GET","HEAD","PUT"],"responseHeader":["ETag","Content-Type"],' +
        '"maxAgeSeconds":3600}] as cors.json, then run: gcloud storage buckets update gs://no-cors --cors-file=cors.json',
    );
  });

  it("is unverifiable when the API does not report iamConfiguration", async () => {
    const { get } = await check("no-iam-config");
    expect(get("uniform-access")).toMatchObject({
      status: "unverifiable",
      message:
        "Could not be verified: the storage API did not report the bucket's iamConfiguration. Staff can accept this warning.",
    });
  });

  it("fails a missing bucket and skips the rest", async () => {
    const { results } = await check("missing");
    expect(results[0]).toMatchObject({ status: "failed", message: 'Bucket "missing" does not exist.' });
    expect(
      results.slice(1).every((r) => r.status === "unverifiable" && /not reachable/.test(r.message)),
    ).toBe(true);
  });

  it("fails a refused bucket read with the service's reason and the role to grant", async () => {
    const { results } = await check("no-bucket-get");
    expect(results[0]!.message).toMatch(
      /credentials were refused \(HTTP 403 forbidden: .*storage\.buckets\.get/,
    );
    expect(results[0]!.fixHint).toMatch(/roles\/storage\.admin on gs:\/\/no-bucket-get/);
  });

  it("fails a token the API does not accept", async () => {
    const { results } = await check("good", { credentials: { accessToken: "expired-token" } });
    expect(results[0]).toMatchObject({
      status: "failed",
      message: "The credentials were not accepted (HTTP 401): the token is invalid or has expired.",
    });
  });

  it("fails writes, reads and deletes that are refused, and content that comes back different", async () => {
    const write = await check("read-only");
    expect(write.get("probe-write")).toMatchObject({
      status: "failed",
      message: expect.stringMatching(/storage\.objects\.create/),
    });
    expect(write.get("probe-read").status).toBe("unverifiable");

    const read = await check("no-read");
    expect(read.get("probe-read")).toMatchObject({
      status: "failed",
      message: expect.stringMatching(/storage\.objects\.get/),
    });
    expect(read.get("probe-delete").status).toBe("passed");

    const del = await check("no-delete", {}, { probeKey: ".control-plane-probe/left-behind.txt" });
    expect(del.get("probe-delete")).toMatchObject({
      status: "failed",
      message: expect.stringMatching(
        /left-behind\.txt could not be deleted \(HTTP 403 forbidden: .*\); it is still in the bucket\.$/,
      ),
    });
    expect(fake.objectNames("no-delete")).toEqual([".control-plane-probe/left-behind.txt"]);

    const rewritten = await check("rewriting");
    expect(rewritten.get("probe-read")).toMatchObject({
      status: "failed",
      message: expect.stringMatching(/differs from what was written/),
    });
  });

  it("refuses the loopback endpoint when it is not allowlisted, without a connection", async () => {
    const before = fake.requests.length;
    const results = await checkGcsBucket(input("good"), { allow: [] });
    expect(results[0]!.message).toBe(
      "Storage API endpoint: 127.0.0.1 is a loopback address. Use a public address, or ask an operator to allow " +
        "this host (CP_ALLOWED_PRIVATE_HOSTS).",
    );
    expect(fake.requests.length).toBe(before);
    expect(connections).toEqual([]);
  });

  it("reports an unusable service account key without contacting Google", async () => {
    const { results } = await check("good", {
      credentials: {
        clientEmail: "checker@acme-ml.iam.gserviceaccount.com",
        privateKey: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
      },
    });
    expect(results[0]).toMatchObject({
      status: "failed",
      message:
        "The service account key could not be used (ERR_OSSL_UNSUPPORTED): the private key is not a valid PEM " +
        "private key.",
      fixHint: "Paste the client_email and private_key of a current JSON key of the service account.",
    });
    expect(connections).toEqual([]);
  });
});
