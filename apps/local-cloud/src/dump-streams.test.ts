import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { DefinerRewriter, HashCounter, rewriteDefiner } from "./dump-streams";

async function collect(chunks: (string | Buffer)[], transform: NodeJS.ReadWriteStream): Promise<string> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))),
    transform,
    new Writable({
      write(chunk: Buffer, _enc, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out).toString("utf8");
}

describe("rewriteDefiner", () => {
  it("re-owns views, triggers, routines and events to CURRENT_USER", () => {
    expect(rewriteDefiner("/*!50013 DEFINER=`t_acme`@`127.0.0.1` SQL SECURITY DEFINER */")).toBe(
      "/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */",
    );
    expect(
      rewriteDefiner(
        "/*!50003 CREATE*/ /*!50017 DEFINER=`t_acme`@`127.0.0.1`*/ /*!50003 trigger tr before insert",
      ),
    ).toBe("/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 trigger tr before insert");
    expect(rewriteDefiner("CREATE DEFINER=`a``b`@`%` PROCEDURE `p`()")).toBe(
      "CREATE DEFINER=CURRENT_USER PROCEDURE `p`()",
    );
    expect(rewriteDefiner("/*!50106 CREATE*/ /*!50117 DEFINER=`u`@`h`*/ /*!50106 EVENT `e` ON")).toBe(
      "/*!50106 CREATE*/ /*!50117 DEFINER=CURRENT_USER*/ /*!50106 EVENT `e` ON",
    );
  });

  it("leaves a DEFINER that is data, or not at a statement's start, alone", () => {
    const data = "INSERT INTO `t` VALUES (1,'CREATE DEFINER=`x`@`y`');";
    expect(rewriteDefiner(data)).toBe(data);
    expect(rewriteDefiner("  SELECT 'DEFINER=`x`@`y`';")).toBe("  SELECT 'DEFINER=`x`@`y`';");
  });
});

describe("DefinerRewriter", () => {
  it("rewrites definers split across chunks and passes everything else through byte for byte", async () => {
    const dump = [
      "-- MariaDB dump\n",
      "INSERT INTO `t` VALUES (1,'DEFINER=`x`@`y`'),(2,'\\n');\n",
      "/*!50013 DEFINER=`t_acme`@`127.0.0.1` SQL SECURITY DEFINER */\n",
      "CREATE DEFINER=`t_acme`@`127.0.0.1` PROCEDURE `p`()\n",
      "select 1 ;;\n",
    ].join("");
    const expected = dump
      .replace("/*!50013 DEFINER=`t_acme`@`127.0.0.1`", "/*!50013 DEFINER=CURRENT_USER")
      .replace("CREATE DEFINER=`t_acme`@`127.0.0.1`", "CREATE DEFINER=CURRENT_USER");
    for (const size of [1, 3, 7, 64, dump.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < dump.length; i += size) chunks.push(dump.slice(i, i + size));
      expect(await collect(chunks, new DefinerRewriter())).toBe(expected);
    }
  });

  it("keeps a last line without a newline", async () => {
    expect(await collect(["a\nCREATE DEFINER=`u`@`h` FUNCTION f"], new DefinerRewriter())).toBe(
      "a\nCREATE DEFINER=CURRENT_USER FUNCTION f",
    );
  });
});

describe("HashCounter", () => {
  it("counts and hashes what passes through", async () => {
    const counter = new HashCounter();
    const text = await collect(["hello ", "world"], counter);
    expect(text).toBe("hello world");
    expect(counter.bytes).toBe(11);
    expect(counter.digest()).toBe(createHash("sha256").update("hello world").digest("hex"));
  });

  it("fails the stream's end when the gate fails (a dump that exited non-zero)", async () => {
    const counter = new HashCounter({
      beforeEnd: async () => Promise.reject(new Error("mariadb-dump exited with code 2")),
    });
    await expect(collect(["partial"], counter)).rejects.toThrow(/exited with code 2/);
  });
});
