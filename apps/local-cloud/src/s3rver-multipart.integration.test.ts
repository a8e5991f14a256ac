// s3rver with S3-like multipart completion (s3rver-multipart.ts), in-process on a free port.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectStore, s3Client } from "./object-store";
import { completeMultipartLikeS3 } from "./s3rver-multipart";

let dir: string;
let server: S3rver;
let store: ObjectStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "s3rver-mp-"));
  server = new S3rver({ address: "127.0.0.1", port: 0, directory: dir, silent: true });
  completeMultipartLikeS3(server.store);
  const { port } = await server.run();
  store = new ObjectStore(
    s3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
    }),
    "mp-test",
  );
  await store.ensureBucket();
});

afterAll(async () => {
  store?.client.destroy();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("s3rver multipart completion", () => {
  it("stores the parts joined in order, with S3's multipart ETag, and leaves no upload behind", async () => {
    const data = randomBytes(12 * 1024 * 1024 + 123);
    await store.upload(
      "dir/big.bin",
      Readable.from([data.subarray(0, 7_000_000), data.subarray(7_000_000)]),
      {
        partSize: 5 * 1024 * 1024,
      },
    );
    const got = await store.client.send(new GetObjectCommand({ Bucket: "mp-test", Key: "dir/big.bin" }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    expect(body.length).toBe(data.length);
    expect(createHash("sha256").update(body).digest("hex")).toBe(
      createHash("sha256").update(data).digest("hex"),
    );
    const head = await store.client.send(new HeadObjectCommand({ Bucket: "mp-test", Key: "dir/big.bin" }));
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(head.ContentLength).toBe(data.length);
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: "mp-test" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["dir/big.bin"]);
  });

  it("keeps single-request uploads as they were (ETag = MD5 of the content)", async () => {
    const data = Buffer.from("small object");
    await store.upload("small.txt", Readable.from([data]));
    expect((await store.head("small.txt"))?.etag).toBe(`"${createHash("md5").update(data).digest("hex")}"`);
  });
});
