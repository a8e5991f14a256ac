// The ingest's HTTP edge, as a fetch-style handler (Request in, Response out) so the console's route stays one line
// and this is testable without Next: the bearer token, the 64 KB body limit (the declared length and the bytes
// actually read), JSON answers with the status the contract names, Retry-After on 429.
import { randomUUID } from "node:crypto";
import { logger } from "@cp/config/logger";
import { ingestTelemetry, TELEMETRY_MAX_BODY_BYTES, type IngestAnswer, type IngestOptions } from "./ingest";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function bearer(header: string | null): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

const tooLarge = () =>
  json(413, {
    error: "report_too_large",
    message: `body: a report must be at most ${TELEMETRY_MAX_BODY_BYTES} bytes`,
  });

/** The body as text, or null when it exceeds the limit (reading stops there: a huge body is never buffered). */
async function readLimited(req: Request, limit: number): Promise<string | null> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function toResponse(answer: IngestAnswer): Response {
  switch (answer.status) {
    case 401:
      return json(answer.status, answer.body, { "www-authenticate": 'Bearer realm="telemetry"' });
    case 429:
      return json(answer.status, answer.body, { "retry-after": String(answer.retryAfterSeconds) });
    default:
      return json(answer.status, answer.body);
  }
}

/** POST /api/telemetry/v1/reports. */
export async function handleTelemetryRequest(req: Request, opts: IngestOptions = {}): Promise<Response> {
  const token = bearer(req.headers.get("authorization"));
  if (!token) return toResponse(await ingestTelemetry(null, null, opts));
  const declared = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > TELEMETRY_MAX_BODY_BYTES) return tooLarge();
  try {
    const text = await readLimited(req, TELEMETRY_MAX_BODY_BYTES);
    if (text === null) return tooLarge();
    return toResponse(await ingestTelemetry(token, text, opts));
  } catch (err) {
    // The token is never logged; the reference lets the customer's support case find this line.
    const ref = randomUUID();
    logger().error({ err, ref }, "telemetry ingest failed");
    return json(500, {
      error: "internal_error",
      message: `Something went wrong on our side. Reference: ${ref}`,
    });
  }
}
