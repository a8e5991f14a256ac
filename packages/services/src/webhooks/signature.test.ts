import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhookPayload, verifyWebhookSignature } from "./signature";

const SECRET = "whsec_test-secret-0123456789";
const BODY = '{"id":"d1","type":"alert.firing","occurredAt":"2026-11-27T12:00:00.000Z","data":{"x":1}}';
const T = 1_800_000_000;
const at = (seconds: number) => seconds * 1000;

describe("signWebhookPayload", () => {
  it("is t=<seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>' keyed with the secret's UTF-8 bytes>", () => {
    const expected = createHmac("sha256", SECRET).update(`${T}.${BODY}`).digest("hex");
    expect(signWebhookPayload(SECRET, BODY, T)).toBe(`t=${T},v1=${expected}`);
    expect(signWebhookPayload(SECRET, Buffer.from(BODY), T)).toBe(`t=${T},v1=${expected}`);
  });
});

describe("verifyWebhookSignature", () => {
  const header = signWebhookPayload(SECRET, BODY, T);

  it("accepts the signature of the exact body within the tolerance, either side of the receiver's clock", () => {
    expect(verifyWebhookSignature(SECRET, header, BODY, 300, at(T))).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(BODY), 300, at(T + 300))).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, 300, at(T - 300))).toBe(true);
  });

  it("rejects a timestamp outside the tolerance (a replay, or a clock far off)", () => {
    expect(verifyWebhookSignature(SECRET, header, BODY, 300, at(T + 301))).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, 300, at(T - 301))).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, 10, at(T + 11))).toBe(false);
  });

  it("rejects a tampered body, a wrong secret and a changed timestamp", () => {
    expect(verifyWebhookSignature(SECRET, header, BODY.replace('"x":1', '"x":2'), 300, at(T))).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, `${BODY} `, 300, at(T))).toBe(false);
    expect(verifyWebhookSignature(`${SECRET}x`, header, BODY, 300, at(T))).toBe(false);
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifyWebhookSignature(SECRET, moved, BODY, 300, at(T))).toBe(false);
  });

  it("rejects missing and malformed headers", () => {
    const v1 = header.split(",")[1]!;
    for (const bad of [
      null,
      undefined,
      "",
      `t=${T}`,
      v1,
      `t=abc,${v1}`,
      `t=${T},v1=zz`,
      `t=${T},v0=${v1.slice(3)}`,
    ]) {
      expect(verifyWebhookSignature(SECRET, bad, BODY, 300, at(T)), String(bad)).toBe(false);
    }
  });

  it("accepts a header with several v1 signatures when one matches (signing with two secrets)", () => {
    const other = signWebhookPayload("whsec_other", BODY, T).split(",")[1]!;
    const both = `${header.split(",")[0]!},${other},${header.split(",")[1]!}`;
    expect(verifyWebhookSignature(SECRET, both, BODY, 300, at(T))).toBe(true);
    expect(verifyWebhookSignature("whsec_third", both, BODY, 300, at(T))).toBe(false);
  });
});

describe("generateWebhookSecret", () => {
  it("is 32 random bytes in base64url behind a whsec_ prefix, different every time", () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(6), "base64url")).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});
