// Telemetry ingest: a customer-managed deployment posts one report per day with its license as the bearer token.
// The license is checked first (offline signature, then its row), then a per-license hourly budget in Redis, then
// the report itself (strict: unknown fields are refused by name). One row per (deployment, day): a resend replaces
// the counters and keeps what it replaced. Only the counters, the day and the version are stored; no address, no
// user agent, no token.
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import {
  telemetryDayProblem,
  telemetryIssues,
  ZTelemetryReport,
  type TelemetryIssue,
  type TelemetryReport,
} from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { redis } from "@cp/jobs";
import { loadLicenseForToken, type LicenseRejection } from "../deployments/licenses";

/** The largest report body accepted, in bytes (a report is well under 2 KB). */
export const TELEMETRY_MAX_BODY_BYTES = 64 * 1024;

/** The ingest's answers, as the HTTP route sends them (status, JSON body, headers). */
export type IngestAnswer =
  | { status: 200; body: { accepted: true; replaced: boolean } }
  | { status: 400; body: { error: "invalid_report"; message: string; issues: TelemetryIssue[] } }
  | { status: 401 | 403; body: { error: LicenseRejection; message: string } }
  | { status: 413; body: { error: "report_too_large"; message: string } }
  | {
      status: 429;
      body: { error: "rate_limited"; message: string; retryAfterSeconds: number };
      retryAfterSeconds: number;
    };

export interface IngestOptions {
  /** The clock (tests move it to test the day window and the rate limit's hour). */
  now?: Date;
  /** Reports per license per hour; CP_TELEMETRY_MAX_PER_HOUR by default. */
  maxPerHour?: number;
}

const HOUR_MS = 3_600_000;

function invalid(issues: TelemetryIssue[]): IngestAnswer {
  const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  return { status: 400, body: { error: "invalid_report", message, issues } };
}

/**
 * Counts this report against the license's budget for the current clock hour (a fixed window keyed by the hour,
 * like sign-in throttling). Refused reports count too, so a deployment stuck in a retry loop is held off. When
 * Redis does not answer the report is let through: losing the limit for a while is better than losing telemetry.
 */
async function takeHourlyBudget(
  licenseId: string,
  max: number,
  now: Date,
): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
  const window = Math.floor(now.getTime() / HOUR_MS);
  const key = `cp:telemetry:rate:${licenseId}:${window}`;
  try {
    const results = await redis("producer")
      .multi()
      .incr(key)
      .pexpire(key, HOUR_MS * 2)
      .exec();
    const count = Number(results?.[0]?.[1] ?? 0);
    if (count <= max) return { ok: true };
  } catch (err) {
    logger().error({ err, licenseId }, "telemetry rate limit unavailable; report allowed");
    return { ok: true };
  }
  return {
    ok: false,
    retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * HOUR_MS - now.getTime()) / 1000)),
  };
}

/**
 * Checks and stores one report. `token` is the bearer token (null when the header was missing); `body` is the
 * request's JSON text (as the route read it) or an already-parsed value. Never throws for the caller's mistakes:
 * every refusal is an answer with its status.
 */
export async function ingestTelemetry(
  token: string | null | undefined,
  body: unknown,
  opts: IngestOptions = {},
): Promise<IngestAnswer> {
  const now = opts.now ?? new Date();
  // A missing token is answered there too (license_missing), so every license refusal has one wording.
  const found = await loadLicenseForToken(token, { now });
  if (!found.ok) return { status: found.status, body: { error: found.error, message: found.message } };
  const { license } = found;

  const budget = await takeHourlyBudget(license.id, opts.maxPerHour ?? env().CP_TELEMETRY_MAX_PER_HOUR, now);
  if (!budget.ok) {
    const max = opts.maxPerHour ?? env().CP_TELEMETRY_MAX_PER_HOUR;
    return {
      status: 429,
      retryAfterSeconds: budget.retryAfterSeconds,
      body: {
        error: "rate_limited",
        message: `rate limit: at most ${max} reports per license per hour; try again in ${budget.retryAfterSeconds} s`,
        retryAfterSeconds: budget.retryAfterSeconds,
      },
    };
  }

  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return invalid([{ path: "", message: "the body must be JSON (Content-Type: application/json)" }]);
    }
  }
  const parsed = ZTelemetryReport.safeParse(value);
  if (!parsed.success) return invalid(telemetryIssues(parsed.error));
  const report = parsed.data;
  const dayProblem = telemetryDayProblem(report.day, now);
  if (dayProblem) return invalid([{ path: "day", message: dayProblem }]);

  const replaced = await storeReport(
    { deploymentId: license.deploymentId, orgId: license.orgId, licenseId: license.id },
    report,
    now,
  );
  return { status: 200, body: { accepted: true, replaced } };
}

interface StoredRow {
  id: string;
  version: string;
  counters: Prisma.JsonValue;
  receivedAt: Date;
}

/**
 * Inserts the day's row, or replaces its counters and records the replaced ones, in one transaction. The insert
 * is ON CONFLICT DO NOTHING (createMany skipDuplicates), so two first reports of a day never fail on the unique
 * key: the second waits for the first to commit, then takes the row lock and becomes a replacement.
 */
async function storeReport(
  who: { deploymentId: string; orgId: string; licenseId: string },
  report: TelemetryReport,
  now: Date,
): Promise<boolean> {
  const counters = report.counters as unknown as Prisma.InputJsonObject;
  return db().$transaction(async (tx) => {
    const inserted = await tx.telemetryReport.createMany({
      data: [
        {
          deploymentId: who.deploymentId,
          orgId: who.orgId,
          licenseId: who.licenseId,
          day: report.day,
          version: report.version,
          counters,
          receivedAt: now,
        },
      ],
      skipDuplicates: true,
    });
    let replaced = false;
    if (inserted.count === 0) {
      const [prev] = await tx.$queryRaw<StoredRow[]>`
        SELECT id, version, counters, "receivedAt" FROM "TelemetryReport"
        WHERE "deploymentId" = ${who.deploymentId} AND day = ${report.day}
        FOR UPDATE`;
      if (!prev)
        throw new Error(`telemetry report ${who.deploymentId}/${report.day} vanished during a resend`);
      await tx.telemetryReplacement.create({
        data: {
          reportId: prev.id,
          previous: { version: prev.version, counters: prev.counters ?? {} } as Prisma.InputJsonObject,
          receivedAt: prev.receivedAt,
          replacedAt: now,
        },
      });
      await tx.telemetryReport.update({
        where: { id: prev.id },
        data: {
          version: report.version,
          counters,
          licenseId: who.licenseId,
          receivedAt: now,
          replacements: { increment: 1 },
        },
      });
      replaced = true;
    }
    // The deployment's version and last day move only forward in day order: a late resend of an old day must not
    // put back the version it ran then. lastReportAt is when we last heard from it, whatever the day.
    const forward = await tx.customerDeployment.updateMany({
      where: {
        id: who.deploymentId,
        OR: [{ lastReportDay: null }, { lastReportDay: { lte: report.day } }],
      },
      data: { version: report.version, lastReportDay: report.day, lastReportAt: now },
    });
    if (forward.count === 0)
      await tx.customerDeployment.update({ where: { id: who.deploymentId }, data: { lastReportAt: now } });
    return replaced;
  });
}
