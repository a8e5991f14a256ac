// The tenant service's schema migration by release and its fault injection, against the MariaDB of
// scripts/services.sh (a throwaway database of its own; the bucket is stubbed: this test is about the database).
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTenantConfig } from "./config";
import { TenantDatabase } from "./database";
import { createMetrics } from "./metrics";
import { createTenantServer } from "./server";
import type { TenantStorage } from "./storage";

// The local cloud's MariaDB account (packages/config/src/local-cloud.ts defaults, as scripts/services.sh sets up).
const mysql = {
  host: process.env.CP_LOCAL_CLOUD_MYSQL_HOST ?? "127.0.0.1",
  port: Number(process.env.CP_LOCAL_CLOUD_MYSQL_PORT ?? 53306),
  user: process.env.CP_LOCAL_CLOUD_MYSQL_USER ?? "cloud",
  password: process.env.CP_LOCAL_CLOUD_MYSQL_PASSWORD ?? "cloud-demo-password",
};
const DB = `t_it_tenant_${randomBytes(3).toString("hex")}`;

interface Running {
  db: TenantDatabase;
  server: Server;
  url: string;
  stop(): Promise<void>;
}
const running: Running[] = [];

async function startTenant(version: string, env: Record<string, string> = {}, random?: () => number) {
  const config = loadTenantConfig({
    INSTANCE_SLUG: "it-tenant",
    VERSION: version,
    DB_HOST: mysql.host,
    DB_PORT: String(mysql.port),
    DB_USER: mysql.user,
    DB_PASSWORD: mysql.password,
    DB_NAME: DB,
    DB_MAX_CONNECTIONS: "4",
    S3_BUCKET: "t-it-tenant",
    RATE_LIMIT_FILESTREAM: "100",
    RATE_LIMIT_GRAPHQL: "100",
    ADMIN_TOKEN: "admin-token-0123456789",
    ...env,
  });
  const db = new TenantDatabase(config);
  const storage = { check: async () => undefined } as unknown as TenantStorage;
  const metrics = createMetrics({ slug: "it-tenant", version }, { databaseCpuSeconds: async () => null });
  const { server } = createTenantServer({
    config,
    db,
    storage,
    metrics,
    oidc: null,
    sessionSecret: "session-secret-0123456789",
    log: () => undefined,
    random,
  });
  await db.ensureSchema();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r: Running = {
    db,
    server,
    url,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
  running.push(r);
  return r;
}

const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const createRun = (url: string, name: string) =>
  fetch(`${url}/api/graphql`, {
    method: "POST",
    headers: { "x-api-key": "key", "content-type": "application/json" },
    body: JSON.stringify({ query: name, operationName: name }),
  });

async function columns(): Promise<string[]> {
  const conn = await createConnection(mysql);
  try {
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'runs' ORDER BY ORDINAL_POSITION",
      [DB],
    );
    return rows.map((r) => String(r.c));
  } finally {
    await conn.end();
  }
}

beforeAll(async () => {
  const conn = await createConnection(mysql);
  await conn.query(`CREATE DATABASE \`${DB}\` CHARACTER SET utf8mb4`);
  await conn.end();
});

afterAll(async () => {
  for (const r of running) await r.stop().catch(() => undefined);
  const conn = await createConnection(mysql);
  await conn.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await conn.end();
});

describe("the tenant service's schema by release", () => {
  it("0.65.0 creates schema 1; 0.66.0 beside it adds a column and records schema 2; 0.65.0 keeps working", async () => {
    const old = await startTenant("0.65.0");
    expect(old.db.appliedSchemaVersion).toBe(1);
    expect((await json(`${old.url}/version`)).body).toEqual({
      version: "0.65.0",
      slug: "it-tenant",
      schemaVersion: 1,
    });
    expect(await columns()).not.toContain("client_version");
    expect((await createRun(old.url, "before")).status).toBe(200);

    const next = await startTenant("0.66.0");
    expect(next.db.appliedSchemaVersion).toBe(2);
    expect(await columns()).toContain("client_version");
    expect((await json(`${next.url}/version`)).body).toEqual({
      version: "0.66.0",
      slug: "it-tenant",
      schemaVersion: 2,
    });
    // The old release, still serving beside the new one, works on the new schema and reports it.
    expect((await createRun(old.url, "old-on-new-schema")).status).toBe(200);
    expect((await json(`${old.url}/version`)).body).toMatchObject({ version: "0.65.0", schemaVersion: 2 });
    expect((await createRun(next.url, "new")).status).toBe(200);
    await old.stop();
    running.splice(running.indexOf(old), 1);

    // A rollback: 0.65.0 started again on schema 2. Nothing is migrated down.
    const rolledBack = await startTenant("0.65.0");
    expect((await json(`${rolledBack.url}/version`)).body).toMatchObject({
      version: "0.65.0",
      schemaVersion: 2,
    });
    expect((await createRun(rolledBack.url, "after-rollback")).status).toBe(200);
    expect((await json(`${rolledBack.url}/api/ping`)).status).toBe(200);

    const conn = await createConnection({ ...mysql, database: DB });
    try {
      const [rows] = await conn.query<RowDataPacket[]>("SELECT name, client_version FROM runs ORDER BY id");
      expect(rows.map((r) => [r.name, r.client_version])).toEqual([
        ["before", null],
        ["old-on-new-schema", null],
        ["new", "0.66.0"],
        ["after-rollback", null],
      ]);
      const [applied] = await conn.query<RowDataPacket[]>(
        "SELECT schema_version, applied_by FROM tenant_schema ORDER BY schema_version",
      );
      expect(applied.map((r) => [r.schema_version, r.applied_by])).toEqual([
        [1, "0.65.0"],
        [2, "0.66.0"],
      ]);
    } finally {
      await conn.end();
    }
  });
});

describe("fault injection (FAULT_ERROR_RATE)", () => {
  it("answers that share of requests with 500, counted as errors, and never the probes", async () => {
    // Draws alternate below and above 0.5: every other request fails.
    let n = 0;
    const t = await startTenant("0.66.0", { FAULT_ERROR_RATE: "0.5" }, () => (n++ % 2 === 0 ? 0.1 : 0.9));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await fetch(`${t.url}/api/ping`)).status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(5);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    for (let i = 0; i < 4; i++) expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(
      /tenant_http_errors_total\{route="\/api\/ping",status="500",instance_slug="it-tenant"\} 5/,
    );
    expect(metrics).not.toMatch(/tenant_http_errors_total\{route="\/healthz"/);
    expect((await json(`${t.url}/config`)).body).toMatchObject({ faultErrorRate: 0.5 });
  });

  it("a rate of 1 fails every customer request", async () => {
    const t = await startTenant("0.66.0", { FAULT_ERROR_RATE: "1" });
    expect(await json(`${t.url}/api/ping`)).toEqual({
      status: 500,
      body: { error: "injected fault (FAULT_ERROR_RATE)" },
    });
    expect((await createRun(t.url, "x")).status).toBe(500);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
