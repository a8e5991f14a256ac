import { describe, expect, it } from "vitest";
import { classifyWebhookStatus } from "./deliver";

describe("classifyWebhookStatus", () => {
  it("counts any 2xx as delivered", () => {
    for (const status of [200, 201, 202, 204, 299]) {
      expect(classifyWebhookStatus(status)).toEqual({ outcome: "sent", status });
    }
  });

  it("retries what the receiver may recover from: 408, 429 and 5xx", () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(classifyWebhookStatus(status).outcome, String(status)).toBe("retry");
    }
  });

  it("fails other 4xx and redirects at once, saying why", () => {
    for (const status of [400, 401, 403, 404, 410, 413, 422]) {
      expect(classifyWebhookStatus(status), String(status)).toEqual({
        outcome: "failed",
        reason: `HTTP ${status}: the endpoint refused the delivery.`,
      });
    }
    expect(classifyWebhookStatus(301)).toMatchObject({
      outcome: "failed",
      reason: expect.stringContaining("redirects are not followed"),
    });
  });
});
