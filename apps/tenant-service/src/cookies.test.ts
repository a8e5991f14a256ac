import { describe, expect, it } from "vitest";
import { parseCookies, serializeCookie, signValue, verifyValue } from "./cookies";

const SECRET = "0123456789abcdef0123";

describe("signed cookies", () => {
  it("round-trips a payload until it expires", () => {
    const v = signValue({ email: "a@example.com" }, SECRET, 2_000);
    expect(verifyValue(v, SECRET, 1_000)).toEqual({ email: "a@example.com" });
    expect(verifyValue(v, SECRET, 2_000)).toBeNull();
  });

  it("refuses a forged or re-signed value", () => {
    const v = signValue({ email: "a@example.com" }, SECRET, 2_000);
    const [body, mac] = v.split(".") as [string, string];
    const forgedBody = Buffer.from(JSON.stringify({ p: { email: "evil@example.com" }, e: 2_000 })).toString(
      "base64url",
    );
    expect(verifyValue(`${forgedBody}.${mac}`, SECRET, 1_000)).toBeNull();
    expect(verifyValue(`${body}.${mac}`, "another-secret-0123456", 1_000)).toBeNull();
    expect(verifyValue("garbage", SECRET, 1_000)).toBeNull();
    expect(verifyValue(undefined, SECRET, 1_000)).toBeNull();
  });

  it("parses and serializes cookie headers", () => {
    expect(parseCookies("a=1; b=x%20y; bad; c=")).toEqual({ a: "1", b: "x y", c: "" });
    const header = serializeCookie("s", "v w", { maxAgeSeconds: 60 });
    expect(header).toBe("s=v%20w; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
    expect(serializeCookie("s", "", { maxAgeSeconds: 0, secure: true })).toContain("Secure");
  });
});
