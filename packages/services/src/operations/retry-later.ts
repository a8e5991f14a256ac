import { EngineError } from "@cp/engine";

/**
 * A retryable failure that says when to try again (e.g. a Slack rate limit's Retry-After): the operation goes back
 * to the queue with that delay instead of the runner's own backoff, and the step never sleeps on it. Waiting is not
 * failing: the runner gives the attempt back, and counts the waits in the operation's params instead
 * (RATE_LIMIT_WAITS_KEY), so a call that stays rate limited still ends after MAX_RATE_LIMIT_WAITS.
 */
export class RetryLaterError extends EngineError {
  constructor(
    /** The line for the operation's log, e.g. "Slack asked us to wait 3 s (rate limited); retrying then." */
    message: string,
    readonly retryAfterMs: number,
    /** What is limiting us, for the failure once the waits run out (e.g. "Slack rate-limited conversations.create"). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super("FAILED", message, true, options);
  }
}

/** Waits an operation may spend on rate limits before it fails for good. */
export const MAX_RATE_LIMIT_WAITS = 20;

/** The params key where the runner counts an operation's rate-limit waits (not an input: retries drop it). */
export const RATE_LIMIT_WAITS_KEY = "rateLimitWaits";

export function rateLimitWaitsOf(params: unknown): number {
  if (!params || typeof params !== "object" || Array.isArray(params)) return 0;
  const n = (params as Record<string, unknown>)[RATE_LIMIT_WAITS_KEY];
  return typeof n === "number" && Number.isFinite(n) ? n : 0;
}
