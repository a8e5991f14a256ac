// Webhook event types, shared by the API's input schemas, the console's forms and the services that queue them.

export const WEBHOOK_EVENT_TYPES = ["alert.firing", "alert.resolved", "alert.acknowledged"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  "alert.firing": "Alert firing",
  "alert.resolved": "Alert resolved",
  "alert.acknowledged": "Alert acknowledged",
};

/** Endpoint descriptions: a short label for people. */
export const WEBHOOK_DESCRIPTION_MAX = 200;
export const WEBHOOK_URL_MAX = 2000;
