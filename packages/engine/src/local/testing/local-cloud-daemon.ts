// Test harness: runs the real local cloud daemon (apps/local-cloud) as a child process on a free API port, with a
// temporary data directory and its own public port range, against the MariaDB and s3rver of scripts/services.sh.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { localCloudEnv } from "@cp/config/local-cloud";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../../../..");
const DAEMON_MAIN = path.join(REPO_ROOT, "apps/local-cloud/src/main.ts");

export interface TestDaemon {
  url: string;
  pid: number;
  child: ChildProcess;
  logs: string[];
  /** SIGTERM and wait: a clean stop (tenant processes stop too). */
  stop(): Promise<void>;
  /** SIGKILL and wait: the daemon dies without cleaning up. */
  kill(): Promise<void>;
}

export interface DaemonOptions {
  dataDir: string;
  /** "first-last" */
  publicPorts: string;
  token?: string;
  env?: Record<string, string>;
}

/** A port that was free a moment ago (for a server the test starts itself later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** A random block of `size` ports in 20000-39999 for a test daemon's router (the daemon skips ports in use). */
export function randomPortRange(size = 40): string {
  const first = 20_000 + Math.floor(Math.random() * (20_000 - size));
  return `${first}-${first + size - 1}`;
}

export async function startDaemon(options: DaemonOptions): Promise<TestDaemon> {
  const shared = localCloudEnv();
  const env: Record<string, string> = {
    CP_MODE: "test",
    CP_LOG_LEVEL: "info",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    CP_LOCAL_CLOUD_HOST: "127.0.0.1",
    CP_LOCAL_CLOUD_PORT: "0",
    CP_LOCAL_CLOUD_DATA_DIR: options.dataDir,
    CP_LOCAL_CLOUD_PUBLIC_PORTS: options.publicPorts,
    CP_LOCAL_CLOUD_MYSQL_HOST: shared.mysql.host,
    CP_LOCAL_CLOUD_MYSQL_PORT: String(shared.mysql.port),
    CP_LOCAL_CLOUD_MYSQL_USER: shared.mysql.user,
    CP_LOCAL_CLOUD_MYSQL_PASSWORD: shared.mysql.password,
    CP_LOCAL_CLOUD_S3_ENDPOINT: shared.s3.endpoint,
    CP_LOCAL_CLOUD_S3_ACCESS_KEY_ID: shared.s3.accessKeyId,
    CP_LOCAL_CLOUD_S3_SECRET_ACCESS_KEY: shared.s3.secretAccessKey,
    CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS: "100",
    CP_LOCAL_CLOUD_BACKOFF_MAX_MS: "2000",
    CP_LOCAL_CLOUD_STOP_TIMEOUT_MS: "3000",
    CP_LOCAL_CLOUD_START_TIMEOUT_MS: "30000",
    CP_LOCAL_CLOUD_TENANT_STORAGE_REFRESH_MS: "300",
    ...(options.token ? { CP_LOCAL_CLOUD_TOKEN: options.token } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, ["--import", "tsx", DAEMON_MAIN], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  createInterface({ input: child.stderr! }).on("line", (line) => logs.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the daemon did not start:\n${logs.join("\n")}`)),
      30_000,
    );
    createInterface({ input: child.stdout! }).on("line", (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "local cloud listening" && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited:\n${logs.join("\n")}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { url, pid: child.pid!, child, logs, stop: () => signal("SIGTERM"), kill: () => signal("SIGKILL") };
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}
