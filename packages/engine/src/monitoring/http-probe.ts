// The health probe of an instance that exposes the tenant service's /healthz (the local cloud, and a plain HTTP
// check anywhere the URL is reachable). The verdict never throws: an unreachable instance is "down" with a reason
// an operator can act on.
import type { HealthVerdict } from "./types";

export interface ProbeResult {
  health: HealthVerdict;
  /** Why it is not up (or which checks are degraded). */
  detail?: string;
  /** The release the instance reported, when it answered. */
  version?: string;
}

const MAX_DETAIL = 300;

interface HealthBody {
  status?: unknown;
  /** A proxy's or router's own answer (e.g. the local cloud's router for a suspended instance). */
  message?: unknown;
  error?: unknown;
  version?: unknown;
  checks?: unknown;
  reasons?: unknown;
}

function failingChecks(body: HealthBody): string[] {
  if (Array.isArray(body.reasons)) return body.reasons.filter((r): r is string => typeof r === "string");
  if (body.checks && typeof body.checks === "object") {
    return Object.entries(body.checks as Record<string, unknown>)
      .filter(([, v]) => v !== "ok")
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return [];
}

const clip = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s);

/** Why a fetch failed, in words (Node's fetch hides the socket error in `cause`). */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return err.name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : "aborted";
  }
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  switch (cause?.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
      return "connection reset";
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "ETIMEDOUT":
      return `timed out after ${timeoutMs} ms`;
  }
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return clip(message);
}

/** GET <url>/healthz: 200 → up (degraded when it reports status "degraded"), anything else → down. */
export async function probeHealth(
  url: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const target = `${url.replace(/\/+$/, "")}/healthz`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(target, { signal, headers: { accept: "application/json" } });
    text = await res.text();
  } catch (err) {
    const why = timeout.aborted
      ? `timed out after ${opts.timeoutMs} ms`
      : describeFetchError(err, opts.timeoutMs);
    return { health: "down", detail: `healthz unreachable: ${why}` };
  }
  let body: HealthBody = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") body = parsed as HealthBody;
  } catch {
    // Not JSON: the status code alone decides.
  }
  const version = typeof body.version === "string" ? body.version : undefined;
  const failing = failingChecks(body);
  if (res.status === 200) {
    if (body.status === "degraded") {
      return {
        health: "degraded",
        detail: clip(`healthz reports degraded${failing.length ? `: ${failing.join("; ")}` : ""}`),
        version,
      };
    }
    return { health: "up", version };
  }
  const said =
    typeof body.message === "string" ? body.message : typeof body.error === "string" ? body.error : null;
  const why = failing.length ? failing.join("; ") : (said ?? (text.trim() || res.statusText));
  return { health: "down", detail: clip(`healthz answered ${res.status}: ${why}`), version };
}
