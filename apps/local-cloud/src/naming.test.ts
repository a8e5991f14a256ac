import { describe, expect, it } from "vitest";
import { isValidSlug, resourceNames } from "./naming";

describe("resource names", () => {
  it("derives the database, user and bucket from the slug", () => {
    expect(resourceNames("acme-prod")).toEqual({
      database: "t_acme_prod",
      user: "t_acme_prod",
      bucket: "t-acme-prod",
    });
  });

  it("accepts the control plane's slugs and nothing that could break SQL or S3 names", () => {
    expect(isValidSlug("abc")).toBe(true);
    expect(isValidSlug("a".repeat(40))).toBe(true);
    for (const bad of ["ab", "a".repeat(41), "-abc", "abc-", "ABC", "a_b", "a`b", "a.b", "a b", "x'; drop"]) {
      expect(isValidSlug(bad)).toBe(false);
    }
    expect(() => resourceNames("a`b")).toThrow(/invalid slug/);
  });
});
