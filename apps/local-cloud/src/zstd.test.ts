import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { childSink, COMPRESS_ARGS, DECOMPRESS_ARGS, inputBytes, spawnZstd, zstdFailure } from "./zstd";

async function run(args: string[], input: Buffer) {
  const zstd = spawnZstd(args);
  const out: Buffer[] = [];
  zstd.child.stdout!.on("data", (c: Buffer) => out.push(c));
  Readable.from([input]).pipe(childSink(zstd.child, zstd.exited));
  const result = await zstd.exited;
  return { result, out: Buffer.concat(out) };
}

describe("zstd", () => {
  const text = Buffer.from("INSERT INTO `t` VALUES (1,'a'),(2,'b');\n".repeat(10_000));

  it("round-trips, and says the input's exact size", async () => {
    const packed = await run(COMPRESS_ARGS, text);
    expect(packed.result.code).toBe(0);
    expect(packed.out.length).toBeLessThan(text.length / 10);
    expect(inputBytes(packed.result.stderr)).toBe(text.length);
    const unpacked = await run(DECOMPRESS_ARGS, packed.out);
    expect(unpacked.result.code).toBe(0);
    expect(unpacked.out.equals(text)).toBe(true);
  });

  it("fails on a damaged object, with a reason", async () => {
    const packed = (await run(COMPRESS_ARGS, text)).out;
    const middle = Math.floor(packed.length / 2);
    packed[middle] = packed[middle]! ^ 0xff;
    const { result } = await run(DECOMPRESS_ARGS, packed);
    expect(result.code).not.toBe(0);
    expect(zstdFailure("zstd -d", result)).toMatch(/^zstd -d exited with code \d+: \S/);
  });

  it("reads the input size from the summary only", () => {
    expect(inputBytes("/*stdin*\\ : 75.37%   (6754388 B => 5090838 B, /*stdout*\\)")).toBe(6754388);
    expect(inputBytes("/*stdin*\\ :  0.02%   (400000 B =>     98 B, /*stdout*\\)")).toBe(400000);
    expect(inputBytes("something else")).toBeNull();
  });
});
