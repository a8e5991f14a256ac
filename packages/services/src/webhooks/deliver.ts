// One attempt at a webhook delivery: sign the stored payload with the endpoint's secret and POST it through the
// network guard. The outbox (outbox/outbox.ts) owns claiming, retries and backoff; this file only says how the
// attempt went. Neither the secret nor the body is ever logged or stored in an error.
import { decryptSecret, FetchFailure, guardedPost, UnsafeUrlError } from "@cp/connectors";
import { db, type OutboxMessage } from "@cp/db";
import { signWebhookPayload, WEBHOOK_SIGNATURE_HEADER } from "./signature";

/** Whole request, connect to last byte; far below the outbox sweep's "stuck in sending" limit. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Receivers answer with a status; a long body is not read. */
const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

export interface WebhookDeliveryOptions {
  timeoutMs?: number;
  /** Private hosts that may be posted to; default CP_ALLOWED_PRIVATE_HOSTS. */
  allow?: readonly string[];
}

export type WebhookAttempt =
  { outcome: "sent"; status: number } | { outcome: "retry" | "failed"; reason: string };

/** Binds an endpoint's encrypted secret to the endpoint, so a ciphertext copied to another row does not decrypt. */
export const webhookSecretContext = (endpointId: string) => `webhook:${endpointId}`;

/** 2xx: delivered. 408, 429, 5xx: the receiver may recover, retry. Anything else will not change by retrying. */
export function classifyWebhookStatus(status: number): WebhookAttempt {
  if (status >= 200 && status < 300) return { outcome: "sent", status };
  if (status === 408 || status === 429 || status >= 500) {
    return { outcome: "retry", reason: `HTTP ${status} from the endpoint; retrying later.` };
  }
  if (status >= 300 && status < 400) {
    return {
      outcome: "failed",
      reason: `HTTP ${status}: redirects are not followed; register the final URL of the endpoint.`,
    };
  }
  return { outcome: "failed", reason: `HTTP ${status}: the endpoint refused the delivery.` };
}

export async function attemptWebhookDelivery(
  msg: OutboxMessage,
  opts: WebhookDeliveryOptions = {},
): Promise<WebhookAttempt> {
  const payload = msg.payload as { type?: unknown } | null;
  if (!msg.webhookId || payload === null || typeof payload !== "object") {
    return { outcome: "failed", reason: "The message names no webhook endpoint or has no payload." };
  }
  const endpoint = await db().webhookEndpoint.findUnique({ where: { id: msg.webhookId } });
  if (!endpoint) return { outcome: "failed", reason: "The webhook endpoint was deleted." };
  if (!endpoint.enabled) return { outcome: "failed", reason: "The webhook endpoint is disabled." };

  let attempt: WebhookAttempt;
  let lastStatus: string;
  try {
    const secret = decryptSecret(endpoint.secretCiphertext, {
      associatedData: webhookSecretContext(endpoint.id),
    });
    const body = JSON.stringify(payload);
    const res = await guardedPost(endpoint.url, body, {
      field: "url",
      allow: opts.allow,
      timeoutMs: opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      maxBytes: WEBHOOK_MAX_RESPONSE_BYTES,
      headers: {
        "content-type": "application/json",
        "user-agent": "control-plane-webhooks/1",
        "x-cp-event": typeof payload.type === "string" ? payload.type : "unknown",
        "x-cp-delivery": msg.id,
        // Signed at each attempt, so the timestamp is fresh for receivers that check it.
        [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(secret, body),
      },
    });
    attempt = classifyWebhookStatus(res.status);
    lastStatus = `HTTP ${res.status}`;
  } catch (err) {
    if (err instanceof FetchFailure && err.kind === "too-large") {
      // It answered, so it probably has the event; sending again would only repeat this.
      attempt = {
        outcome: "failed",
        reason: `The endpoint's answer is too long (${err.message}); answer webhooks with a short body.`,
      };
      lastStatus = "answer too large";
    } else if (err instanceof FetchFailure) {
      attempt = { outcome: "retry", reason: `The endpoint could not be reached: ${err.message}.` };
      lastStatus = err.kind;
    } else if (err instanceof UnsafeUrlError) {
      // A name that does not resolve may be a passing DNS problem; a private address stays refused.
      attempt = { outcome: err.reason === "unresolvable" ? "retry" : "failed", reason: err.message };
      lastStatus = "refused";
    } else {
      // SecretError messages name no secret material (connectors/secrets.ts).
      attempt = { outcome: "failed", reason: err instanceof Error ? err.message : String(err) };
      lastStatus = "error";
    }
  }
  // updateMany: the endpoint may have been deleted while the request was in flight.
  await db().webhookEndpoint.updateMany({
    where: { id: endpoint.id },
    data: { lastDeliveryAt: new Date(), lastStatus },
  });
  return attempt;
}
