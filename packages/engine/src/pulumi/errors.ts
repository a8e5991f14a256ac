// Automation API errors → EngineError, with messages a person can act on.
import { CommandError, ConcurrentUpdateError, StackNotFoundError } from "@pulumi/pulumi/automation/index.js";
import { EngineError } from "../types";
import { stripAnsi } from "./events";

/** Signs that the cloud credentials are missing or refused: configuration, not a transient failure. */
const CREDENTIAL_PATTERNS = [
  /NoCredentialProviders/i,
  /no valid credential sources/i,
  /InvalidClientTokenId/i,
  /ExpiredToken/i,
  /could not find default credentials/i,
  /UnrecognizedClientException/i,
];

/** The `stderr:` part of a CommandError's message (the Automation API keeps the result itself private). */
export function commandStderr(error: CommandError): string {
  const match = /\n stderr: ([\s\S]*?)\n err\?: /.exec(error.message);
  return stripAnsi(match?.[1] ?? error.message).trim();
}

function lastLines(text: string, count: number): string {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(" | ");
}

export interface FailureContext {
  /** What was being done, for the message: "pulumi up of stack acme". */
  action: string;
  signal: AbortSignal;
  /** Error diagnostics seen during the run. */
  diagnostics: string[];
  redact: (text: string) => string;
}

export function toEngineError(error: unknown, context: FailureContext): EngineError {
  if (error instanceof EngineError) return error;
  if (context.signal.aborted) {
    return new EngineError("CANCELLED", `${context.action} was cancelled.`, false, { cause: error });
  }
  if (error instanceof ConcurrentUpdateError) {
    return new EngineError(
      "CONCURRENT_UPDATE",
      `${context.action}: another update of this stack is in progress; wait for it and retry.`,
      true,
      { cause: error },
    );
  }
  if (error instanceof StackNotFoundError) {
    return new EngineError("NOT_FOUND", `${context.action}: the stack does not exist.`, false, {
      cause: error,
    });
  }
  if (error instanceof CommandError) {
    const stderr = context.redact(commandStderr(error));
    if (/ENOENT/.test(stderr) && /spawn/.test(stderr)) {
      return new EngineError(
        "NOT_CONFIGURED",
        `${context.action}: the Pulumi CLI could not be started (${stderr}).`,
        false,
        {
          cause: error,
        },
      );
    }
    const detail = context.diagnostics.length
      ? lastLines(context.diagnostics.join("\n"), 3)
      : lastLines(stderr, 3);
    if (CREDENTIAL_PATTERNS.some((p) => p.test(stderr) || context.diagnostics.some((d) => p.test(d)))) {
      return new EngineError(
        "NOT_CONFIGURED",
        `${context.action}: the cloud credentials of this worker are missing or refused: ${detail}`,
        false,
        { cause: error },
      );
    }
    // A failed update is resumable: Pulumi keeps what was created, and running it again picks up from there.
    return new EngineError("FAILED", `${context.action} failed: ${detail || "see the operation log"}`, true, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EngineError("FAILED", `${context.action} failed: ${context.redact(message)}`, false, {
    cause: error,
  });
}
