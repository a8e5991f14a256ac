import "server-only";
import { env } from "@cp/config";

/**
 * The client's address. `next start` appends the socket address to X-Forwarded-For, so without a trusted proxy
 * the last entry is the only one we can believe; behind one (CP_TRUST_PROXY=true) the first is the client.
 */
export function clientIp(get: (name: string) => string | null | undefined): string | null {
  const xff = get("x-forwarded-for");
  if (!xff) return get("x-real-ip") ?? null;
  const parts = xff
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const ip = env().CP_TRUST_PROXY ? parts[0] : parts.at(-1);
  return ip?.replace(/^::ffff:/, "") ?? null;
}
