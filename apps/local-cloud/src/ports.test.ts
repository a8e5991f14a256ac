import { describe, expect, it } from "vitest";
import { allocatePort, candidatePorts, NoFreePortError } from "./ports";

const RANGE = { first: 4401, last: 4410 };

describe("public port allocation", () => {
  it("tries every port of the range once, skipping the ones in use", () => {
    const ports = candidatePorts(RANGE, new Set([4403, 4407]), "acme");
    expect(ports).toHaveLength(8);
    expect(new Set(ports).size).toBe(8);
    expect(ports).not.toContain(4403);
    expect(ports).not.toContain(4407);
    expect(ports.every((p) => p >= 4401 && p <= 4410)).toBe(true);
  });

  it("starts from a slot derived from the slug, so the same slug gets the same port again", () => {
    expect(candidatePorts(RANGE, new Set(), "acme")[0]).toBe(candidatePorts(RANGE, new Set(), "acme")[0]);
    const firsts = new Set(
      ["a1", "b2", "c3", "d4", "e5", "f6"].map((s) => candidatePorts(RANGE, new Set(), s)[0]),
    );
    expect(firsts.size).toBeGreaterThan(1);
  });

  it("skips ports another process holds", async () => {
    const order = candidatePorts(RANGE, new Set(), "acme");
    const taken = new Set(order.slice(0, 3));
    const port = await allocatePort(RANGE, new Set(), "acme", async (p) => !taken.has(p));
    expect(port).toBe(order[3]);
  });

  it("fails clearly when the range is exhausted", async () => {
    const used = new Set(Array.from({ length: 10 }, (_, i) => 4401 + i));
    await expect(allocatePort(RANGE, used, "acme", async () => true)).rejects.toThrow(NoFreePortError);
    await expect(allocatePort(RANGE, new Set(), "acme", async () => false)).rejects.toThrow(/4401-4410/);
  });
});
