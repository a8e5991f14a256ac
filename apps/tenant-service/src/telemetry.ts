// Telemetry to the control plane, as a customer-managed deployment sends it: once a day (and on start, and when an
// admin asks) the day's aggregated counters, computed from this service's own database, posted with the license as
// the bearer token. This stand-in only has runs (keyed by API key) and a bucket, so those map to runs, users, active
// users and storage; every other counter is 0. Failures are logged and retried at the next interval.
import type { Pool, RowDataPacket } from "mysql2/promise";

/** The report's counters (the control plane's ZTelemetryCounters; this app stands alone, so it keeps its own copy). */
export interface TelemetryCounters {
  userCount: number;
  teamCount: number;
  sweepCount: number;
  runCount: number;
  projectCount: number;
  sweepRunCount: number;
  artifactCount: number;
  artifactStorageBytes: number;
  artifactReferenceBytes: number;
  artifactCollectionCount: number;
  artifactTypeCount: number;
  reportCount: number;
  reportCommentCount: number;
  computeHours: number;
  storageBytes: number;
  userStat: { activeDaily: number; activeWeekly: number; activeMonthly: number };
}

export interface TelemetryReport {
  day: string;
  version: string;
  counters: TelemetryCounters;
}

/** What the runs table yields: totals and distinct API keys active in the last 1, 7 and 30 days. */
export interface RunFigures {
  runs: number;
  apiKeys: number;
  activeDaily: number;
  activeWeekly: number;
  activeMonthly: number;
}

const toCount = (v: unknown) => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
};

/** The mapping: an API key stands for a user (the product gives each user theirs); what we do not have is 0. */
export function countersFrom(runs: RunFigures, storageBytes: number | null): TelemetryCounters {
  return {
    userCount: toCount(runs.apiKeys),
    teamCount: 0,
    sweepCount: 0,
    runCount: toCount(runs.runs),
    projectCount: 0,
    sweepRunCount: 0,
    artifactCount: 0,
    artifactStorageBytes: 0,
    artifactReferenceBytes: 0,
    artifactCollectionCount: 0,
    artifactTypeCount: 0,
    reportCount: 0,
    reportCommentCount: 0,
    computeHours: 0,
    storageBytes: toCount(storageBytes),
    userStat: {
      activeDaily: toCount(runs.activeDaily),
      activeWeekly: toCount(runs.activeWeekly),
      activeMonthly: toCount(runs.activeMonthly),
    },
  };
}

const DAY_MS = 86_400_000;

/** Reads the run figures; a database without the runs table yet (fresh, schema pending) has none. */
export async function readRunFigures(pool: Pick<Pool, "query">, now: Date): Promise<RunFigures> {
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
  try {
    const [rows] = await pool.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS runs, COUNT(DISTINCT api_key_hash) AS apiKeys,
              COUNT(DISTINCT CASE WHEN created_at >= ? THEN api_key_hash END) AS activeDaily,
              COUNT(DISTINCT CASE WHEN created_at >= ? THEN api_key_hash END) AS activeWeekly,
              COUNT(DISTINCT CASE WHEN created_at >= ? THEN api_key_hash END) AS activeMonthly
         FROM runs`,
      [ago(1), ago(7), ago(30)],
    );
    const r: Record<string, unknown> = rows[0] ?? {};
    return {
      runs: toCount(r.runs),
      apiKeys: toCount(r.apiKeys),
      activeDaily: toCount(r.activeDaily),
      activeWeekly: toCount(r.activeWeekly),
      activeMonthly: toCount(r.activeMonthly),
    };
  } catch (err) {
    if ((err as { code?: unknown }).code === "ER_NO_SUCH_TABLE")
      return { runs: 0, apiKeys: 0, activeDaily: 0, activeWeekly: 0, activeMonthly: 0 };
    throw err;
  }
}

export interface TelemetryTarget {
  url: string;
  /** The license: a secret of the customer's, sent only as the bearer token and never logged. */
  licenseToken: string;
  version: string;
}

export interface SendResult {
  ok: boolean;
  /** The ingest's HTTP status; null when it could not be reached. */
  status: number | null;
  /** The ingest's JSON answer (or its text when not JSON). */
  answer: unknown;
  /** One line for logs and the CLI: what happened and, on failure, the ingest's message. */
  message: string;
  report: TelemetryReport;
}

/** The UTC day the counters are for. */
export const reportDay = (now: Date) => now.toISOString().slice(0, 10);

export async function sendReport(
  target: TelemetryTarget,
  report: TelemetryReport,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<SendResult> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(target.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${target.licenseToken}`,
        "content-type": "application/json",
        "user-agent": `tenant-service/${target.version}`,
      },
      body: JSON.stringify(report),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      status: null,
      answer: null,
      message: `telemetry: ${target.url} unreachable (${why})`,
      report,
    };
  }
  const text = await res.text();
  let answer: unknown = text;
  try {
    answer = JSON.parse(text);
  } catch {
    // Keep the text: a proxy's HTML error page still says something.
  }
  const said =
    answer && typeof answer === "object" && "message" in answer ? String(answer.message) : text.slice(0, 300);
  const retry = res.headers.get("retry-after");
  return {
    ok: res.ok,
    status: res.status,
    answer,
    message: res.ok
      ? `telemetry for ${report.day} accepted${(answer as { replaced?: boolean }).replaced ? " (replaced the earlier report)" : ""}`
      : `telemetry for ${report.day} refused: ${res.status} ${said}${retry ? ` (retry after ${retry} s)` : ""}`,
    report,
  };
}

export interface TelemetrySenderDeps {
  target: TelemetryTarget;
  intervalMs: number;
  runFigures: (now: Date) => Promise<RunFigures>;
  /** The bucket's size, or null when it cannot be read (then 0 is reported). */
  storageBytes: () => Promise<number | null>;
  log: (msg: string, fields?: Record<string, unknown>, level?: string) => void;
  now?: () => Date;
  fetch?: typeof fetch;
}

/** Sends on start, every interval, and on demand; one send at a time. */
export class TelemetrySender {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<SendResult> | null = null;

  constructor(private readonly deps: TelemetrySenderDeps) {}

  async buildReport(): Promise<TelemetryReport> {
    const now = (this.deps.now ?? (() => new Date()))();
    const [runs, storage] = await Promise.all([
      this.deps.runFigures(now),
      this.deps.storageBytes().catch(() => null),
    ]);
    return { day: reportDay(now), version: this.deps.target.version, counters: countersFrom(runs, storage) };
  }

  /** Sends a report now (joins a send already under way). Never throws: the result says what happened. */
  sendNow(): Promise<SendResult> {
    this.inFlight ??= this.send().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async send(): Promise<SendResult> {
    let report: TelemetryReport;
    try {
      report = await this.buildReport();
    } catch (err) {
      const message = `telemetry: could not read the counters (${err instanceof Error ? err.message : String(err)})`;
      this.deps.log(message, {}, "warn");
      return {
        ok: false,
        status: null,
        answer: null,
        message,
        report: { day: "", version: this.deps.target.version, counters: countersFrom(ZERO_RUNS, null) },
      };
    }
    const result = await sendReport(this.deps.target, report, { fetch: this.deps.fetch });
    this.deps.log(result.message, { status: result.status, day: report.day }, result.ok ? "info" : "warn");
    return result;
  }

  start(): void {
    if (this.timer) return;
    void this.sendNow();
    this.timer = setInterval(() => void this.sendNow(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

const ZERO_RUNS: RunFigures = { runs: 0, apiKeys: 0, activeDaily: 0, activeWeekly: 0, activeMonthly: 0 };
