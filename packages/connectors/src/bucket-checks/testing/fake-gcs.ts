// A small stand-in for the Cloud Storage JSON API (storage/v1), enough for the bucket checks, so the real
// @google-cloud/storage client can be driven in tests. It follows the documented resources and error shape:
//   GET    /storage/v1/b/{bucket}                                  bucket resource
//   POST   /upload/storage/v1/b/{bucket}/o?uploadType=media&name=  simple upload
//   POST   /upload/storage/v1/b/{bucket}/o?uploadType=multipart    multipart/related: JSON metadata + media
//   GET    /storage/v1/b/{bucket}/o/{object}[?alt=media]           object resource, or its data
//   DELETE /storage/v1/b/{bucket}/o/{object}[?generation=]         204
// Errors: {"error":{"code":N,"message":"…","errors":[{"domain":"global","reason":"…","message":"…"}]}}
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CRC32C } from "@google-cloud/storage";

export interface FakeGcsError {
  status: number;
  reason: string;
  message: string;
}

export interface FakeBucket {
  name: string;
  /** As the API reports it, e.g. "EU" or "EUROPE-WEST4"; omit to leave it out of the resource. */
  location?: string;
  versioning?: boolean;
  /** undefined: the resource has no iamConfiguration at all (not what real GCS does). */
  uniformAccess?: boolean;
  cors?: { origin?: string[]; method?: string[]; responseHeader?: string[]; maxAgeSeconds?: number }[];
  defaultKmsKeyName?: string;
  /** Answer these operations with an error instead. */
  fail?: Partial<Record<"getBucket" | "insert" | "read" | "delete", FakeGcsError>>;
  /** Serve different bytes than were stored (with matching hashes), like a rewriting proxy would. */
  corruptReads?: boolean;
}

export interface SeenGcsRequest {
  method: string;
  path: string;
  host: string | undefined;
  authorization: string | undefined;
}

interface StoredObject {
  data: Buffer;
  generation: string;
  contentType: string;
  created: string;
}

export const forbidden = (permission: string): FakeGcsError => ({
  status: 403,
  reason: "forbidden",
  message:
    `checker@acme-ml.iam.gserviceaccount.com does not have ${permission} access to the Google Cloud Storage ` +
    `object. Permission '${permission}' denied on resource (or it may not exist).`,
});

export async function startFakeGcs(opts: { buckets: FakeBucket[]; token?: string }) {
  const buckets = new Map(opts.buckets.map((b) => [b.name, b]));
  const objects = new Map<string, Map<string, StoredObject>>(opts.buckets.map((b) => [b.name, new Map()]));
  const requests: SeenGcsRequest[] = [];
  let generation = 1_700_000_000_000_000;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 500, message: `fake-gcs: ${err.message}`, errors: [] } }));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = await readAll(req);
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      host: req.headers.host,
      authorization: req.headers.authorization,
    });
    const url = new URL(req.url ?? "/", "http://fake-gcs");
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      const text = payload === undefined ? "" : JSON.stringify(payload);
      res.writeHead(status, {
        ...(text ? { "content-type": "application/json; charset=UTF-8" } : {}),
        ...headers,
      });
      res.end(text);
    };
    const error = (e: FakeGcsError) =>
      send(e.status, {
        error: {
          code: e.status,
          message: e.message,
          errors: [{ message: e.message, domain: "global", reason: e.reason }],
        },
      });

    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      return error({ status: 401, reason: "authError", message: "Invalid Credentials" });
    }

    let m = /^\/storage\/v1\/b\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const bucket = buckets.get(decodeURIComponent(m[1]!));
      if (!bucket) return error(notFound("The specified bucket does not exist."));
      if (bucket.fail?.getBucket) return error(bucket.fail.getBucket);
      return send(200, bucketResource(bucket));
    }

    m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (m && req.method === "POST") {
      const bucket = buckets.get(decodeURIComponent(m[1]!));
      if (!bucket) return error(notFound("The specified bucket does not exist."));
      if (bucket.fail?.insert) return error(bucket.fail.insert);
      const upload = parseUpload(url, req.headers["content-type"] ?? "", body);
      if ("error" in upload) return error(upload.error);
      const store = objects.get(bucket.name)!;
      if (url.searchParams.get("ifGenerationMatch") === "0" && store.has(upload.name)) {
        return error({
          status: 412,
          reason: "conditionNotMet",
          message: "At least one of the pre-conditions you specified did not hold.",
        });
      }
      const stored = {
        data: upload.data,
        generation: String(++generation),
        contentType: upload.contentType,
        created: new Date().toISOString(),
      };
      store.set(upload.name, stored);
      return send(200, objectResource(bucket.name, upload.name, stored));
    }

    m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (m) {
      const bucket = buckets.get(decodeURIComponent(m[1]!));
      if (!bucket) return error(notFound("The specified bucket does not exist."));
      const name = decodeURIComponent(m[2]!);
      const store = objects.get(bucket.name)!;
      const stored = store.get(name);
      if (req.method === "GET") {
        if (bucket.fail?.read) return error(bucket.fail.read);
        if (!stored) return error(notFound(`No such object: ${bucket.name}/${name}`));
        if (url.searchParams.get("alt") !== "media")
          return send(200, objectResource(bucket.name, name, stored));
        const data = bucket.corruptReads
          ? Buffer.from(`rewritten by a proxy: ${stored.data.length}`)
          : stored.data;
        res.writeHead(200, {
          "content-type": stored.contentType,
          "content-length": String(data.length),
          "x-goog-generation": stored.generation,
          "x-goog-hash": `crc32c=${crc32c(data)},md5=${md5(data)}`,
          "x-goog-stored-content-encoding": "identity",
          "x-goog-stored-content-length": String(data.length),
        });
        return res.end(data);
      }
      if (req.method === "DELETE") {
        if (bucket.fail?.delete) return error(bucket.fail.delete);
        const wanted = url.searchParams.get("generation");
        if (!stored || (wanted && wanted !== stored.generation))
          return error(notFound(`No such object: ${bucket.name}/${name}`));
        store.delete(name);
        return send(204);
      }
    }
    return error({
      status: 400,
      reason: "invalid",
      message: `The fake does not serve ${req.method} ${url.pathname}`,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    objectNames: (bucket: string) => [...(objects.get(bucket)?.keys() ?? [])],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const notFound = (message: string): FakeGcsError => ({ status: 404, reason: "notFound", message });

function bucketResource(b: FakeBucket) {
  return {
    kind: "storage#bucket",
    selfLink: `https://www.googleapis.com/storage/v1/b/${b.name}`,
    id: b.name,
    name: b.name,
    projectNumber: "123456789012",
    metageneration: "1",
    ...(b.location
      ? { location: b.location, locationType: b.location.includes("-") ? "region" : "multi-region" }
      : {}),
    storageClass: "STANDARD",
    etag: "CAE=",
    timeCreated: "2026-01-05T10:00:00.000Z",
    updated: "2026-01-05T10:00:00.000Z",
    ...(b.versioning ? { versioning: { enabled: true } } : {}),
    ...(b.uniformAccess === undefined
      ? {}
      : {
          iamConfiguration: {
            bucketPolicyOnly: { enabled: b.uniformAccess },
            uniformBucketLevelAccess: { enabled: b.uniformAccess },
            publicAccessPrevention: "inherited",
          },
        }),
    ...(b.cors ? { cors: b.cors } : {}),
    ...(b.defaultKmsKeyName ? { encryption: { defaultKmsKeyName: b.defaultKmsKeyName } } : {}),
  };
}

function objectResource(bucket: string, name: string, o: StoredObject) {
  return {
    kind: "storage#object",
    id: `${bucket}/${name}/${o.generation}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
    name,
    bucket,
    generation: o.generation,
    metageneration: "1",
    contentType: o.contentType,
    storageClass: "STANDARD",
    size: String(o.data.length),
    md5Hash: md5(o.data),
    crc32c: crc32c(o.data),
    etag: "CAE=",
    timeCreated: o.created,
    updated: o.created,
  };
}

function parseUpload(
  url: URL,
  contentType: string,
  body: Buffer,
): { name: string; data: Buffer; contentType: string } | { error: FakeGcsError } {
  const type = url.searchParams.get("uploadType");
  if (type === "media") {
    const name = url.searchParams.get("name");
    if (!name) return { error: { status: 400, reason: "required", message: "Required parameter: name" } };
    return { name, data: body, contentType: contentType || "application/octet-stream" };
  }
  if (type === "multipart") {
    const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
    const parts = boundary ? parseMultipart(body, boundary) : [];
    const [meta, media] = parts;
    if (!meta || !media)
      return { error: { status: 400, reason: "invalid", message: "Malformed multipart body" } };
    const metadata = JSON.parse(meta.body.toString("utf8")) as { name?: string; contentType?: string };
    const name = metadata.name ?? url.searchParams.get("name");
    if (!name) return { error: { status: 400, reason: "required", message: "Required parameter: name" } };
    return {
      name,
      data: media.body,
      contentType: metadata.contentType ?? media.headers["content-type"] ?? "application/octet-stream",
    };
  }
  return {
    error: { status: 400, reason: "invalid", message: `The fake does not support uploadType=${type}` },
  };
}

function parseMultipart(body: Buffer, boundary: string): { headers: Record<string, string>; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const chunk = body.subarray(start + delimiter.length, next);
    const headerEnd = chunk.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers: Record<string, string> = {};
      for (const line of chunk.subarray(0, headerEnd).toString("utf8").split("\r\n")) {
        const sep = line.indexOf(":");
        if (sep > 0) headers[line.slice(0, sep).trim().toLowerCase()] = line.slice(sep + 1).trim();
      }
      let content = chunk.subarray(headerEnd + 4);
      if (content.subarray(-2).toString() === "\r\n") content = content.subarray(0, -2);
      parts.push({ headers, body: content });
    }
    start = next;
  }
  return parts;
}

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const md5 = (data: Buffer) => createHash("md5").update(data).digest("base64");
function crc32c(data: Buffer): string {
  const sum = new CRC32C();
  sum.update(data);
  return sum.toString();
}
