import { pino, type Logger } from "pino";
import { env } from "./index";

export type { Logger };

// Secrets never reach a log line, even when a caller logs a whole object by mistake.
const REDACT = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "clientSecret",
  "*.clientSecret",
  "authorization",
  "*.authorization",
  "headers.cookie",
  "*.headers.cookie",
];

let root: Logger | undefined;

export function logger(): Logger {
  root ??= pino({
    level: env().CP_LOG_LEVEL,
    base: { mode: env().CP_MODE },
    redact: { paths: REDACT, censor: "[redacted]" },
  });
  return root;
}
