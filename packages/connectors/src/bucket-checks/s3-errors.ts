// How S3 (and S3-compatible services) answered, reduced to what the checks need to decide: passed, failed, or
// "this service cannot answer that question".
import type {
  $Command,
  S3Client,
  S3ClientResolvedConfig,
  ServiceInputTypes,
  ServiceOutputTypes,
} from "@aws-sdk/client-s3";

/** A 2xx answer whose XML document is not the one this API returns (s3rver answers GetBucketVersioning with a listing). */
export class UnexpectedAnswer extends Error {
  override name = "UnexpectedAnswer";
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`expected <${expected}>, got <${got}>`);
  }
}

export interface S3Failure {
  /** S3 error code (AccessDenied, NoSuchBucket, ...), or the network error code. */
  code: string;
  status: number | undefined;
  network: boolean;
  notImplemented: boolean;
  accessDenied: boolean;
  unexpected: UnexpectedAnswer | null;
  headers: Record<string, string>;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

export function describeS3Error(err: unknown): S3Failure {
  const e = (err ?? {}) as {
    name?: string;
    code?: string;
    Code?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string> };
  };
  const status = e.$metadata?.httpStatusCode;
  const networkCode = e.code && NETWORK_CODES.has(e.code) ? e.code : undefined;
  const timeout = e.name === "TimeoutError" || e.code === "ETIMEDOUT";
  const code = networkCode ?? (timeout ? "TimeoutError" : (e.Code ?? e.name ?? "UnknownError"));
  return {
    code,
    status,
    network: !status && (Boolean(networkCode) || timeout),
    notImplemented: status === 501 || code === "NotImplemented",
    accessDenied: status === 403 || code === "AccessDenied",
    unexpected: err instanceof UnexpectedAnswer ? err : null,
    headers: e.$response?.headers ?? {},
  };
}

/** "AccessDenied, HTTP 403" for messages. */
export function answerText(f: S3Failure): string {
  if (f.unexpected) return `an answer that is not a valid response (${f.unexpected.message})`;
  if (f.network) return `no answer (${f.code})`;
  return f.status ? `${f.code} (HTTP ${f.status})` : f.code;
}

/**
 * Sends a command and checks that a successful answer's XML root element is `root`: the SDK maps any XML to an
 * output object, so a listing sent in place of a versioning document would otherwise read as "never enabled".
 */
export async function sendExpectingRoot<I extends ServiceInputTypes, O extends ServiceOutputTypes>(
  client: S3Client,
  command: $Command<I, O, S3ClientResolvedConfig, ServiceInputTypes, ServiceOutputTypes>,
  root: string,
): Promise<O> {
  const seen: { root?: string } = {};
  command.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const response = out.response as { statusCode?: number; body?: unknown } | undefined;
      if (response && (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) {
        const bytes = await readBody(response.body);
        response.body = bytes;
        seen.root = rootElement(bytes);
      }
      return out;
    },
    // Innermost in the deserialize step: runs on the raw HTTP response before the SDK parses it.
    { step: "deserialize", priority: "low", name: "controlPlaneExpectRoot" },
  );
  const output = await client.send(command);
  if (seen.root !== undefined && seen.root !== root) throw new UnexpectedAnswer(root, seen.root);
  return output;
}

async function readBody(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }
  return new Uint8Array();
}

/** The name of the first element of an XML document ("" when there is none), without a namespace prefix. */
export function rootElement(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("utf8", 0, Math.min(bytes.length, 4096));
  const match = /^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<([A-Za-z_][\w.:-]*)/.exec(text);
  return match ? match[1]!.replace(/^.*:/, "") : "";
}
