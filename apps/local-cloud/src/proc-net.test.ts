import { describe, expect, it } from "vitest";
import { parseProcNetTcp } from "./proc-net";

describe("parseProcNetTcp", () => {
  it("reads local and remote ports and the inode of each socket", () => {
    const text = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:D02A 0100007F:CFCA 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1",
      "   1: 00000000:10CC 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7890 1 0000000000000000 100 0 0 10 0",
      "",
    ].join("\n");
    expect(parseProcNetTcp(text)).toEqual([
      { localPort: 0xd02a, remotePort: 53194, inode: 123456 },
      { localPort: 4300, remotePort: 0, inode: 7890 },
    ]);
  });
});
