// zstd (Debian's /usr/bin/zstd) between a dump and the backup bucket: backups store `mariadb-dump | zstd -1`, which
// cuts what the object store has to ingest several times over (s3rver is the slow part of a backup); verifications and
// restores decompress with `zstd -d` after the stored bytes were hashed. Both run as child processes, so the
// compression uses other cores than the daemon's.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { Writable, type Readable } from "node:stream";

export const ZSTD = ["/usr/bin/zstd", "/bin/zstd"].find((p) => existsSync(p)) ?? "zstd";

/**
 * Level 1, one worker thread (measured on 2 cores, 200 MB: `mariadb-dump | zstd -1` took 2.4-3.0 s with -T1 and
 * 3.1-3.4 s with -T0; the dump itself, the server and the daemon need the other core). `-vv` (instead of `-q`) makes
 * zstd print the exact sizes at the end (`(212139008 B => 27578437 B, ...)`): the dump's own size, which the daemon
 * does not see (the dump goes from mariadb-dump to zstd through a pipe of their own).
 */
export const COMPRESS_ARGS = ["-1", "-T1", "-vv", "-c"];
export const DECOMPRESS_ARGS = ["-d", "-q", "-c"];

export interface ZstdProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const STDERR_KEEP = 4_000;

/**
 * Spawns zstd writing stdout (a pipe) and reading stdin: a pipe, or `stdin` (e.g. another process's stdout, so that
 * the data goes from one to the other without passing through the daemon). stderr is kept for error messages.
 */
export function spawnZstd(args: string[], stdin: "pipe" | Readable = "pipe"): ZstdProcess {
  const child = spawn(ZSTD, args, {
    stdio: [stdin, "pipe", "pipe"],
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" },
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (c: string) => {
    stderr = (stderr + c).slice(-STDERR_KEEP);
  });
  // A write after zstd has gone (EPIPE) is reported through its exit, not as an unhandled error.
  child.stdin?.on("error", () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.once("error", (err: NodeJS.ErrnoException) => {
        stderr =
          err.code === "ENOENT"
            ? "zstd is not installed (apt-get install -y zstd)"
            : `zstd could not start: ${err.message}`;
        resolve({ code: null, signal: null, stderr });
      });
      child.once("close", (code, signal) => resolve({ code, signal, stderr: stderr.trim() }));
    },
  );
  return { child, exited };
}

/** The input size from the summary of `zstd -vv` (`(6754388 B => 5090838 B, ...)`); null when absent. Pure. */
export function inputBytes(stderr: string): number | null {
  const m = /\(\s*(\d+) B =>\s*(\d+) B\b/.exec(stderr);
  return m ? Number(m[1]) : null;
}

/** A one-line reason for a failed zstd run, e.g. `zstd -d exited with code 1: ... Corrupted block detected`. */
export function zstdFailure(
  what: string,
  result: { code: number | null; signal: NodeJS.Signals | null; stderr: string },
): string {
  const how = result.signal ? `was killed (${result.signal})` : `exited with code ${result.code}`;
  const detail = result.stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("***"))
    .slice(-2)
    .join(" ");
  return detail ? `${what} ${how}: ${detail}` : `${what} ${how}`;
}

/**
 * A sink that forwards to a child's stdin while the child runs, with backpressure; once the child is gone (it exited or
 * its stdin closed), the rest is swallowed, so whatever feeds the sink (e.g. a hash over the stored bytes) still reads
 * to the end.
 */
export function childSink(child: ChildProcess, exited: Promise<unknown>): Writable {
  const stdin = child.stdin!;
  let gone = false;
  stdin.on("error", () => (gone = true));
  void exited.then(() => (gone = true));
  return new Writable({
    highWaterMark: 4 * 1024 * 1024,
    write(chunk: Buffer, _enc, callback) {
      if (gone || stdin.destroyed) return callback();
      if (stdin.write(chunk)) return callback();
      const done = () => {
        stdin.off("drain", done);
        stdin.off("close", done);
        callback();
      };
      stdin.on("drain", done);
      stdin.on("close", done);
    },
    final(callback) {
      if (!gone && !stdin.destroyed) stdin.end();
      callback();
    },
    destroy(err, callback) {
      // The feed failed: zstd must not wait for more input.
      if (err && !stdin.destroyed) stdin.destroy();
      callback(err);
    },
  });
}
