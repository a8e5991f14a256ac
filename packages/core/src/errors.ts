// Typed domain errors. Use cases throw these; the API layer maps each code to one tRPC code (STYLE.md #7).
export const APP_ERROR_CODES = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "TOO_MANY_REQUESTS",
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** The input field the error is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} was not found.`);
export const forbidden = (message = "You do not have permission to do this.") =>
  new AppError("FORBIDDEN", message);
export const conflict = (message: string, field?: string) => new AppError("CONFLICT", message, field);
export const badRequest = (message: string, field?: string) => new AppError("BAD_REQUEST", message, field);
