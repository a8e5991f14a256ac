// The local driver against the real local cloud daemon, MariaDB and s3rver (scripts/services.sh up).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { HeadBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { localCloudEnv } from "@cp/config/local-cloud";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError, type InstanceSpec } from "../types";
import { LocalEngine } from "./local-engine";
import { localRef, localSpec, recorder } from "./testing/fixtures";
import {
  alive,
  freePort,
  randomPortRange,
  startDaemon,
  waitFor,
  type TestDaemon,
} from "./testing/local-cloud-daemon";
import { signInThroughProvider, startOidcProvider } from "./testing/oidc";

const run = randomBytes(3).toString("hex");
const SLUG = `it-${run}-main`;
const shared = localCloudEnv();

const spec = localSpec;
const ref = localRef;

// --- independent views of the real resources ---------------------------------------------------------------------
const s3 = new S3Client({
  endpoint: shared.s3.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: shared.s3.accessKeyId, secretAccessKey: shared.s3.secretAccessKey },
});

async function resources(slug: string) {
  const name = `t_${slug.replace(/-/g, "_")}`;
  const conn = await createConnection({ ...shared.mysql });
  try {
    const [dbs] = await conn.query<RowDataPacket[]>(
      "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
      [name],
    );
    const [users] = await conn.query<RowDataPacket[]>("SELECT User FROM mysql.global_priv WHERE User = ?", [
      name,
    ]);
    const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter(
      (b) => b.Name === `t-${slug}`,
    );
    return { databases: dbs.length, users: users.length, buckets: buckets.length };
  } finally {
    await conn.end();
  }
}

const get = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
};
const metricValue = (text: string, name: string, labels = ""): number => {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ""}`));
  return line ? Number(line.split(" ").at(-1)) : Number.NaN;
};

let dataDir: string;
let publicPorts: string;
let daemon: TestDaemon;
let engine: LocalEngine;
const created = new Set<string>();

function engineFor(d: TestDaemon) {
  return new LocalEngine({ baseUrl: d.url, pollIntervalMs: 100, timeoutMs: 60_000, healthTimeoutMs: 30_000 });
}

async function apply(s: InstanceSpec) {
  created.add(s.slug);
  const r = recorder();
  const outputs = await engine.apply(s, r.hooks);
  return { outputs, ...r };
}

async function view(slug: string) {
  const res = await fetch(`${daemon.url}/v1/instances/${slug}`);
  return (await res.json()) as {
    pid: number;
    generation: number;
    status: string;
    restarts: number;
    url: string;
  };
}

async function adminToken(slug: string) {
  const res = await fetch(`${daemon.url}/v1/instances/${slug}/admin-token`);
  return ((await res.json()) as { adminToken: string }).adminToken;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "local-cloud-it-"));
  publicPorts = randomPortRange();
  daemon = await startDaemon({ dataDir, publicPorts });
  engine = engineFor(daemon);
});

afterAll(async () => {
  if (daemon) {
    for (const slug of created) {
      await engine.destroy(ref(slug), recorder().hooks).catch(() => undefined);
    }
    await daemon.stop();
  }
  s3.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("LocalEngine against the local cloud", () => {
  it("is available when the daemon runs, and names the URL when it does not", async () => {
    expect(await engine.available()).toEqual({ ok: true });
    const port = await freePort();
    const down = await new LocalEngine({ baseUrl: `http://127.0.0.1:${port}` }).available();
    expect(down).toEqual({ ok: false, reason: `The local cloud is not running at http://127.0.0.1:${port}` });
  });

  it("apply creates a database, user, bucket and a running process whose URL answers /healthz and /version", async () => {
    const { outputs, steps } = await apply(spec(SLUG));
    expect(steps).toEqual(["database", "bucket", "service", "router", "health"]);
    expect(outputs).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      databaseEndpoint: `${shared.mysql.host}:${shared.mysql.port}`,
      databaseName: `t_${SLUG.replace(/-/g, "_")}`,
      bucket: `t-${SLUG}`,
      version: "1.0.0",
    });
    const port = Number(new URL(outputs.url).port);
    const [first, last] = publicPorts.split("-").map(Number) as [number, number];
    expect(port).toBeGreaterThanOrEqual(first);
    expect(port).toBeLessThanOrEqual(last);
    expect(await resources(SLUG)).toEqual({ databases: 1, users: 1, buckets: 1 });
    const health = await get(`${outputs.url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({
      status: "ok",
      checks: { database: "ok", storage: "ok" },
    });
    expect(JSON.parse((await get(`${outputs.url}/version`)).text)).toEqual({
      version: "1.0.0",
      slug: SLUG,
      schemaVersion: 2,
    });
    const v = await view(SLUG);
    expect(v.status).toBe("running");
    expect(alive(v.pid)).toBe(true);
  });

  it("apply twice creates nothing twice", async () => {
    const before = await view(SLUG);
    const { outputs } = await apply(spec(SLUG));
    const after = await view(SLUG);
    expect(after.pid).toBe(before.pid);
    expect(after.generation).toBe(before.generation);
    expect(outputs.url).toBe(before.url);
    expect(await resources(SLUG)).toEqual({ databases: 1, users: 1, buckets: 1 });
  });

  it("a new version re-points the same URL to a new process and stops the old one", async () => {
    const before = await view(SLUG);
    const { outputs } = await apply(spec(SLUG, { version: "1.1.0" }));
    const after = await view(SLUG);
    expect(outputs.url).toBe(before.url);
    expect(outputs.version).toBe("1.1.0");
    expect(after.pid).not.toBe(before.pid);
    expect(alive(before.pid)).toBe(false);
    expect(JSON.parse((await get(`${outputs.url}/version`)).text)).toEqual({
      version: "1.1.0",
      slug: SLUG,
      schemaVersion: 2,
    });
    expect(await resources(SLUG)).toEqual({ databases: 1, users: 1, buckets: 1 });
  });

  it("restarts a tenant process that was killed", async () => {
    const before = await view(SLUG);
    process.kill(before.pid, "SIGKILL");
    const after = await waitFor("a restarted process", async () => {
      const v = await view(SLUG);
      return v.status === "running" && v.pid !== before.pid ? v : null;
    });
    expect(after.restarts).toBe(before.restarts + 1);
    expect(alive(after.pid)).toBe(true);
    expect((await get(`${after.url}/version`)).status).toBe(200);
  });

  it("answers 429 with Retry-After once an API key exceeds its graphql requests per second", async () => {
    const { url } = await view(SLUG);
    const call = (key: string) =>
      fetch(`${url}/api/graphql`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({ query: "mutation { createRun }", operationName: "createRun" }),
      });
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 20 }, () => call("key-a")));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const statuses = responses.map((r) => r.status);
    const allowed = statuses.filter((s) => s === 200).length;
    // A burst of 5, then 5 more per second: never more than that got through.
    expect(allowed).toBeGreaterThanOrEqual(5);
    expect(allowed).toBeLessThanOrEqual(5 + Math.ceil(elapsedSeconds * 5));
    expect(statuses.filter((s) => s === 429).length).toBe(20 - allowed);
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toEqual({ error: expect.stringContaining("5 graphql requests per second") });
    expect((await call("key-b")).status).toBe(200);
    expect((await call("")).status).toBe(401);
  });

  it("exposes metrics: latency, requests, errors, storage bytes and database CPU time that rises under load", async () => {
    const { url } = await view(SLUG);
    const token = await adminToken(SLUG);
    const put = await fetch(`${url}/api/files/model.bin`, {
      method: "PUT",
      headers: { "x-api-key": "key-files" },
      body: randomBytes(4096),
    });
    expect(put.status).toBe(201);
    const first = (await get(`${url}/metrics`)).text;
    for (const name of [
      "tenant_http_request_duration_seconds_bucket",
      "tenant_http_requests_total",
      "tenant_http_errors_total",
      "tenant_storage_bytes",
      "tenant_database_cpu_seconds",
    ]) {
      expect(first).toContain(`# TYPE ${name.replace(/_bucket$/, "")}`);
    }
    expect(first).toMatch(/tenant_http_requests_total\{route="\/api\/graphql",method="POST",status="429"/);
    const cpuBefore = metricValue(first, "tenant_database_cpu_seconds");
    expect(cpuBefore).toBeGreaterThanOrEqual(0);

    expect((await get(`${url}/admin/load`, { method: "POST", body: "{}" })).status).toBe(401);
    const load = await fetch(`${url}/admin/load`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ queries: 60, concurrency: 4 }),
    });
    expect(load.status).toBe(200);
    const cpuAfter = metricValue((await get(`${url}/metrics`)).text, "tenant_database_cpu_seconds");
    expect(cpuAfter).toBeGreaterThan(cpuBefore);

    const bytes = await waitFor("the storage metric", async () => {
      const v = metricValue((await get(`${url}/metrics`)).text, "tenant_storage_bytes");
      return v >= 4096 ? v : null;
    });
    expect(bytes).toBeGreaterThanOrEqual(4096);
  });

  it("/admin/errors makes API requests fail with 500 and raises the error counter", async () => {
    const { url } = await view(SLUG);
    const token = await adminToken(SLUG);
    const errorsOf = async () =>
      metricValue(
        (await get(`${url}/metrics`)).text,
        "tenant_http_errors_total",
        'route="/api/graphql",status="500"',
      ) || 0;
    const setRate = (rate: number) =>
      fetch(`${url}/admin/errors`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ rate }),
      });
    const before = await errorsOf();
    expect((await setRate(1)).status).toBe(200);
    const failed = await fetch(`${url}/api/graphql`, {
      method: "POST",
      headers: { "x-api-key": "key-errors" },
      body: JSON.stringify({ query: "q" }),
    });
    expect(failed.status).toBe(500);
    expect(await errorsOf()).toBe(before + 1);
    expect((await setRate(0)).status).toBe(200);
    const ok = await fetch(`${url}/api/graphql`, {
      method: "POST",
      headers: { "x-api-key": "key-errors" },
      body: JSON.stringify({ query: "q" }),
    });
    expect(ok.status).toBe(200);
    expect((await setRate(2)).status).toBe(400);
  });

  it("refresh finds no drift for the applied spec and names each difference", async () => {
    const applied = spec(SLUG, { version: "1.1.0" });
    expect(await engine.refresh(applied, recorder().hooks)).toEqual({ drifted: false, details: [] });
    const changed = spec(SLUG, {
      version: "2.0.0",
      reliability: { externalRedis: false, rateLimits: { filestream: 5, graphql: 50 } },
    });
    const report = await engine.refresh(changed, recorder().hooks);
    expect(report.drifted).toBe(true);
    expect(report.details.join("\n")).toMatch(/release is "1.1.0", expected "2.0.0"/);
    expect(report.details.join("\n")).toMatch(/rate limits/);
    expect(await engine.refresh(spec(`it-${run}-none`), recorder().hooks)).toEqual({
      drifted: true,
      details: ["The instance does not exist on the local cloud."],
    });
  });

  it("suspend makes the URL answer 503 while data is kept; resume serves again", async () => {
    const { url, pid } = await view(SLUG);
    await engine.suspend(ref(SLUG), recorder().hooks);
    const suspended = await get(`${url}/healthz`);
    expect(suspended.status).toBe(503);
    expect(JSON.parse(suspended.text)).toMatchObject({ error: "suspended" });
    expect(alive(pid)).toBe(false);
    expect(await resources(SLUG)).toEqual({ databases: 1, users: 1, buckets: 1 });
    await engine.suspend(ref(SLUG), recorder().hooks); // idempotent
    await engine.resume(ref(SLUG), recorder().hooks);
    expect((await get(`${url}/healthz`)).status).toBe(200);
    expect((await engine.outputs(ref(SLUG)))?.version).toBe("1.1.0");
  });

  it("a restarted daemon re-adopts its instances; a killed one leaves no process behind", async () => {
    const before = await view(SLUG);
    await daemon.stop();
    expect(alive(before.pid)).toBe(false);
    expect(
      await fetch(`${before.url}/healthz`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");

    daemon = await startDaemon({ dataDir, publicPorts });
    engine = engineFor(daemon);
    const readopted = await waitFor("the re-adopted instance", async () => {
      const v = await view(SLUG);
      return v.status === "running" ? v : null;
    });
    expect(readopted.url).toBe(before.url);
    expect(JSON.parse((await get(`${readopted.url}/version`)).text)).toEqual({
      version: "1.1.0",
      slug: SLUG,
      schemaVersion: 2,
    });

    // SIGKILL: the daemon cannot clean up, yet its tenant process notices and exits (nothing is orphaned).
    await daemon.kill();
    await waitFor("the orphaned tenant process to exit", async () => !alive(readopted.pid), 10_000);
    daemon = await startDaemon({ dataDir, publicPorts });
    engine = engineFor(daemon);
    const again = await waitFor("the re-adopted instance", async () => {
      const v = await view(SLUG);
      return v.status === "running" ? v : null;
    });
    expect((await get(`${again.url}/healthz`)).status).toBe(200);
    expect(await resources(SLUG)).toEqual({ databases: 1, users: 1, buckets: 1 });
  }, 60_000);

  it("maps errors: a refused request is not retryable and carries the daemon's message; no daemon is retryable", async () => {
    const bad = spec(`it-${run}-bad`, {
      storage: {
        mode: "byob",
        provider: "s3",
        bucket: "Bad_Bucket",
        region: "us-east-1",
        access: { kind: "keys", accessKeyId: "k", secretAccessKey: "s" },
      },
    });
    const refused = await engine.apply(bad, recorder().hooks).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EngineError);
    expect(refused).toMatchObject({ code: "FAILED", retryable: false });
    expect((refused as Error).message).toContain("storage.bucket");

    const conflict = await engine
      .apply({ ...spec(SLUG), instanceId: "someone-else" }, recorder().hooks)
      .catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: "FAILED", retryable: false });
    expect((conflict as Error).message).toMatch(/already belongs to instance/);

    const role = spec(`it-${run}-role`, {
      storage: {
        mode: "byob",
        provider: "s3",
        bucket: "b-ok",
        region: "us-east-1",
        access: { kind: "role", roleArn: "arn:x" },
      },
    });
    await expect(engine.apply(role, recorder().hooks)).rejects.toMatchObject({
      code: "FAILED",
      retryable: false,
    });

    const port = await freePort();
    const nowhere = new LocalEngine({ baseUrl: `http://127.0.0.1:${port}` });
    const down = await nowhere.outputs(ref(SLUG)).catch((e: unknown) => e);
    expect(down).toMatchObject({ code: "FAILED", retryable: true });
    expect((down as Error).message).toMatch(
      /not running at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
    );

    await expect(engine.suspend(ref(`it-${run}-none`), recorder().hooks)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await engine.outputs(ref(`it-${run}-none`))).toBeNull();
  });

  it("honours the AbortSignal and cancel()", async () => {
    const slug = `it-${run}-cancel`;
    created.add(slug);
    const r = recorder();
    const applying = engine.apply(spec(slug), r.hooks);
    setTimeout(() => r.controller.abort(new EngineError("CANCELLED", "Cancelled on request.", false)), 50);
    await expect(applying).rejects.toMatchObject({ code: "CANCELLED", message: "Cancelled on request." });

    const r2 = recorder();
    const again = engine.apply(spec(slug, { version: "1.0.1" }), r2.hooks);
    setTimeout(() => void engine.cancel(ref(slug)), 50);
    await expect(again).rejects.toMatchObject({ code: "CANCELLED" });
    // The daemon finishes on its own (it owns the work); the instance converges.
    const done = await waitFor("the instance to converge", async () => {
      const v = await view(slug);
      return v.status === "running" ? v : null;
    });
    expect(done.status).toBe("running");
  });

  it("signs a user in with the configured OIDC provider (authorization code + PKCE)", async () => {
    const slug = `it-${run}-sso`;
    const issuerPort = await freePort();
    const issuer = `http://127.0.0.1:${issuerPort}`;
    const { outputs } = await apply(
      spec(slug, {
        sso: {
          mode: "oidc",
          issuer,
          clientId: "tenant-app",
          clientSecret: "tenant-app-secret",
          flow: "pkce",
        },
      }),
    );
    const shown = JSON.parse((await get(`${outputs.url}/config`)).text) as Record<string, unknown>;
    expect(shown.sso).toEqual({ mode: "oidc", issuer, clientId: "tenant-app", flow: "pkce" });
    expect(JSON.stringify(shown)).not.toContain("tenant-app-secret");

    const provider = await startOidcProvider(issuerPort, {
      clientId: "tenant-app",
      clientSecret: "tenant-app-secret",
      redirectUri: `${outputs.url}/auth/callback`,
    });
    try {
      const before = await get(`${outputs.url}/`);
      expect(before.text).toContain('href="/login"');
      const page = await signInThroughProvider(`${outputs.url}/login`, "ada");
      expect(page).toContain("Signed in as <b>ada@example.com</b>");
    } finally {
      await provider.close();
    }
  });

  it("signs a user in with the implicit flow (ID token in the fragment, posted back by the callback page)", async () => {
    const slug = `it-${run}-sso2`;
    const issuerPort = await freePort();
    const issuer = `http://127.0.0.1:${issuerPort}`;
    const { outputs } = await apply(
      spec(slug, {
        sso: {
          mode: "oidc",
          issuer,
          clientId: "tenant-spa",
          clientSecret: "unused-secret",
          flow: "implicit",
        },
      }),
    );
    const provider = await startOidcProvider(issuerPort, {
      clientId: "tenant-spa",
      clientSecret: "unused-secret",
      redirectUri: `${outputs.url}/auth/callback`,
      flow: "implicit",
    });
    try {
      const callbackPage = await get(`${outputs.url}/auth/callback`);
      expect(callbackPage.text).toContain("location.hash");
      const page = await signInThroughProvider(`${outputs.url}/login`, "ada");
      expect(page).toContain("Signed in as <b>ada@example.com</b>");
    } finally {
      await provider.close();
    }
  });

  it("destroy removes the database, user, bucket and process; destroying again succeeds", async () => {
    const v = await view(SLUG);
    const logFile = path.join(dataDir, `${SLUG}.log`);
    expect(existsSync(logFile)).toBe(true);
    await engine.destroy(ref(SLUG), recorder().hooks);
    expect(alive(v.pid)).toBe(false);
    expect(existsSync(logFile)).toBe(false);
    expect(await resources(SLUG)).toEqual({ databases: 0, users: 0, buckets: 0 });
    await expect(s3.send(new HeadBucketCommand({ Bucket: `t-${SLUG}` }))).rejects.toThrow();
    expect(await engine.outputs(ref(SLUG))).toBeNull();
    expect(
      await fetch(`${v.url}/healthz`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
    await engine.destroy(ref(SLUG), recorder().hooks);
    created.delete(SLUG);
  });
});
