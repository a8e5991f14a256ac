import { pingDb } from "@cp/db";
import { redis } from "@cp/jobs";

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; ms: number; error?: string }>;
}

async function timed(fn: () => Promise<unknown>, timeoutMs: number) {
  const start = performance.now();
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return { ok: true, ms: Math.round(performance.now() - start) };
  } catch (err) {
    return {
      ok: false,
      ms: Math.round(performance.now() - start),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/** Readiness: PostgreSQL and Redis answer. Used by the console's and the worker's /readyz. */
export async function checkReadiness(timeoutMs = 2000): Promise<ReadinessReport> {
  const [postgres, redisCheck] = await Promise.all([
    timed(() => pingDb(), timeoutMs),
    timed(() => redis("producer").ping(), timeoutMs),
  ]);
  return { ok: postgres.ok && redisCheck.ok, checks: { postgres, redis: redisCheck } };
}
