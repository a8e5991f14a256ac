import { describe, expect, it } from "vitest";
import { TokenBuckets } from "./token-bucket";

describe("TokenBuckets", () => {
  it("allows a burst of `rate` requests, then refuses with the time until the next token", () => {
    const b = new TokenBuckets(5);
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) expect(b.take("k", t0).allowed).toBe(true);
    const refused = b.take("k", t0);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeCloseTo(0.2, 5);
  });

  it("refills at `rate` tokens per second, never above capacity", () => {
    const b = new TokenBuckets(2);
    const t0 = 0;
    expect(b.take("k", t0).allowed).toBe(true);
    expect(b.take("k", t0).allowed).toBe(true);
    expect(b.take("k", t0).allowed).toBe(false);
    expect(b.take("k", t0 + 500).allowed).toBe(true); // one token back after 0.5 s at 2/s
    expect(b.take("k", t0 + 500).allowed).toBe(false);
    // A long pause refills to capacity only: two requests pass, the third is refused.
    expect(b.take("k", t0 + 60_000).allowed).toBe(true);
    expect(b.take("k", t0 + 60_000).allowed).toBe(true);
    expect(b.take("k", t0 + 60_000).allowed).toBe(false);
  });

  it("keeps one bucket per key", () => {
    const b = new TokenBuckets(1);
    expect(b.take("a", 0).allowed).toBe(true);
    expect(b.take("a", 0).allowed).toBe(false);
    expect(b.take("b", 0).allowed).toBe(true);
  });

  it("does not refill when the clock goes backwards", () => {
    const b = new TokenBuckets(1);
    expect(b.take("k", 10_000).allowed).toBe(true);
    expect(b.take("k", 5_000).allowed).toBe(false);
  });

  it("forgets idle keys on sweep", () => {
    const b = new TokenBuckets(1, 1, 1_000);
    b.take("old", 0);
    b.take("new", 1_500);
    b.sweep(2_000);
    expect(b.size).toBe(1);
  });

  it("rejects a non-positive rate", () => {
    expect(() => new TokenBuckets(0)).toThrow(RangeError);
  });
});
