// Completes multipart uploads in s3rver the way S3 does, without reading every byte again. s3rver 3.7 joins the parts
// through its single-object write path: the whole object is re-read, re-hashed (MD5) and re-written on the server's
// one thread, which makes completing a 200 MB backup cost as much as uploading it. Here the parts are appended to the
// object file as they are, and the ETag is S3's multipart ETag (MD5 of the parts' MD5s, "-<parts>"), computed from the
// MD5s s3rver stored with each part. Measured in scripts/bench/backup.ts.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/** The part of s3rver's FilesystemStore this relies on (s3rver 3.7.1, pinned in package.json). */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
  ): Promise<{ md5: string; size: number }>;
}

/** S3's ETag of a multipart object: MD5 over the parts' binary MD5s, then "-" and the number of parts. Pure. */
export function multipartEtag(partMd5s: string[]): string {
  const joined = Buffer.concat(partMd5s.map((m) => Buffer.from(m, "hex")));
  return `${createHash("md5").update(joined).digest("hex")}-${partMd5s.length}`;
}

/** Replaces the store's multipart completion. `store` is `server.store` of a running s3rver. */
export function completeMultipartLikeS3(store: unknown): void {
  const fs = store as FilesystemStore;
  if (typeof fs.getResourcePath !== "function" || typeof fs.putMetadata !== "function") {
    throw new Error(
      "s3rver's store is not the FilesystemStore of s3rver 3.7: remove completeMultipartLikeS3",
    );
  }
  fs.putObjectMultipart = async (bucket, uploadId, parts) => {
    const uploadDir = path.join(fs.getResourcePath(bucket, undefined, "uploads"), uploadId);
    const [key, metadata] = await Promise.all([
      readFile(path.join(uploadDir, "key"), "utf8"),
      readFile(path.join(uploadDir, "metadata"), "utf8").then((t) => JSON.parse(t) as unknown),
    ]);
    const sorted = [...parts].sort((a, b) => a.number - b.number);
    const partPaths = sorted.map((p) => path.join(uploadDir, String(p.number)));
    const md5s = await Promise.all(partPaths.map((p) => readFile(`${p}.md5`, "utf8")));
    const objectPath = fs.getResourcePath(bucket, key, "object");
    await mkdir(path.dirname(objectPath), { recursive: true });
    const out = createWriteStream(objectPath);
    let size = 0;
    for (const partPath of partPaths) {
      size += (await stat(partPath)).size;
      await pipeline(createReadStream(partPath, { highWaterMark: 1024 * 1024 }), out, { end: false });
    }
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(resolve);
    });
    const md5 = multipartEtag(md5s.map((m) => m.trim()));
    await fs.putMetadata(bucket, key, metadata, md5);
    await rm(uploadDir, { recursive: true, force: true });
    return { md5, size };
  };
}
