// Telemetry ingest against the real PostgreSQL and Redis: a report is stored once per deployment and day (a resend
// replaces it and keeps what it replaced, also under concurrency), bad and unknown fields are refused by path,
// revoked and expired licenses by status, floods by the hourly budget, and nothing but the counters is stored.
// Every test has a license of its own, so the Redis budgets never meet.
import { randomUUID } from "node:crypto";
import { telemetryDayOf, shiftTelemetryDay, type TelemetryCounters } from "@cp/core";
import { db } from "@cp/db";
import { describe, expect, it } from "vitest";
import { issueLicenseTx } from "../deployments/licenses";
import { handleTelemetryRequest } from "./http";
import { ingestTelemetry, TELEMETRY_MAX_BODY_BYTES } from "./ingest";

const DAY_MS = 86_400_000;
/** Mid-hour, so a rate-limit window's end is a known 30 minutes away. */
const NOW = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 60_000);
const TODAY = telemetryDayOf(NOW);
const PLENTY = { now: NOW, maxPerHour: 10_000 };

function counters(overrides: Partial<TelemetryCounters> = {}): TelemetryCounters {
  return {
    userCount: 12,
    teamCount: 3,
    sweepCount: 4,
    runCount: 250,
    projectCount: 7,
    sweepRunCount: 40,
    artifactCount: 90,
    artifactStorageBytes: 1_000_000,
    artifactReferenceBytes: 2_000,
    artifactCollectionCount: 5,
    artifactTypeCount: 2,
    reportCount: 6,
    reportCommentCount: 9,
    computeHours: 12.5,
    storageBytes: 5_000_000,
    userStat: { activeDaily: 4, activeWeekly: 8, activeMonthly: 11 },
    ...overrides,
  };
}

const report = (day = TODAY, version = "0.66.0", c: TelemetryCounters = counters()) => ({
  day,
  version,
  counters: c,
});

async function licensed(opts: { expiresAt?: Date } = {}) {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Tel ${suffix}`, slug: `tel-${suffix}`, plan: "customer_managed" },
  });
  const deployment = await db().customerDeployment.create({
    data: {
      orgId: org.id,
      name: `dep-${suffix}`,
      platform: "aws",
      contactName: "Ops",
      contactEmail: "ops@example.com",
      version: "0.60.0",
    },
  });
  const { license, token } = await issueLicenseTx(db(), {
    deployment: { id: deployment.id, orgId: org.id },
    seats: 10,
    features: [],
    expiresAt: opts.expiresAt ?? new Date(NOW.getTime() + 30 * DAY_MS),
    issuedById: null,
    issuedAt: new Date(NOW.getTime() - DAY_MS),
  });
  return { org, deployment, license, token };
}

describe("ingestTelemetry", () => {
  it("stores a valid report once per day; a resend replaces it and records the replaced counters", async () => {
    const { deployment, license, token } = await licensed();
    const first = await ingestTelemetry(token, JSON.stringify(report(TODAY, "0.65.0")), PLENTY);
    expect(first).toEqual({ status: 200, body: { accepted: true, replaced: false } });
    const row = await db().telemetryReport.findUniqueOrThrow({
      where: { deploymentId_day: { deploymentId: deployment.id, day: TODAY } },
    });
    // Only the counters, the day, the version and whose they are: no address, agent or token.
    expect(Object.keys(row).sort()).toEqual(
      [
        "counters",
        "day",
        "deploymentId",
        "id",
        "licenseId",
        "orgId",
        "receivedAt",
        "replacements",
        "updatedAt",
        "version",
      ].sort(),
    );
    expect(row).toMatchObject({
      orgId: deployment.orgId,
      licenseId: license.id,
      version: "0.65.0",
      replacements: 0,
      counters: counters(),
    });
    expect(row.receivedAt).toEqual(NOW);

    const later = new Date(NOW.getTime() + 60_000);
    const resent = counters({ runCount: 300 });
    const second = await ingestTelemetry(token, report(TODAY, "0.66.0", resent), { ...PLENTY, now: later });
    expect(second).toEqual({ status: 200, body: { accepted: true, replaced: true } });
    const after = await db().telemetryReport.findUniqueOrThrow({ where: { id: row.id } });
    expect(after).toMatchObject({ version: "0.66.0", replacements: 1, counters: resent, receivedAt: later });
    const replacements = await db().telemetryReplacement.findMany({ where: { reportId: row.id } });
    expect(replacements).toHaveLength(1);
    expect(replacements[0]).toMatchObject({
      previous: { version: "0.65.0", counters: counters() },
      receivedAt: NOW,
      replacedAt: later,
    });
    expect(await db().telemetryReport.count({ where: { deploymentId: deployment.id } })).toBe(1);

    const dep = await db().customerDeployment.findUniqueOrThrow({ where: { id: deployment.id } });
    expect(dep).toMatchObject({ version: "0.66.0", lastReportDay: TODAY, lastReportAt: later });
  });

  it("a late report for an older day is stored but does not move the deployment's version back", async () => {
    const { deployment, token } = await licensed();
    expect((await ingestTelemetry(token, report(TODAY, "0.66.0"), PLENTY)).status).toBe(200);
    const yesterday = shiftTelemetryDay(TODAY, -1);
    const late = new Date(NOW.getTime() + 1000);
    expect((await ingestTelemetry(token, report(yesterday, "0.64.0"), { ...PLENTY, now: late })).status).toBe(
      200,
    );
    const dep = await db().customerDeployment.findUniqueOrThrow({ where: { id: deployment.id } });
    expect(dep).toMatchObject({ version: "0.66.0", lastReportDay: TODAY, lastReportAt: late });
    expect(await db().telemetryReport.count({ where: { deploymentId: deployment.id } })).toBe(2);
  });

  it("concurrent resends of one day neither fail nor lose a replacement record", async () => {
    const { deployment, token } = await licensed();
    const day = shiftTelemetryDay(TODAY, -2);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ingestTelemetry(token, report(day, "0.66.0", counters({ runCount: 1000 + i })), PLENTY),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    const replacedFlags = answers.map((a) => (a.status === 200 ? a.body.replaced : null));
    expect(replacedFlags.filter((r) => r === false)).toHaveLength(1);
    const row = await db().telemetryReport.findUniqueOrThrow({
      where: { deploymentId_day: { deploymentId: deployment.id, day } },
    });
    expect(row.replacements).toBe(5);
    expect(await db().telemetryReplacement.count({ where: { reportId: row.id } })).toBe(5);
  });

  it("refuses bad, missing and unknown fields, naming each path, and stores nothing", async () => {
    const { deployment, token } = await licensed();
    const cases: { body: unknown; path: string; message: RegExp }[] = [
      {
        body: report(TODAY, "0.66.0", counters({ runCount: -1 })),
        path: "counters.runCount",
        message: /negative/,
      },
      {
        body: report(TODAY, "0.66.0", counters({ userCount: "12" as unknown as number })),
        path: "counters.userCount",
        message: /must be a number/,
      },
      {
        body: report(TODAY, "0.66.0", counters({ teamCount: 2.5 })),
        path: "counters.teamCount",
        message: /whole/,
      },
      {
        body: report(TODAY, "0.66.0", counters({ computeHours: -0.5 })),
        path: "counters.computeHours",
        message: /negative/,
      },
      {
        body: (() => {
          const c: Partial<TelemetryCounters> = counters();
          delete c.sweepCount;
          return report(TODAY, "0.66.0", c as TelemetryCounters);
        })(),
        path: "counters.sweepCount",
        message: /required/,
      },
      { body: { ...report(), clientIp: "198.51.100.7" }, path: "clientIp", message: /not an accepted field/ },
      {
        body: report(TODAY, "0.66.0", { ...counters(), hostname: "db-1" } as TelemetryCounters),
        path: "counters.hostname",
        message: /not an accepted field/,
      },
      {
        body: report(
          TODAY,
          "0.66.0",
          counters({
            userStat: {
              activeDaily: 1,
              activeWeekly: 2,
              activeMonthly: 3,
              emails: 1,
            } as TelemetryCounters["userStat"],
          }),
        ),
        path: "counters.userStat.emails",
        message: /not an accepted field/,
      },
      { body: report("2025-02-30"), path: "day", message: /calendar day/ },
      { body: report("yesterday"), path: "day", message: /YYYY-MM-DD/ },
      { body: report(shiftTelemetryDay(TODAY, 2)), path: "day", message: /future/ },
      { body: report(shiftTelemetryDay(TODAY, -401)), path: "day", message: /400 days/ },
      { body: report(TODAY, "latest"), path: "version", message: /MAJOR\.MINOR\.PATCH/ },
      { body: "{not json", path: "", message: /JSON/ },
      { body: [1, 2], path: "", message: /JSON object/ },
    ];
    for (const c of cases) {
      const answer = await ingestTelemetry(
        token,
        typeof c.body === "string" ? c.body : JSON.stringify(c.body),
        PLENTY,
      );
      expect(answer.status, c.path).toBe(400);
      if (answer.status !== 400) continue;
      expect(answer.body.error).toBe("invalid_report");
      const issue = answer.body.issues.find((i) => i.path === c.path);
      expect(issue, `${c.path}: ${JSON.stringify(answer.body.issues)}`).toBeDefined();
      expect(issue?.message).toMatch(c.message);
    }
    expect(await db().telemetryReport.count({ where: { deploymentId: deployment.id } })).toBe(0);
    const dep = await db().customerDeployment.findUniqueOrThrow({ where: { id: deployment.id } });
    expect(dep).toMatchObject({ version: "0.60.0", lastReportAt: null, lastReportDay: null });
  });

  it("refuses missing, garbage, revoked and expired licenses with their status", async () => {
    expect(await ingestTelemetry(null, report(), PLENTY)).toMatchObject({
      status: 401,
      body: { error: "license_missing" },
    });
    expect(await ingestTelemetry("not-a-jwt", report(), PLENTY)).toMatchObject({
      status: 401,
      body: { error: "license_malformed" },
    });

    const revoked = await licensed();
    await db().license.update({
      where: { id: revoked.license.id },
      data: { revokedAt: new Date(NOW.getTime() - 1000), revokedReason: "Contract ended." },
    });
    const r = await ingestTelemetry(revoked.token, report(), PLENTY);
    expect(r).toMatchObject({ status: 403, body: { error: "license_revoked" } });

    const expiring = await licensed({ expiresAt: new Date(NOW.getTime() + DAY_MS) });
    const afterExpiry = new Date(NOW.getTime() + 2 * DAY_MS);
    const e = await ingestTelemetry(expiring.token, report(telemetryDayOf(afterExpiry)), {
      ...PLENTY,
      now: afterExpiry,
    });
    expect(e).toMatchObject({ status: 403, body: { error: "license_expired" } });

    for (const d of [revoked.deployment, expiring.deployment])
      expect(await db().telemetryReport.count({ where: { deploymentId: d.id } })).toBe(0);
  });

  it("answers 429 with Retry-After beyond the hourly budget per license, and lets the next hour through", async () => {
    const { deployment, token } = await licensed();
    const other = await licensed();
    const opts = { now: NOW, maxPerHour: 3 };
    for (let i = 0; i < 3; i++) expect((await ingestTelemetry(token, report(), opts)).status).toBe(200);
    const refused = await ingestTelemetry(token, report(), opts);
    expect(refused).toMatchObject({ status: 429, body: { error: "rate_limited" }, retryAfterSeconds: 1800 });
    // The refused one changed nothing: one insert and two replacements.
    const row = await db().telemetryReport.findUniqueOrThrow({
      where: { deploymentId_day: { deploymentId: deployment.id, day: TODAY } },
    });
    expect(row.replacements).toBe(2);
    // Another license has its own budget.
    expect((await ingestTelemetry(other.token, report(), opts)).status).toBe(200);
    const nextHour = new Date(NOW.getTime() + 3_600_000);
    expect(
      (await ingestTelemetry(token, report(telemetryDayOf(nextHour)), { ...opts, now: nextHour })).status,
    ).toBe(200);
  });
});

describe("handleTelemetryRequest (the HTTP edge)", () => {
  const url = "http://cp.test/api/telemetry/v1/reports";
  const post = (body: string | ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) =>
    new Request(url, { method: "POST", body, headers, duplex: "half" } as RequestInit);

  it("accepts a report with a bearer license and answers JSON", async () => {
    const { token } = await licensed();
    const res = await handleTelemetryRequest(
      post(JSON.stringify(report()), {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
      }),
      PLENTY,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: true, replaced: false });
  });

  it("401 with WWW-Authenticate without a token; 400 with issues for a bad body", async () => {
    const none = await handleTelemetryRequest(post(JSON.stringify(report())), PLENTY);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: "license_missing" });

    const { token } = await licensed();
    const bad = await handleTelemetryRequest(
      post(JSON.stringify({ ...report(), extra: 1 }), { authorization: `Bearer ${token}` }),
      PLENTY,
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: "invalid_report",
      issues: [{ path: "extra", message: expect.stringContaining("not an accepted field") }],
    });
  });

  it("413 for a body over 64 KB, by its declared length and by the bytes actually sent", async () => {
    const { token } = await licensed();
    const big = JSON.stringify({ ...report(), pad: "x".repeat(TELEMETRY_MAX_BODY_BYTES) });
    const declared = await handleTelemetryRequest(
      post(big, { authorization: `Bearer ${token}`, "content-length": String(big.length) }),
      PLENTY,
    );
    expect(declared.status).toBe(413);
    // A chunked body (no Content-Length) is cut off once it passes the limit.
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent > 100) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await handleTelemetryRequest(post(stream, { authorization: `Bearer ${token}` }), PLENTY);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: "report_too_large" });
    expect(sent).toBeLessThan(100);
  });

  it("429 carries Retry-After in seconds", async () => {
    const { token } = await licensed();
    const opts = { now: NOW, maxPerHour: 1 };
    const headers = { authorization: `Bearer ${token}` };
    expect((await handleTelemetryRequest(post(JSON.stringify(report()), headers), opts)).status).toBe(200);
    const res = await handleTelemetryRequest(post(JSON.stringify(report()), headers), opts);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1800");
  });
});
