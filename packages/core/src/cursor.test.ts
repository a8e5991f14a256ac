import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor";

describe("keyset cursors", () => {
  it("round-trip the time (to the millisecond) and the id", () => {
    const c = { at: new Date("2024-02-29T23:59:59.999Z"), id: "clx0abc123def456" };
    const encoded = encodeCursor(c);
    expect(decodeCursor(encoded)).toEqual(c);
  });

  it("are URL-safe: no +, / or = padding", () => {
    for (const id of ["a", "ab", "abc", "???>>>", "id|with|bars"]) {
      const encoded = encodeCursor({ at: new Date(0), id });
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(encoded)).toEqual({ at: new Date(0), id });
    }
  });

  it("decode garbage to null rather than throwing", () => {
    expect(decodeCursor("")).toBeNull();
    expect(decodeCursor("%%%")).toBeNull();
    expect(decodeCursor("not a cursor!")).toBeNull();
    expect(decodeCursor(btoa("no-separator"))).toBeNull();
    expect(decodeCursor(btoa("not-a-date|id1"))).toBeNull();
    expect(decodeCursor(btoa("2024-01-01T00:00:00.000Z|"))).toBeNull();
  });
});
