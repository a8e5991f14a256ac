// Polling for the integration tests that watch real worker processes and the local cloud.

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; the error says what was last seen. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => Promise<string> | string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const detail = opts.describe ? await opts.describe() : "";
      throw new Error(`${what}: not within ${opts.timeoutMs} ms${detail ? `\n${detail}` : ""}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
