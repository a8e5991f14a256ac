import { describe, expect, it } from "vitest";
import { assignTables, DumpScanner, type DumpPlan } from "./parallel-load";

// The shape of a mariadb-dump 10.11 file (comments as it writes them).
const header =
  "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n--\n-- Host: 127.0.0.1\n\n/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n";
const table = (name: string, rows: number) =>
  `\n--\n-- Table structure for table \`${name}\`\n--\n\nDROP TABLE IF EXISTS \`${name}\`;\nCREATE TABLE \`${name}\` (\n  \`id\` int NOT NULL,\n  PRIMARY KEY (\`id\`)\n) ENGINE=InnoDB;\n\n--\n-- Dumping data for table \`${name}\`\n--\n\nLOCK TABLES \`${name}\` WRITE;\nINSERT INTO \`${name}\` VALUES\n${Array.from({ length: rows }, (_, i) => `(${i},'-- Table structure for table \`x\`')`).join(",\n")};\nUNLOCK TABLES;\n`;
const view =
  "\n--\n-- Temporary table structure for view `v`\n--\n\n/*!50001 CREATE VIEW `v` AS SELECT 1 AS `id` */;\n";
const tail =
  "\n--\n-- Dumping routines for database 't_acme'\n--\nDELIMITER ;;\nCREATE DEFINER=CURRENT_USER PROCEDURE `p`()\nselect 1\n;;\nDELIMITER ;\n\n--\n-- Final view structure for view `v`\n--\n\n/*!50001 VIEW `v` AS select 1 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n\n-- Dump completed on 2025-01-01\n";

function plan(text: string, chunk: number): DumpPlan {
  const data = Buffer.from(text);
  const scanner = new DumpScanner();
  for (let i = 0; i < data.length; i += chunk) scanner.push(data.subarray(i, i + chunk), i);
  return scanner.plan();
}

const slice = (text: string, r: { start: number; end: number }) =>
  Buffer.from(text).subarray(r.start, r.end).toString();

describe("DumpScanner", () => {
  const dump = header + table("a", 50) + table("b", 5) + view + tail;

  it("cuts a dump into header, one section per table or view placeholder, and the tail, whatever the chunking", () => {
    for (const chunk of [7, 64, 100, 1000, dump.length]) {
      const p = plan(dump, chunk);
      expect(slice(dump, p.header)).toBe(`${header}\n`);
      expect(p.tables.map((t) => slice(dump, t).split("\n")[1])).toEqual([
        "-- Table structure for table `a`",
        "-- Table structure for table `b`",
        "-- Temporary table structure for view `v`",
      ]);
      expect(slice(dump, p.tables[0]!)).toBe(`${table("a", 50).slice(1)}\n`);
      expect(slice(dump, p.tail)).toBe(tail.slice(1));
      expect(p.foreignKeys).toBe(false);
      // Nothing lost, nothing twice.
      expect(p.header.end).toBe(p.tables[0]!.start);
      expect(p.tables.at(-1)!.end).toBe(p.tail.start);
      expect(p.tail.end).toBe(Buffer.byteLength(dump));
    }
  });

  it("notices foreign keys", () => {
    const fk = table("c", 1).replace(
      "  PRIMARY KEY (`id`)",
      "  PRIMARY KEY (`id`),\n  CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `a` (`id`)",
    );
    expect(plan(header + table("a", 1) + fk + tail, 50).foreignKeys).toBe(true);
    const check = table("c", 1).replace(
      "  PRIMARY KEY (`id`)",
      "  PRIMARY KEY (`id`),\n  CONSTRAINT `ok` CHECK (`id` > 0)",
    );
    expect(plan(header + check + tail, 50).foreignKeys).toBe(false);
  });

  it("finds no table in a dump without mariadb-dump's comments (loaded whole, by one client)", () => {
    const p = plan("INSERT INTO t VALUES (1);\n", 5);
    expect(p.tables).toEqual([]);
    expect(p.tail).toEqual({ start: 26, end: 26 });
  });
});

describe("assignTables", () => {
  it("balances tables over the clients by size, largest first, each client in dump order", () => {
    const t = (start: number, size: number) => ({ start, end: start + size });
    const out = assignTables([t(0, 100), t(100, 10), t(110, 60), t(170, 50)], 2);
    expect(out).toEqual([
      [t(0, 100), t(100, 10)],
      [t(110, 60), t(170, 50)],
    ]);
    expect(assignTables([t(0, 5)], 4)).toEqual([[t(0, 5)]]);
  });
});
