import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandRoot, probeCli } from "./cli";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cp-pulumi-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!${process.execPath}\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe("Pulumi CLI lookup", () => {
  it("accepts `pulumi` from PATH or <root>/bin/pulumi, nothing else", () => {
    expect(commandRoot("pulumi")).toEqual({ root: null });
    expect(commandRoot("/opt/pulumi/bin/pulumi")).toEqual({ root: "/opt/pulumi" });
    expect(commandRoot("/usr/local/pulumi")).toEqual({ error: expect.stringContaining("/bin/pulumi") });
  });

  it("reads the version", async () => {
    expect(await probeCli(await script("v-ok", 'console.log("v3.205.0")'), 5000)).toEqual({
      ok: true,
      version: "3.205.0",
    });
  });

  it("refuses a CLI too old for inline refresh and destroy", async () => {
    const probe = await probeCli(await script("v-old", 'console.log("v3.100.0")'), 5000);
    expect(probe).toEqual({ ok: false, reason: expect.stringContaining("3.181.0 or newer") });
  });

  it("gives up on a CLI that does not answer in time", async () => {
    const probe = await probeCli(await script("v-hang", "setTimeout(() => {}, 60000)"), 300);
    expect(probe).toEqual({
      ok: false,
      reason: expect.stringContaining("did not answer 'version' within 300 ms"),
    });
  });

  it("says so when the file is not executable", async () => {
    const file = path.join(dir, "not-executable");
    await writeFile(file, "");
    expect(await probeCli(file, 5000)).toEqual({
      ok: false,
      reason: expect.stringContaining("not executable"),
    });
  });
});
