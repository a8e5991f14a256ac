// Starting and stopping one tenant service process. The daemon spawns it with an IPC channel: the child reports its
// port over it, and exits when the channel closes (the daemon died), so a killed daemon leaves nothing running.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { get } from "node:http";

export interface TenantLaunch {
  slug: string;
  entry: string;
  cwd: string;
  nodeArgs: string[];
  env: Record<string, string>;
  logFile: string;
  startTimeoutMs: number;
}

export interface TenantProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  startedAt: number;
  /** Set before the daemon stops it on purpose, so the supervisor does not restart it. */
  stopping: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The argument that marks a process as this daemon's tenant for `slug` (checked before killing a stale PID). */
export const tenantMarker = (slug: string) => `--cp-local-cloud-tenant=${slug}`;

export class TenantStartError extends Error {
  override name = "TenantStartError";
}

async function lastLines(file: string, n: number): Promise<string> {
  try {
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    return lines.slice(-n).join("\n");
  } catch {
    return "";
  }
}

/** GET http://127.0.0.1:port/path → status code (0 when there is no answer) and the start of the body. */
export function probe(
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path, timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (body.length < 2_000) body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, body: "" }));
  });
}

/** The reasons a tenant's /healthz gives for being unhealthy, for error messages. */
export function healthReasons(body: string): string {
  try {
    const reasons = (JSON.parse(body) as { reasons?: unknown }).reasons;
    return Array.isArray(reasons) ? reasons.map(String).join("; ") : "";
  } catch {
    return "";
  }
}

/**
 * Spawns the process and resolves once it answers /healthz with 200; otherwise (or when `signal` aborts: a newer
 * operation superseded this one) kills it and rejects.
 */
export async function startTenant(launch: TenantLaunch, signal?: AbortSignal): Promise<TenantProcess> {
  const fd = openSync(launch.logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...launch.nodeArgs, launch.entry, tenantMarker(launch.slug)], {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ["ignore", fd, fd, "ipc"],
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const startedAt = Date.now();
  const deadline = startedAt + launch.startTimeoutMs;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((e) => (exitInfo = e));

  const fail = async (why: string): Promise<never> => {
    if (!exitInfo) {
      child.kill("SIGKILL");
      await exited;
    }
    const tail = await lastLines(launch.logFile, 8);
    throw new TenantStartError(`${why}${tail ? `; last log lines:\n${tail}` : ""}`);
  };

  const port = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), launch.startTimeoutMs);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on("message", (m: unknown) => {
      if (m && typeof m === "object" && (m as { type?: unknown }).type === "listening") {
        clearTimeout(timer);
        resolve(Number((m as { port?: unknown }).port));
      }
    });
    child.once("error", () => {
      clearTimeout(timer);
      resolve(null);
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (signal?.aborted) return fail("the start was superseded by a newer operation");
  if (port === null || !Number.isInteger(port) || port <= 0) {
    const e = exitInfo as { code: number | null; signal: NodeJS.Signals | null } | null;
    return fail(
      e
        ? `the tenant process exited (code ${e.code}, signal ${e.signal}) before listening`
        : `the tenant process did not listen within ${launch.startTimeoutMs} ms`,
    );
  }
  let last = { status: 0, body: "" };
  while (Date.now() < deadline) {
    if (exitInfo) break;
    if (signal?.aborted) return fail("the start was superseded by a newer operation");
    last = await probe(port, "/healthz", 2_000);
    if (last.status === 200) {
      return { child, pid: child.pid ?? 0, port, startedAt, stopping: false, exited };
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const e = exitInfo as { code: number | null; signal: NodeJS.Signals | null } | null;
  const reasons = healthReasons(last.body);
  return fail(
    e
      ? `the tenant process exited (code ${e.code}, signal ${e.signal}) before it was healthy`
      : `the tenant process was not healthy within ${launch.startTimeoutMs} ms (last /healthz: ${last.status || "no answer"}${reasons ? `: ${reasons}` : ""})`,
  );
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopTenant(proc: TenantProcess, graceMs: number): Promise<void> {
  proc.stopping = true;
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/**
 * Kills a tenant process a previous daemon left behind (it should have exited with its IPC channel, but may hang).
 * Only a process whose command line carries this slug's marker is touched: a recycled PID is left alone.
 */
export async function killStaleTenant(pid: number, slug: string): Promise<boolean> {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false;
  }
  if (!cmdline.split("\0").includes(tenantMarker(slug))) return false;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return false;
  }
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone meanwhile
  }
  return true;
}
