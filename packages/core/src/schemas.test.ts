import { describe, expect, it } from "vitest";
import { ZEmail, ZPage, ZPassword, ZSlug } from "./schemas";

const messageOf = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  r.error?.issues[0]?.message;

describe("ZEmail", () => {
  it("trims and lower-cases", () => {
    expect(ZEmail.parse("  Jane.Doe@Example.COM ")).toBe("jane.doe@example.com");
  });

  it("refuses what is not an address, saying what one looks like", () => {
    for (const bad of ["", "jane", "jane@", "@example.com", "jane@example", "ja ne@example.com"]) {
      const r = ZEmail.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(messageOf(r)).toBe("must be an e-mail address like name@example.com");
    }
  });
});

describe("ZSlug", () => {
  it("accepts lower-case letters, digits and inner hyphens, 3 to 40 characters", () => {
    for (const ok of ["abc", "acme-corp", "a1-b2-c3", "123", "a".repeat(40)])
      expect(ZSlug.parse(ok)).toBe(ok);
    expect(ZSlug.parse("  acme  ")).toBe("acme");
  });

  it("says which rule a bad slug breaks", () => {
    expect(messageOf(ZSlug.safeParse("ab"))).toBe("must be at least 3 characters");
    expect(messageOf(ZSlug.safeParse("a".repeat(41)))).toBe("must be at most 40 characters");
    for (const bad of ["Acme", "acme_corp", "-acme", "acme-", "ac me", "acmé"]) {
      const r = ZSlug.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(messageOf(r), bad).toBe("may contain only lower-case letters, digits and inner hyphens");
    }
  });
});

describe("ZPassword and ZPage", () => {
  it("asks for at least 12 characters", () => {
    expect(messageOf(ZPassword.safeParse("short"))).toBe("must be at least 12 characters");
    expect(ZPassword.safeParse("twelve chars").success).toBe(true);
  });

  it("defaults the page size to 25 and bounds it", () => {
    expect(ZPage.parse({})).toEqual({ limit: 25 });
    expect(messageOf(ZPage.safeParse({ limit: 0 }))).toBe("must be at least 1");
    expect(messageOf(ZPage.safeParse({ limit: 101 }))).toBe("must be at most 100");
  });
});
