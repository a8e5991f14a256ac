// Public ports of the local router: one stable port per instance from a configured range.
import { createHash } from "node:crypto";

export interface PortRange {
  first: number;
  last: number;
}

/**
 * The order in which to try ports for `slug`: starting at a slot derived from the slug (so that the same slug tends
 * to get the same port even if the state file is lost), wrapping around the range, skipping ports in use.
 */
export function candidatePorts(range: PortRange, used: ReadonlySet<number>, slug: string): number[] {
  const size = range.last - range.first + 1;
  const start = createHash("sha256").update(slug).digest().readUInt32BE(0) % size;
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const port = range.first + ((start + i) % size);
    if (!used.has(port)) out.push(port);
  }
  return out;
}

export class NoFreePortError extends Error {
  override name = "NoFreePortError";
}

/**
 * Allocates a port: the first candidate that `tryBind` accepts (it returns false when another process holds it).
 * Throws NoFreePortError when the range is exhausted.
 */
export async function allocatePort(
  range: PortRange,
  used: ReadonlySet<number>,
  slug: string,
  tryBind: (port: number) => Promise<boolean>,
): Promise<number> {
  for (const port of candidatePorts(range, used, slug)) {
    if (await tryBind(port)) return port;
  }
  throw new NoFreePortError(`no free public port left in ${range.first}-${range.last}`);
}
