// Webhook signatures. Every delivery carries
//
//   x-cp-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// where the HMAC key is the endpoint's secret exactly as shown when it was created or rotated (its UTF-8 bytes,
// "whsec_" prefix included) and <raw body> is the request body byte for byte. A receiver recomputes the HMAC over
// the body it received (before any JSON parsing), compares in constant time, and rejects a timestamp further than
// its tolerance from its clock, so a captured request cannot be replayed later. The timestamp is taken at each
// attempt, so a retried delivery is signed afresh; the body and the x-cp-delivery id stay the same, and receivers
// drop a delivery id they have already processed.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const WEBHOOK_SIGNATURE_HEADER = "x-cp-signature";
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** A new signing secret: 32 random bytes, base64url, with a prefix secret scanners and people recognise. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function hmacHex(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(`${timestamp}.`, "utf8")
    .update(rawBody)
    .digest("hex");
}

/** The x-cp-signature value for `rawBody` at `timestamp` (unix seconds). */
export function signWebhookPayload(
  secret: string,
  rawBody: string | Buffer,
  timestamp: number = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, rawBody)}`;
}

/**
 * True when `header` (an x-cp-signature value) signs `rawBody` with `secret` and its timestamp is within
 * `toleranceSeconds` of `nowMs`. Any v1 entry may match, so a sender may sign with an old and a new secret at once.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Buffer,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): boolean {
  if (!header) return false;
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), "hex");
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, "hex"), expected));
}
