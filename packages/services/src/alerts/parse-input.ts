import { badRequest } from "@cp/core";
import type { z } from "zod";

/** Parses a use case's input; the first problem becomes a BAD_REQUEST naming its field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || undefined;
  throw badRequest(field ? `${field}: ${issue?.message}` : (issue?.message ?? "Invalid input."), field);
}
