// HTTP plumbing of the API: JSON in and out, and errors that name the field.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

const MAX_BODY = 256 * 1024;

export function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, "payload_too_large", `body: larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (!text.trim()) return reject(new ApiError(400, "bad_request", "body: a JSON object is required"));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ApiError(400, "bad_request", "body: must be valid JSON"));
      }
    });
    req.on("error", reject);
  });
}

/** Validates a body; a 400 names the first field that is wrong (all of them in `issues`). */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const first = issues[0];
  throw new ApiError(400, "bad_request", `${first?.path || "body"}: ${first?.message ?? "invalid"}`, issues);
}
