// The counters a tenant reports (what its tables map to) and the request its sender makes, against a local HTTP
// server standing in for the control plane's ingest.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { countersFrom, readRunFigures, sendReport, TelemetrySender, type TelemetryReport } from "./telemetry";

const FIGURES = { runs: 42, apiKeys: 5, activeDaily: 2, activeWeekly: 3, activeMonthly: 4 };

describe("countersFrom", () => {
  it("maps runs, API keys (users), active keys and the bucket; zeros for what the tenant does not have", () => {
    const c = countersFrom(FIGURES, 123_456);
    expect(c).toMatchObject({
      runCount: 42,
      userCount: 5,
      storageBytes: 123_456,
      userStat: { activeDaily: 2, activeWeekly: 3, activeMonthly: 4 },
    });
    expect(c.teamCount + c.sweepCount + c.artifactCount + c.reportCount + c.computeHours).toBe(0);
    expect(Object.keys(c)).toHaveLength(16);
  });

  it("reports 0 storage when the bucket could not be read, and never a negative or fractional count", () => {
    expect(countersFrom({ ...FIGURES, runs: -3, apiKeys: 2.7 }, null)).toMatchObject({
      runCount: 0,
      userCount: 2,
      storageBytes: 0,
    });
  });
});

describe("readRunFigures", () => {
  it("counts from the runs table with 1/7/30-day windows, and zeros when the table does not exist yet", async () => {
    const now = new Date("2025-03-01T00:00:00Z");
    const calls: unknown[][] = [];
    const pool = {
      query: async (_sql: string, params: unknown[]) => {
        calls.push(params);
        return [[{ runs: "42", apiKeys: 5, activeDaily: 2, activeWeekly: 3, activeMonthly: 4 }], []];
      },
    };
    expect(await readRunFigures(pool as never, now)).toEqual(FIGURES);
    expect(calls[0]).toEqual([
      new Date("2025-02-28T00:00:00Z"),
      new Date("2025-02-22T00:00:00Z"),
      new Date("2025-01-30T00:00:00Z"),
    ]);
    const missing = {
      query: async () => {
        throw Object.assign(new Error("Table 'runs' doesn't exist"), { code: "ER_NO_SUCH_TABLE" });
      },
    };
    expect(await readRunFigures(missing as never, now)).toEqual({
      runs: 0,
      apiKeys: 0,
      activeDaily: 0,
      activeWeekly: 0,
      activeMonthly: 0,
    });
  });
});

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

let server: Server | null = null;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = null;
});

async function ingest(
  answer: (seen: Seen) => { status: number; body: unknown; headers?: Record<string, string> },
) {
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/telemetry/v1/reports`, seen };
}

const report: TelemetryReport = { day: "2025-03-01", version: "0.66.0", counters: countersFrom(FIGURES, 10) };

describe("sendReport", () => {
  it("posts the report as JSON with the license as bearer token, and returns the ingest's answer", async () => {
    const { url, seen } = await ingest(() => ({ status: 200, body: { accepted: true, replaced: true } }));
    const r = await sendReport({ url, licenseToken: "lic.token.sig", version: "0.66.0" }, report);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "/api/telemetry/v1/reports",
      authorization: "Bearer lic.token.sig",
      contentType: "application/json",
      body: report,
    });
    expect(r).toMatchObject({ ok: true, status: 200, answer: { accepted: true, replaced: true } });
    expect(r.message).toMatch(/accepted \(replaced/);
  });

  it("a refusal carries the status and the ingest's message (and Retry-After)", async () => {
    const { url } = await ingest(() => ({
      status: 429,
      body: { error: "rate_limited", message: "rate limit: at most 30 reports per license per hour" },
      headers: { "retry-after": "120" },
    }));
    const r = await sendReport({ url, licenseToken: "t", version: "0.66.0" }, report);
    expect(r).toMatchObject({ ok: false, status: 429 });
    expect(r.message).toBe(
      "telemetry for 2025-03-01 refused: 429 rate limit: at most 30 reports per license per hour (retry after 120 s)",
    );
  });

  it("an unreachable ingest is a result, not a throw", async () => {
    const r = await sendReport(
      { url: "http://127.0.0.1:9/none", licenseToken: "t", version: "0.66.0" },
      report,
      {
        timeoutMs: 2000,
      },
    );
    expect(r).toMatchObject({ ok: false, status: null });
    expect(r.message).toMatch(/unreachable/);
  });
});

describe("TelemetrySender", () => {
  it("builds the day's report from its sources and logs the outcome without the token", async () => {
    const { url, seen } = await ingest(() => ({
      status: 403,
      body: { error: "license_revoked", message: "revoked" },
    }));
    const logs: string[] = [];
    const sender = new TelemetrySender({
      target: { url, licenseToken: "secret-license", version: "0.67.0" },
      intervalMs: 60_000,
      runFigures: async () => FIGURES,
      storageBytes: async () => {
        throw new Error("bucket down");
      },
      log: (msg, fields) => logs.push(`${msg} ${JSON.stringify(fields)}`),
      now: () => new Date("2025-03-02T10:00:00Z"),
    });
    const r = await sender.sendNow();
    expect(r.ok).toBe(false);
    expect(seen[0]?.body).toMatchObject({
      day: "2025-03-02",
      version: "0.67.0",
      counters: { storageBytes: 0 },
    });
    expect(logs.join("\n")).toMatch(/refused: 403 revoked/);
    expect(logs.join("\n")).not.toContain("secret-license");
  });
});

describe("telemetry configuration", () => {
  it("needs the license when the ingest URL is set, and never shows it", async () => {
    const { loadTenantConfig, publicConfig } = await import("./config");
    const base = {
      INSTANCE_SLUG: "acme",
      VERSION: "1.0.0",
      DB_USER: "u",
      DB_PASSWORD: "p",
      DB_NAME: "d",
      S3_BUCKET: "t-acme",
      RATE_LIMIT_FILESTREAM: "20",
      RATE_LIMIT_GRAPHQL: "200",
      ADMIN_TOKEN: "admin-token-0123456789",
      TELEMETRY_URL: "http://127.0.0.1:3000/api/telemetry/v1/reports",
    };
    expect(() => loadTenantConfig(base)).toThrow(/LICENSE_TOKEN/);
    const c = loadTenantConfig({ ...base, LICENSE_TOKEN: "license-secret" });
    expect(c.TELEMETRY_INTERVAL_MS).toBe(86_400_000);
    expect(publicConfig(c).telemetry).toEqual({ url: base.TELEMETRY_URL, intervalMs: 86_400_000 });
    expect(JSON.stringify(publicConfig(c))).not.toContain("license-secret");
  });
});
