// Finding and checking the Pulumi CLI.
import { execFile } from "node:child_process";
import path from "node:path";

/** Inline programs for refresh and destroy need `--client` (3.181). */
export const MIN_CLI_VERSION = [3, 181, 0] as const;

/**
 * The Automation API runs either `pulumi` from PATH or `<root>/bin/pulumi`. A command is accepted in those two
 * shapes; returns the install root for the second, null for the first.
 */
export function commandRoot(command: string): { root: string | null } | { error: string } {
  if (command === "pulumi") return { root: null };
  const resolved = path.resolve(command);
  if (path.basename(resolved) === "pulumi" && path.basename(path.dirname(resolved)) === "bin") {
    return { root: path.dirname(path.dirname(resolved)) };
  }
  return {
    error: `CP_PULUMI_COMMAND must be "pulumi" (found on PATH) or a path ending in /bin/pulumi; got '${command}'.`,
  };
}

export type CliProbe = { ok: true; version: string } | { ok: false; reason: string };

/** Runs `<command> version` with a deadline. */
export function probeCli(command: string, timeoutMs: number): Promise<CliProbe> {
  return new Promise((resolve) => {
    execFile(command, ["version"], { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          resolve({
            ok: false,
            reason: `The Pulumi CLI is not installed on this worker (looked for '${command}'); AWS/GCP instances cannot be provisioned here.`,
          });
        } else if (code === "EACCES") {
          resolve({ ok: false, reason: `The Pulumi CLI at '${command}' is not executable by this worker.` });
        } else if (error.killed) {
          resolve({
            ok: false,
            reason: `The Pulumi CLI at '${command}' did not answer 'version' within ${timeoutMs} ms.`,
          });
        } else {
          resolve({
            ok: false,
            reason: `The Pulumi CLI at '${command}' failed to report its version: ${error.message}`,
          });
        }
        return;
      }
      const version = /v?((\d+)\.(\d+)\.(\d+)\S*)/.exec(stdout.trim());
      if (!version) {
        resolve({
          ok: false,
          reason: `The Pulumi CLI at '${command}' reported an unreadable version: '${stdout.trim()}'.`,
        });
        return;
      }
      const parts = [Number(version[2]), Number(version[3]), Number(version[4])];
      if (compare(parts, MIN_CLI_VERSION) < 0) {
        resolve({
          ok: false,
          reason: `The Pulumi CLI at '${command}' is ${version[1]}; tenant stacks need ${MIN_CLI_VERSION.join(".")} or newer.`,
        });
        return;
      }
      resolve({ ok: true, version: version[1]! });
    });
  });
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
