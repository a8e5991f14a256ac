// Errors the API maps to HTTP statuses.

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export class ConflictError extends Error {
  override name = "ConflictError";
}

/** A test-only API called on a daemon that was not started for tests. */
export class FaultsDisabledError extends Error {
  override name = "FaultsDisabledError";
}

export function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return describe(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const message = err.message || err.name;
    return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(err);
}
