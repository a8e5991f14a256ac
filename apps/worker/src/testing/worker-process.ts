// Worker processes for end-to-end tests: the real worker, spawned from source with tsx on a free health port, with
// the test's environment (throwaway DATABASE_URL, Redis db) plus the overrides a test asks for. Every process started
// here is remembered, so a test can stop what it started even when an assertion fails half-way.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../../..");
const MAIN = "apps/worker/src/main.ts";
/** Enough of a process's output to explain a failure, without growing without bound. */
const MAX_OUTPUT = 64 * 1024;

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface WorkerProcess {
  name: string;
  pid: number;
  port: number;
  child: ChildProcess;
  exited: Promise<Exit>;
  output(): string;
  alive(): boolean;
  /** One probe of /readyz: true when it answers 200 within `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Polls /readyz until it answers 200; throws (with the process output) if the process exits or time runs out. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<Exit>;
  /** SIGTERM and wait; SIGKILL after `timeoutMs`. Resolves with how it exited. */
  stop(timeoutMs?: number): Promise<Exit>;
}

const running = new Set<WorkerProcess>();

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startWorkerProcess(options: {
  name: string;
  env?: Record<string, string>;
}): Promise<WorkerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: {
      // eslint-disable-next-line no-restricted-properties -- a child process inherits the test's environment
      ...process.env,
      ...options.env,
      CP_WORKER_PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT);
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;

  const ready = async (timeoutMs = 1_500) => {
    if (!alive()) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  };

  const w: WorkerProcess = {
    name: options.name,
    pid: child.pid!,
    port,
    child,
    exited,
    output: () => out,
    alive,
    ready,
    async waitReady(timeoutMs = 45_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!alive())
          throw new Error(`worker ${options.name} exited (${child.exitCode ?? child.signalCode}):\n${out}`);
        if (await ready()) return;
        if (Date.now() > deadline)
          throw new Error(`worker ${options.name} not ready after ${timeoutMs} ms:\n${out}`);
        await sleep(150);
      }
    },
    async kill() {
      if (alive()) child.kill("SIGKILL");
      const exit = await exited;
      running.delete(w);
      return exit;
    },
    async stop(timeoutMs = 20_000) {
      if (alive()) child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (alive()) child.kill("SIGKILL");
      }, timeoutMs);
      const exit = await exited;
      clearTimeout(timer);
      running.delete(w);
      return exit;
    },
  };
  running.add(w);
  return w;
}

/** Kills every worker process still running (for afterAll / finally blocks). */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...running].map((w) => w.kill()));
}
