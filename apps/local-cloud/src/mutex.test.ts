import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./mutex";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("KeyedMutex", () => {
  it("runs operations on one key one at a time, in order", async () => {
    const m = new KeyedMutex();
    const events: string[] = [];
    const op = (name: string) => async () => {
      events.push(`${name}:start`);
      await tick();
      events.push(`${name}:end`);
      return name;
    };
    const results = await Promise.all([
      m.run("a", op("put")),
      m.run("a", op("delete")),
      m.run("a", op("put2")),
    ]);
    expect(results).toEqual(["put", "delete", "put2"]);
    expect(events).toEqual(["put:start", "put:end", "delete:start", "delete:end", "put2:start", "put2:end"]);
    expect(m.busy("a")).toBe(false);
  });

  it("runs different keys concurrently", async () => {
    const m = new KeyedMutex();
    const events: string[] = [];
    const op = (name: string) => async () => {
      events.push(`${name}:start`);
      await tick();
      events.push(`${name}:end`);
    };
    await Promise.all([m.run("a", op("a")), m.run("b", op("b"))]);
    expect(events.slice(0, 2).sort()).toEqual(["a:start", "b:start"]);
  });

  it("keeps going after a failed operation", async () => {
    const m = new KeyedMutex();
    const failed = m.run("a", async () => {
      throw new Error("boom");
    });
    const next = m.run("a", async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
  });
});
