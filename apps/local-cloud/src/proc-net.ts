// Which local TCP port a child process uses to reach a server, from Linux's /proc: the backup finds mariadb-dump's
// session in the server's process list by it (HOST is `127.0.0.1:<port>`), to release its table lock as soon as the
// dump's snapshot is taken. Elsewhere (no /proc) it finds nothing, and the lock is simply held for the whole dump.
import { readdir, readFile, readlink } from "node:fs/promises";

export interface TcpSocket {
  localPort: number;
  remotePort: number;
  inode: number;
}

/** Parses /proc/<pid>/net/tcp or tcp6. Pure. */
export function parseProcNetTcp(text: string): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const local = cols[1]?.split(":");
    const remote = cols[2]?.split(":");
    const inode = Number(cols[9]);
    if (!local?.[1] || !remote?.[1] || !Number.isInteger(inode)) continue;
    sockets.push({ localPort: parseInt(local[1], 16), remotePort: parseInt(remote[1], 16), inode });
  }
  return sockets;
}

/** Local ports of `pid`'s TCP connections to `remotePort` (empty when none, or when /proc is not there). */
export async function localPortsTo(pid: number, remotePort: number): Promise<number[]> {
  try {
    const inodes = new Set<number>();
    for (const fd of await readdir(`/proc/${pid}/fd`)) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(Number(m[1]));
    }
    if (!inodes.size) return [];
    const tables = await Promise.all(
      ["tcp", "tcp6"].map((t) => readFile(`/proc/${pid}/net/${t}`, "utf8").catch(() => "")),
    );
    return tables
      .flatMap(parseProcNetTcp)
      .filter((s) => inodes.has(s.inode) && s.remotePort === remotePort)
      .map((s) => s.localPort);
  } catch {
    return [];
  }
}
