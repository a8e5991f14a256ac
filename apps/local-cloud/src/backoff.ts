// Restart backoff of a dead tenant process: initial delay doubling per consecutive failure, capped.

export function restartDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  if (attempt < 0 || !Number.isFinite(attempt)) return initialMs;
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}
