// Backups of AWS and GCP instances are the databases' native snapshots (RDS DB snapshots, Cloud SQL backup runs),
// taken and restored through the clouds' own SDKs rather than through Pulumi: a snapshot is data, not configuration,
// and Pulumi would delete what it created on the next run without it. PulumiEngine delegates to one of these per
// cloud (snapshots-aws.ts, snapshots-gcp.ts).
//
// Every step is resumable: names are derived from the backup id or the request id, so a retried operation finds what
// its first attempt created instead of creating it twice.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  EngineError,
  type BackupArtifact,
  type EngineHooks,
  type InstanceRef,
  type RestoreOptions,
  type VerifyReport,
} from "../types";

export interface DatabaseSnapshots {
  /** A snapshot of the instance's database, reused when one for `backupId` exists. Resolves once it is complete. */
  backup(ref: InstanceRef, backupId: string, hooks: EngineHooks): Promise<BackupArtifact>;
  /** Checks the snapshot as far as this cloud allows from the control plane (see each implementation). */
  verify(
    ref: InstanceRef,
    artifact: BackupArtifact,
    requestId: string,
    hooks: EngineHooks,
  ): Promise<VerifyReport>;
  /** Replaces the target's database with the snapshot's contents, under the same name. */
  restore(
    target: InstanceRef,
    artifact: BackupArtifact,
    options: RestoreOptions,
    hooks: EngineHooks,
  ): Promise<void>;
  /** Deletes the snapshot; one that is gone already counts as deleted. */
  remove(artifact: BackupArtifact, signal: AbortSignal): Promise<void>;
}

export interface PollSettings {
  /** Between two reads of a resource that is still changing. */
  intervalMs: number;
  /** How long one wait may take before the step fails (retryably: a retry picks the same resource up again). */
  timeoutMs: number;
}

export const DEFAULT_POLL: PollSettings = { intervalMs: 15_000, timeoutMs: 12 * 60 * 60_000 };

/**
 * Reads `read()` until `done` says so, pausing `intervalMs` between reads. `read` throws to stop (a failed resource);
 * an abort of `signal` stops at the next pause with CANCELLED.
 */
export async function waitUntil<T>(
  what: string,
  poll: PollSettings,
  signal: AbortSignal,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + poll.timeoutMs;
  for (;;) {
    throwIfAborted(signal, what);
    const value = await read();
    if (done(value)) return value;
    if (Date.now() >= deadline) {
      throw new EngineError(
        "FAILED",
        `Gave up waiting for ${what} after ${Math.round(poll.timeoutMs / 60_000)} min; a retry picks it up again.`,
        true,
      );
    }
    await pause(poll.intervalMs, signal, what);
  }
}

export async function pause(ms: number, signal: AbortSignal, what: string): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throwIfAborted(signal, what);
  }
}

export function throwIfAborted(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new EngineError("CANCELLED", `Cancelled while waiting for ${what}.`, false);
}

export function shortHash(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * A name derived from `base` for the request `key`: `<base>-<tag><hash>`, cut to `max` characters. Valid as an RDS
 * identifier and a Cloud SQL name (letters, digits, single hyphens, starting with a letter, no trailing hyphen).
 */
export function derivedName(base: string, tag: string, key: string, max = 63): string {
  const suffix = `-${tag}${shortHash(key)}`;
  const head = base
    .slice(0, max - suffix.length)
    .replace(/-+/g, "-")
    .replace(/-$/, "");
  return `${head}${suffix}`;
}

/** Hooks whose progress 0..100 lands in [from, to] of the caller's. */
export function progressWithin(hooks: EngineHooks, from: number, to: number): EngineHooks {
  return {
    ...hooks,
    progress: (step, percent) =>
      hooks.progress(step, Math.round(from + ((to - from) * Math.max(0, Math.min(100, percent))) / 100)),
  };
}

/** Reports progress only when the step or the rounded percent changes (a poll every few seconds adds no news). */
export function progressReporter(hooks: EngineHooks): (step: string, percent: number) => void {
  let last = "";
  return (step, percent) => {
    const key = `${step}@${Math.round(percent)}`;
    if (key === last) return;
    last = key;
    hooks.progress(step, Math.round(percent));
  };
}

const CREDENTIAL_CODES = new Set([
  "CredentialsProviderError",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "ExpiredToken",
  "ExpiredTokenException",
  "AccessDenied",
  "AccessDeniedException",
  "AuthFailure",
  "AuthorizationError",
]);
const RETRYABLE_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "ServiceUnavailable",
  "InternalFailure",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EPIPE",
  "UND_ERR_SOCKET",
]);

/** The HTTP status of a failed SDK call: AWS SDK ($metadata) or gaxios (status / response.status). */
export function httpStatus(error: unknown): number | undefined {
  const e = error as {
    $metadata?: { httpStatusCode?: number };
    status?: unknown;
    response?: { status?: unknown };
  } | null;
  const status = e?.$metadata?.httpStatusCode ?? e?.response?.status ?? e?.status;
  return typeof status === "number" ? status : undefined;
}

/** The error's code: the AWS error name (e.g. DBSnapshotNotFoundFault), a Node.js system error code, ... */
export function errorCode(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown; Code?: unknown; cause?: { code?: unknown } } | null;
  for (const value of [e?.Code, e?.code, e?.cause?.code, e?.name]) {
    if (typeof value === "string" && value && value !== "Error") return value;
  }
  return "";
}

/** A cloud SDK failure as an EngineError: credentials → NOT_CONFIGURED, throttling/5xx/network → retryable. */
export function cloudError(error: unknown, action: string, signal: AbortSignal): EngineError {
  if (error instanceof EngineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (signal.aborted || errorCode(error) === "AbortError") {
    return new EngineError("CANCELLED", `${action} was cancelled.`, false, { cause: error });
  }
  const status = httpStatus(error);
  const code = errorCode(error);
  if (
    CREDENTIAL_CODES.has(code) ||
    status === 401 ||
    status === 403 ||
    /could not load the default credentials/i.test(message)
  ) {
    return new EngineError(
      "NOT_CONFIGURED",
      `${action}: the cloud credentials of this worker are missing or refused: ${message}`,
      false,
      { cause: error },
    );
  }
  const retryable =
    RETRYABLE_CODES.has(code) ||
    status === 409 ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (error as { $retryable?: unknown } | null)?.$retryable !== undefined;
  return new EngineError("FAILED", `${action} failed: ${message}`, retryable, { cause: error });
}
