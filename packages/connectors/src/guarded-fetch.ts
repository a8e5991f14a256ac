// A small GET (documents) or POST (webhooks) to user-typed URLs: checked by the network guard, connected to the very
// addresses that were checked (no second DNS answer can swap in a private one), bounded in time and size, no
// redirects followed.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { assertPublicUrl, type GuardOptions } from "./network-guard";

export interface GuardedGetOptions extends GuardOptions {
  /** Whole request, connect to last byte. Default 5 s. */
  timeoutMs?: number;
  /** Largest body accepted. Default 512 KiB. */
  maxBytes?: number;
  headers?: Record<string, string>;
}

export interface GuardedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type FetchFailureKind = "timeout" | "unreachable" | "too-large";

/** The document could not be fetched; the message is for people and names no secrets. */
export class FetchFailure extends Error {
  override name = "FetchFailure";
  constructor(
    readonly kind: FetchFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_BYTES = 512 * 1024;

/** GET after assertPublicUrl; throws UnsafeUrlError (refused) or FetchFailure. Redirects are returned, not followed. */
export async function guardedGet(url: string, opts: GuardedGetOptions = {}): Promise<GuardedResponse> {
  const checked = await assertPublicUrl(url, opts);
  return request(checked.url, checked.addresses, {
    method: "GET",
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    headers: opts.headers ?? {},
  });
}

/** POST `body` after assertPublicUrl (webhooks); same guarantees as guardedGet, redirects returned, not followed. */
export async function guardedPost(
  url: string,
  body: string | Buffer,
  opts: GuardedGetOptions = {},
): Promise<GuardedResponse> {
  const checked = await assertPublicUrl(url, opts);
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return request(checked.url, checked.addresses, {
    method: "POST",
    body: payload,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    headers: { ...opts.headers, "content-length": String(payload.length) },
  });
}

/** A lookup that answers only with the addresses already checked. */
function pinnedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  return (_hostname, options, callback) => {
    if (options.all) return callback(null, entries);
    const first = entries.find((e) => !options.family || e.family === options.family) ?? entries[0]!;
    callback(null, first.address, first.family);
  };
}

function request(
  url: URL,
  addresses: string[],
  opts: {
    method: "GET" | "POST";
    body?: Buffer;
    timeoutMs: number;
    maxBytes: number;
    headers: Record<string, string>;
  },
): Promise<GuardedResponse> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const options = { method: opts.method, lookup: pinnedLookup(addresses), headers: opts.headers };
    const req = client.request(url, options, (res) => {
      const declared = Number(res.headers["content-length"] ?? 0);
      if (declared > opts.maxBytes) return abort(tooLarge(opts.maxBytes));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) return abort(tooLarge(opts.maxBytes));
        chunks.push(chunk);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on("error", fail);
    });
    const timer = setTimeout(() => {
      abort(new FetchFailure("timeout", `no complete answer within ${opts.timeoutMs / 1000} s`));
    }, opts.timeoutMs);
    function abort(err: FetchFailure) {
      fail(err);
      req.destroy(err);
    }
    function fail(err: Error) {
      clearTimeout(timer);
      if (err instanceof FetchFailure) return reject(err);
      const code = (err as { code?: string }).code;
      reject(new FetchFailure("unreachable", code ? `${describeCode(code)} (${code})` : err.message));
    }
    req.on("error", fail);
    req.end(opts.body);
  });
}

function tooLarge(maxBytes: number): FetchFailure {
  return new FetchFailure("too-large", `the answer is larger than ${Math.round(maxBytes / 1024)} KiB`);
}

function describeCode(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "the connection was refused";
    case "ECONNRESET":
      return "the connection was reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the host is unreachable";
    case "ETIMEDOUT":
      return "the connection timed out";
    default:
      return /TLS|CERT|SIGNATURE|UNABLE_TO/.test(code) ? "the TLS certificate was not accepted" : "failed";
  }
}
