// The daemon's state file: desired configuration and generated secrets of every instance, so a restarted daemon
// re-adopts them. Written atomically (temp file, fsync, rename) with mode 0600.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { STATE_FORMAT, ZState, type CloudState } from "./schemas";

export class StateFileError extends Error {
  override name = "StateFileError";
}

export function emptyState(): CloudState {
  return { format: STATE_FORMAT, instances: {} };
}

/** Parses the file's text; pure. An unreadable file is an error, never a silent reset (that would orphan data). */
export function parseState(text: string, file = "state file"): CloudState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(`${file}: not valid JSON (${(err as Error).message}); fix or move it away`);
  }
  const parsed = ZState.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StateFileError(
      `${file}: ${first?.path.join(".") || "root"}: ${first?.message}; fix or move it away`,
    );
  }
  for (const [key, inst] of Object.entries(parsed.data.instances)) {
    if (inst.slug !== key) throw new StateFileError(`${file}: instances.${key}.slug: does not match its key`);
  }
  return parsed.data;
}

export function serializeState(state: CloudState): string {
  const sorted = Object.fromEntries(Object.entries(state.instances).sort(([a], [b]) => a.localeCompare(b)));
  return `${JSON.stringify({ format: state.format, instances: sorted }, null, 2)}\n`;
}

export class StateStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async load(): Promise<CloudState> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw err;
    }
    return parseState(text, this.file);
  }

  /** Saves a snapshot; saves are serialized so an older snapshot never overwrites a newer one. */
  save(state: CloudState): Promise<void> {
    const text = serializeState(state);
    const next = this.writing.then(() => this.write(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      const fh = await open(tmp, "w", 0o600);
      try {
        await fh.writeFile(text, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
