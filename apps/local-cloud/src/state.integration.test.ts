import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyState, StateFileError, StateStore } from "./state";
import type { StoredInstance } from "./schemas";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "local-cloud-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const withPort = (publicPort: number): StoredInstance => ({
  slug: "acme",
  instanceId: "i-1",
  desired: {
    instanceId: "i-1",
    version: "1.0.0",
    mysqlVersion: "8.0",
    size: "small",
    maxConnections: 20,
    rateLimits: { filestream: 20, graphql: 200 },
    externalRedis: false,
    sso: { mode: "provider" },
    storage: { mode: "provider" },
  },
  generation: 1,
  observedGeneration: 1,
  suspended: false,
  deleting: false,
  restoring: false,
  publicPort,
  dbPassword: "0123456789abcdef-db",
  adminToken: "0123456789abcdef-admin",
  sessionSecret: "0123456789abcdef-session",
  pid: null,
  runningVersion: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

describe("StateStore", () => {
  it("starts empty when there is no file, and round-trips through the file", async () => {
    const store = new StateStore(path.join(dir, "sub", "state.json"));
    expect(await store.load()).toEqual(emptyState());
    const state = emptyState();
    state.instances.acme = withPort(4401);
    await store.save(state);
    expect(await new StateStore(store.file).load()).toEqual(state);
  });

  it("writes the file readable by its owner only (it holds secrets) and leaves no temp files", async () => {
    const store = new StateStore(path.join(dir, "state.json"));
    await store.save(emptyState());
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("keeps the newest of concurrent saves", async () => {
    const store = new StateStore(path.join(dir, "state.json"));
    const saves = [];
    for (let port = 4401; port <= 4420; port++) {
      const s = emptyState();
      s.instances.acme = withPort(port);
      saves.push(store.save(s));
    }
    await Promise.all(saves);
    expect((await store.load()).instances.acme?.publicPort).toBe(4420);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("refuses to load a corrupt file instead of forgetting the instances", async () => {
    const file = path.join(dir, "state.json");
    await writeFile(file, "{ half a file");
    await expect(new StateStore(file).load()).rejects.toThrow(StateFileError);
    expect(await readFile(file, "utf8")).toBe("{ half a file");
  });
});
