import { EngineError } from "@cp/engine";

/**
 * A retryable failure that says when to try again (e.g. a Slack rate limit's Retry-After): the operation goes back
 * to the queue with that delay instead of the runner's own backoff, and the step never sleeps on it.
 */
export class RetryLaterError extends EngineError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super("FAILED", message, true, options);
  }
}
