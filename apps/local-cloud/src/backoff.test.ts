import { describe, expect, it } from "vitest";
import { restartDelayMs } from "./backoff";

describe("restart backoff", () => {
  it("doubles from the initial delay up to the maximum", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => restartDelayMs(a, 200, 10_000))).toEqual([
      200, 400, 800, 1600, 3200, 6400, 10_000, 10_000,
    ]);
  });

  it("stays bounded for huge or invalid attempt counts", () => {
    expect(restartDelayMs(10_000, 200, 10_000)).toBe(10_000);
    expect(restartDelayMs(-1, 200, 10_000)).toBe(200);
    expect(restartDelayMs(Number.NaN, 200, 10_000)).toBe(200);
  });
});
