// Loads a mariadb-dump file with several `mariadb` clients at once, one table at a time each, as myloader does for
// mydumper: a restore is bound by the server inserting rows one statement after another on one connection, and a
// second connection uses the machine's other cores. The dump is cut at the comment lines mariadb-dump writes before
// each table ("-- Table structure for table `t`": structure, data and that table's triggers) and before what must come
// last (routines, then the final views, which may read any table). Every client first runs the dump's header (SET
// NAMES, TIME_ZONE, FOREIGN_KEY_CHECKS=0, ...). Dumps with foreign keys, or without the expected comments, are loaded
// by one client, in order, as written.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { clientFailure, spawnClient, withOptionFile, type ClientAccount } from "./mariadb-client";

export interface Range {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface DumpPlan {
  /** Session settings every client runs first. */
  header: Range;
  /** One per table (or view placeholder): independent of each other. */
  tables: Range[];
  /** Routines, final views and the footer: after every table. */
  tail: Range;
  /** A table has a foreign key: loaded in order by one client. */
  foreignKeys: boolean;
}

const MARKER = Buffer.from("\n--\n-- ");
const TABLE_MARKERS = ["Table structure for table `", "Temporary table structure for view `"];
const TAIL_MARKERS = [
  "Dumping routines for database",
  "Final view structure for view `",
  "Dumping events for database",
];
const FOREIGN_KEY = Buffer.from("\n  CONSTRAINT `");
const OVERLAP = 1024;

/** Finds the sections of a dump fed in chunks (`offset` is the absolute position of the chunk). */
export class DumpScanner {
  private readonly tableStarts: number[] = [];
  private tailStart: number | null = null;
  private foreignKeys = false;
  private previous: Buffer = Buffer.alloc(0);
  private previousOffset = 0;
  private seen = -1;
  private size = 0;

  push(chunk: Buffer, offset: number): void {
    const data = this.previous.length ? Buffer.concat([this.previous, chunk]) : chunk;
    const base = this.previous.length ? this.previousOffset : offset;
    this.scan(data, base, false);
    this.size = offset + chunk.length;
    this.previous = Buffer.from(data.subarray(Math.max(0, data.length - OVERLAP)));
    this.previousOffset = base + data.length - this.previous.length;
  }

  private scan(data: Buffer, base: number, final: boolean): void {
    for (let i = data.indexOf(MARKER); i !== -1; i = data.indexOf(MARKER, i + 1)) {
      const at = base + i + 1; // the "--" line
      if (at <= this.seen) continue;
      // Too close to the end to classify: the next chunk (which repeats the overlap) sees it again.
      if (!final && i + MARKER.length + 64 > data.length) break;
      this.seen = at;
      const text = data.toString("latin1", i + MARKER.length, Math.min(data.length, i + MARKER.length + 64));
      if (this.tailStart === null && TABLE_MARKERS.some((m) => text.startsWith(m))) this.tableStarts.push(at);
      else if (this.tailStart === null && TAIL_MARKERS.some((m) => text.startsWith(m))) this.tailStart = at;
    }
    if (!this.foreignKeys) {
      for (let i = data.indexOf(FOREIGN_KEY); i !== -1; i = data.indexOf(FOREIGN_KEY, i + 1)) {
        const line = data.toString("latin1", i + 1, Math.min(data.length, i + 400)).split("\n")[0] ?? "";
        if (line.includes(" FOREIGN KEY (")) this.foreignKeys = true;
      }
    }
  }

  plan(): DumpPlan {
    if (this.previous.length) this.scan(this.previous, this.previousOffset, true);
    const first = this.tableStarts[0] ?? this.tailStart ?? this.size;
    const tail = this.tailStart ?? this.size;
    const tables = this.tableStarts.map((start, i) => ({ start, end: this.tableStarts[i + 1] ?? tail }));
    return {
      header: { start: 0, end: first },
      tables,
      tail: { start: tail, end: this.size },
      foreignKeys: this.foreignKeys,
    };
  }
}

/** Plans a dump file (one sequential read; the file was just written, so it comes from the page cache). */
export async function planDumpFile(file: string): Promise<DumpPlan> {
  const scanner = new DumpScanner();
  let offset = 0;
  for await (const chunk of createReadStream(file, {
    highWaterMark: 8 * 1024 * 1024,
  }) as AsyncIterable<Buffer>) {
    scanner.push(chunk, offset);
    offset += chunk.length;
  }
  return scanner.plan();
}

/** Splits the tables over `workers` clients, largest first onto the least loaded (balanced in bytes). Pure. */
export function assignTables(tables: Range[], workers: number): Range[][] {
  const queues: { bytes: number; ranges: Range[] }[] = Array.from({ length: Math.max(1, workers) }, () => ({
    bytes: 0,
    ranges: [],
  }));
  for (const t of [...tables].sort((a, b) => b.end - b.start - (a.end - a.start))) {
    const q = queues.reduce((min, x) => (x.bytes < min.bytes ? x : min));
    q.ranges.push(t);
    q.bytes += t.end - t.start;
  }
  return queues.filter((q) => q.ranges.length).map((q) => q.ranges.sort((a, b) => a.start - b.start));
}

/**
 * Loads `file` into `database` as `account`: the tables by up to `workers` clients in parallel, then the tail. Reports
 * the bytes fed so far. Resolves with the first client's error, if any (the others are stopped).
 */
export async function loadDumpFile(
  file: string,
  opts: { account: ClientAccount; database: string; workers: number; onBytes: (n: number) => void },
): Promise<{ error: string | null; clients: number }> {
  const plan = await planDumpFile(file);
  const parallel = !plan.foreignKeys && plan.tables.length > 1 && opts.workers > 1;
  const batches = parallel
    ? [
        assignTables(plan.tables, opts.workers).map((ranges) => [plan.header, ...ranges]),
        [[plan.header, plan.tail]],
      ]
    : [[[{ start: 0, end: plan.tail.end }]]];
  let fed = 0;
  return withOptionFile(opts.account, async (optionFile) => {
    for (const batch of batches) {
      const error = await runClients(batch, file, optionFile, opts.database, (n) => opts.onBytes((fed += n)));
      if (error) return { error, clients: batch.length };
    }
    return { error: null, clients: parallel ? (batches[0]?.length ?? 1) : 1 };
  });
}

/** One `mariadb` client per entry, each fed its ranges of the file in order; the first failure stops the rest. */
async function runClients(
  inputs: Range[][],
  file: string,
  optionFile: string,
  database: string,
  onBytes: (n: number) => void,
): Promise<string | null> {
  const clients = inputs.map(() =>
    spawnClient("mariadb", optionFile, ["--max-allowed-packet=1G", database], { stdout: "ignore" }),
  );
  let failed: string | null = null;
  const runs = clients.map(async (client, i) => {
    const ranges = inputs[i]!;
    async function* feed() {
      for (const r of ranges) {
        if (r.end <= r.start) continue;
        for await (const chunk of createReadStream(file, {
          start: r.start,
          end: r.end - 1,
          highWaterMark: 1024 * 1024,
        }) as AsyncIterable<Buffer>) {
          onBytes(chunk.length);
          yield chunk;
        }
      }
    }
    const [piped, exited] = await Promise.allSettled([
      pipeline(Readable.from(feed()), client.child.stdin!),
      client.exited,
    ]);
    const result = exited.status === "fulfilled" ? exited.value : null;
    const error =
      !result || result.code !== 0
        ? result
          ? clientFailure("mariadb", result)
          : "mariadb did not run"
        : piped.status === "rejected"
          ? `feeding the dump to mariadb failed: ${String(piped.reason)}`
          : null;
    if (error && !failed) {
      failed = error;
      for (const other of clients) if (other !== client) other.child.kill("SIGTERM");
    }
  });
  await Promise.all(runs);
  return failed;
}
