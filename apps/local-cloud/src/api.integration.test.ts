// The daemon's HTTP API in-process, against the MariaDB and s3rver of scripts/services.sh.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { localCloudEnv } from "@cp/config/local-cloud";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessCloud, waitUntil, type InProcessCloud } from "./testing/in-process-cloud";
import type { Buckets } from "./buckets";
import type { LocalCloud } from "./cloud";
import type { TenantDatabases } from "./mariadb";
import { resourceNames } from "./naming";
import { ZInstanceRequest } from "./schemas";
import { tenantMarker } from "./tenant-process";

const TOKEN = "api-test-token-0123456789";
const run = randomBytes(3).toString("hex");
const shared = localCloudEnv();

let daemon: InProcessCloud;
let cloud: LocalCloud;
let databases: TenantDatabases;
let buckets: Buckets;
let dataDir: string;
const call: InProcessCloud["call"] = (...args) => daemon.call(...args);

const body = (over: Record<string, unknown> = {}) => ({
  instanceId: "inst-1",
  version: "1.0.0",
  mysqlVersion: "8.0",
  size: "small",
  maxConnections: 20,
  rateLimits: { filestream: 20, graphql: 200 },
  externalRedis: false,
  sso: { mode: "provider" },
  storage: { mode: "provider" },
  ...over,
});

/** PIDs of this daemon's tenant processes for `slug` (by the marker in their command line). */
function tenantPids(slug: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(tenantMarker(slug)))
        pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

beforeAll(async () => {
  daemon = await startInProcessCloud({
    token: TOKEN,
    name: "api",
    ports: 30,
    env: { CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS: "100", CP_LOCAL_CLOUD_BACKOFF_MAX_MS: "1000" },
  });
  ({ cloud, databases, buckets, dataDir } = daemon);
});

afterAll(async () => {
  await daemon?.stop();
});

describe("local cloud API", () => {
  it("requires the bearer token on /v1, not on /healthz", async () => {
    expect((await call("GET", "/healthz", undefined, null)).json).toEqual({
      status: "ok",
      checks: { mariadb: "ok", s3: "ok" },
    });
    expect(await call("GET", "/v1/instances", undefined, null)).toMatchObject({
      status: 401,
      json: { error: "unauthorized", message: "authorization: a valid bearer token is required" },
    });
    expect((await call("GET", "/v1/instances", undefined, "wrong-token-0123456789")).status).toBe(401);
    expect(await call("GET", "/v1/instances")).toMatchObject({ status: 200, json: { instances: [] } });
  });

  it("answers clear 4xx errors that name the field", async () => {
    const slug = `api-${run}-x`;
    expect(
      await call("PUT", `/v1/instances/${slug}`, body({ rateLimits: { filestream: 20, graphql: 0 } })),
    ).toMatchObject({
      status: 400,
      json: { error: "bad_request", message: "rateLimits.graphql: must be at least 1" },
    });
    const sso = await call("PUT", `/v1/instances/${slug}`, body({ sso: { mode: "oidc", issuer: "x" } }));
    expect(sso.status).toBe(400);
    expect(String(sso.json?.message)).toMatch(/^sso\.issuer: /);
    expect(await call("PUT", `/v1/instances/${slug}`, "{nope")).toMatchObject({
      status: 400,
      json: { message: "body: must be valid JSON" },
    });
    expect((await call("PUT", "/v1/instances/Bad_Slug", body())).json).toMatchObject({
      error: "bad_request",
      message: expect.stringMatching(/^slug: /),
    });
    expect(await call("GET", `/v1/instances/${slug}`)).toMatchObject({
      status: 404,
      json: { error: "not_found", message: `instance "${slug}" does not exist` },
    });
    expect((await call("POST", `/v1/instances/${slug}/suspend`)).status).toBe(404);
    expect((await call("PATCH", `/v1/instances/${slug}`, body())).status).toBe(405);
    expect((await call("DELETE", `/v1/instances/${slug}`)).status).toBe(204);
    expect((await call("GET", "/v2/other")).status).toBe(404);
  });

  it("never answers with a secret, and keeps them in a private state file", async () => {
    const slug = `api-${run}-sec`;
    const put = await call(
      "PUT",
      `/v1/instances/${slug}`,
      body({
        sso: {
          mode: "oidc",
          issuer: "http://127.0.0.1:9",
          clientId: "c",
          clientSecret: "sso-secret-value",
          flow: "pkce",
        },
        storage: {
          mode: "byob",
          bucket: `byob-${run}`,
          endpoint: shared.s3.endpoint,
          accessKeyId: shared.s3.accessKeyId,
          secretAccessKey: "byob-secret-value",
        },
      }),
    );
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({ slug, status: "provisioning", generation: 1, bucket: `byob-${run}` });
    const listed = await call("GET", "/v1/instances");
    for (const text of [put.text, listed.text, (await call("GET", `/v1/instances/${slug}`)).text]) {
      expect(text).not.toContain("sso-secret-value");
      expect(text).not.toContain("byob-secret-value");
      expect(text).not.toMatch(/password|adminToken|sessionSecret/i);
    }
    const file = path.join(dataDir, "state.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, "utf8")).toContain("sso-secret-value");
    expect((await call("GET", `/v1/instances/${slug}/admin-token`)).json).toEqual({
      adminToken: expect.any(String),
    });
    // The customer's bucket does not exist (and is not ours to create): the instance never becomes healthy. A DELETE
    // supersedes that start instead of waiting for it to time out.
    const started = Date.now();
    expect((await call("DELETE", `/v1/instances/${slug}`)).status).toBe(204);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await call("GET", `/v1/instances/${slug}`)).status).toBe(404);
  });

  it("serializes operations on one slug: queued PUT and DELETE run in order and leave nothing half-made", async () => {
    const slug = `api-${run}-race`;
    const names = resourceNames(slug);
    // Called without awaiting, in this order: each waits for the one before (the per-slug mutex).
    const results = await Promise.allSettled([
      cloud.put(slug, ZInstanceRequest.parse(body())),
      cloud.remove(slug),
      cloud.put(slug, ZInstanceRequest.parse(body({ version: "1.0.1" }))),
      cloud.remove(slug),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    expect(results.map((r) => (r.status === "fulfilled" && r.value ? r.value.created : null))).toEqual([
      true,
      null,
      true,
      null,
    ]);
    // The reconciles the PUTs queued ran after the deletes and found nothing to do.
    await new Promise((r) => setTimeout(r, 300));
    expect(cloud.get(slug)).toBeNull();
    expect(await databases.exists(names)).toEqual({ database: false, user: false });
    expect(await buckets.exists(names.bucket)).toBe(false);
    expect(tenantPids(slug)).toEqual([]);
  });

  it("a DELETE during a reconcile supersedes it and removes everything it made", async () => {
    const slug = `api-${run}-mid`;
    const names = resourceNames(slug);
    expect((await call("PUT", `/v1/instances/${slug}`, body())).status).toBe(201);
    await waitUntil(async () => tenantPids(slug).length > 0 || cloud.get(slug)?.status === "running");
    expect((await call("DELETE", `/v1/instances/${slug}`)).status).toBe(204);
    expect(await databases.exists(names)).toEqual({ database: false, user: false });
    expect(await buckets.exists(names.bucket)).toBe(false);
    await waitUntil(async () => tenantPids(slug).length === 0);
    expect(tenantPids(slug)).toEqual([]);
  });

  it("PUT is idempotent: the same body again is 200 with the same generation; a change is 202", async () => {
    const slug = `api-${run}-idem`;
    expect((await call("PUT", `/v1/instances/${slug}`, body())).status).toBe(201);
    const again = await call("PUT", `/v1/instances/${slug}`, body());
    expect(again).toMatchObject({ status: 200, json: { generation: 1 } });
    const changed = await call("PUT", `/v1/instances/${slug}`, body({ maxConnections: 21 }));
    expect(changed).toMatchObject({ status: 202, json: { generation: 2 } });
    const conflict = await call("PUT", `/v1/instances/${slug}`, body({ instanceId: "inst-other" }));
    expect(conflict).toMatchObject({ status: 409, json: { error: "conflict" } });
    expect((await call("DELETE", `/v1/instances/${slug}`)).status).toBe(204);
  });
});
