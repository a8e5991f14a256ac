// Synthetic traffic: a steady trickle of requests to every running instance's public URL (through the router, as a
// customer's would go), so the control plane's request and error rates, and an upgrade's health gate, have real
// traffic to judge on the local cloud. Fire-and-forget: a request that cannot be sent is counted, never thrown, and
// a slow instance costs at most `maxInFlight` sockets before further requests are skipped rather than queued.
import { Agent, get } from "node:http";
import type { Logger } from "pino";

export interface TrafficTarget {
  slug: string;
  /** The instance's public URL (its router port). */
  url: string;
}

export interface TrafficOptions {
  /** Requests per second to each target; 0 sends nothing. */
  rps: number;
  /** Read at every tick, so instances that start or stop are picked up without telling the generator. */
  targets: () => TrafficTarget[];
  /** A route of the tenant service that goes through to its database. */
  path?: string;
  /** Requests in flight across all targets beyond which a tick's requests are skipped. */
  maxInFlight?: number;
  timeoutMs?: number;
  log: Pick<Logger, "warn" | "info">;
}

export interface TrafficStats {
  sent: number;
  ok: number;
  /** Answered with a status other than 2xx. */
  failed: number;
  /** No answer: refused, reset or timed out. */
  errors: number;
  /** Not sent because `maxInFlight` requests were still out. */
  skipped: number;
}

export class TrafficGenerator {
  private readonly path: string;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8, timeout: 10_000 });
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts: TrafficStats = { sent: 0, ok: 0, failed: 0, errors: 0, skipped: 0 };
  /** Slugs whose requests are failing, so a failing instance is logged once, not at every tick. */
  private readonly failing = new Set<string>();

  constructor(private readonly options: TrafficOptions) {
    this.path = options.path ?? "/api/ping";
    this.maxInFlight = options.maxInFlight ?? 64;
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  start(): void {
    if (this.timer || this.options.rps <= 0) return;
    const intervalMs = Math.max(10, Math.round(1000 / this.options.rps));
    this.timer = setInterval(() => this.tick(), intervalMs);
    // The daemon's servers keep it alive; the traffic alone must not.
    this.timer.unref();
    this.options.log.info(
      { rps: this.options.rps, path: this.path },
      "synthetic traffic to running instances started",
    );
  }

  /** Stops sending and waits (briefly) for the requests in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => setTimeout(r, this.timeoutMs).unref()),
    ]);
    this.agent.destroy();
  }

  stats(): TrafficStats {
    return { ...this.counts };
  }

  private tick(): void {
    let targets: TrafficTarget[];
    try {
      targets = this.options.targets();
    } catch (err) {
      this.options.log.warn({ err: String(err) }, "synthetic traffic: cannot list the instances");
      return;
    }
    for (const t of targets) {
      if (this.inFlight.size >= this.maxInFlight) {
        this.counts.skipped += 1;
        continue;
      }
      const p = this.send(t).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private send(target: TrafficTarget): Promise<void> {
    this.counts.sent += 1;
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (outcome: "ok" | "failed" | "errors", detail: string) => {
        if (settled) return;
        settled = true;
        this.counts[outcome] += 1;
        if (outcome === "ok") this.failing.delete(target.slug);
        else if (!this.failing.has(target.slug)) {
          this.failing.add(target.slug);
          this.options.log.warn(
            { slug: target.slug, detail },
            "synthetic traffic: the instance did not answer 2xx (logged once until it does)",
          );
        }
        resolve();
      };
      let url: URL;
      try {
        url = new URL(this.path, target.url);
      } catch {
        done("errors", `not a URL: ${target.url}`);
        return;
      }
      const req = get(url, { agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on("end", () => done(status >= 200 && status < 300 ? "ok" : "failed", `HTTP ${status}`));
        res.on("error", (err) => done("errors", err.message));
        res.on("close", () => done(status >= 200 && status < 300 ? "ok" : "failed", `HTTP ${status}`));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (err) => done("errors", err.message));
    });
  }
}
