// Streams a dump passes through on its way to or from storage: one that hashes and counts it (the SHA-256 that every
// restore checks, computed on the fly so the dump never lands in a temporary file), and one that re-owns the dump's
// views, triggers and routines to the account that loads it.
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * Passes bytes through, counting them and computing their SHA-256. `beforeEnd`, when given, runs before the stream
 * ends and may fail it: the dump's exit code is checked there, so a failed dump never ends its upload cleanly (the
 * upload is then aborted instead of completed).
 */
export class HashCounter extends Transform {
  private readonly hash: Hash | null;
  bytes = 0;

  constructor(
    private readonly options: {
      onBytes?: (total: number) => void;
      beforeEnd?: () => Promise<void>;
      /** False: only count. */
      hash?: boolean;
    } = {},
  ) {
    // Large buffers: fewer, bigger chunks between the pipe and the uploader.
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.hash = options.hash === false ? null : createHash("sha256");
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    this.options.onBytes?.(this.bytes);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const gate = this.options.beforeEnd;
    if (!gate) return callback();
    gate().then(
      () => callback(),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** The hex digest; only once the stream has ended. */
  digest(): string {
    if (!this.hash) throw new Error("HashCounter: created without a hash");
    return this.hash.digest("hex");
  }
}

/**
 * The statements in which mariadb-dump writes a DEFINER (views, triggers, routines, events), each at the start of a
 * line. Only these are rewritten: a DEFINER inside a string or a routine's body is left alone.
 */
const DEFINER_LINE =
  /^(\/\*!50013 |\/\*!50003 CREATE\*\/ \/\*!50017 |CREATE |\/\*!50106 CREATE\*\/ \/\*!50117 )DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`/;

/** One line of a dump with its DEFINER (if any) replaced by CURRENT_USER. Pure. */
export function rewriteDefiner(line: string): string {
  return line.replace(DEFINER_LINE, "$1DEFINER=CURRENT_USER");
}

const NEWLINE = 0x0a;
// Lines of table data (by far the bulk of a dump) start like this and pass through without being decoded.
const INSERT = Buffer.from("INSERT INTO ");

/**
 * Makes the account that loads a dump the owner (DEFINER) of its views, triggers and routines. Loading an object owned
 * by another account needs the SET USER privilege, which the daemon's accounts do not have; and after a restore or a
 * clone, the tenant's own user is the only right owner (an object owned by an admin account would run with the admin's
 * privileges inside the tenant's database).
 */
export class DefinerRewriter extends Transform {
  /** The unfinished last line, as the chunks it came in (joined once, when its newline arrives). */
  private carry: Buffer[] = [];

  constructor() {
    super({ highWaterMark: 4 * 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.carry.push(chunk);
      return callback();
    }
    const head = chunk.subarray(0, last + 1);
    const whole = this.carry.length ? Buffer.concat([...this.carry, head]) : head;
    this.carry = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    this.push(rewriteLines(whole));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.carry.length) this.push(rewriteLines(Buffer.concat(this.carry)));
    this.carry = [];
    callback();
  }
}

/** Rewrites whole lines; copies nothing unless a line changes. One forward scan of the block for "DEFINER=". */
function rewriteLines(block: Buffer): Buffer {
  const out: Buffer[] = [];
  let copiedUpTo = 0;
  let next = block.indexOf("DEFINER=", 0, "latin1");
  while (next !== -1) {
    const start = block.lastIndexOf(NEWLINE, next) + 1;
    let end = block.indexOf(NEWLINE, next);
    if (end < 0) end = block.length;
    const isData = block.compare(INSERT, 0, INSERT.length, start, Math.min(start + INSERT.length, end)) === 0;
    if (!isData) {
      const line = block.toString("utf8", start, end);
      const rewritten = rewriteDefiner(line);
      if (rewritten !== line) {
        out.push(block.subarray(copiedUpTo, start), Buffer.from(rewritten, "utf8"));
        copiedUpTo = end;
      }
    }
    next = block.indexOf("DEFINER=", end, "latin1");
  }
  if (!out.length) return block;
  out.push(block.subarray(copiedUpTo));
  return Buffer.concat(out);
}
