import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "./csv";

describe("csvCell", () => {
  it("prefixes cells a spreadsheet would run as a formula with an apostrophe", () => {
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tcmd")).toBe("'\tcmd");
    expect(csvCell("\r=1")).toBe(`"'\r=1"`);
    expect(csvCell(-5)).toBe("'-5");
  });

  it("leaves harmless text alone, including formula characters after the first", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a=b+c-d@e")).toBe("a=b+c-d@e");
    expect(csvCell(" =1")).toBe(" =1");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(true)).toBe("true");
  });

  it("quotes cells with commas, quotes or line breaks and doubles inner quotes (RFC 4180)", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\rhere")).toBe('"cr\rhere"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it("writes empty cells for null and undefined, ISO text for dates and JSON for objects", () => {
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(new Date("2024-05-06T07:08:09.010Z"))).toBe("2024-05-06T07:08:09.010Z");
    expect(csvCell({ role: "admin", n: 1 })).toBe('"{""role"":""admin"",""n"":1}"');
    expect(csvCell(["a"])).toBe('"[""a""]"');
  });
});

describe("toCsv", () => {
  it("joins cells with commas and rows with CRLF, ending with CRLF, header first", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          ["1", "x,y"],
          [null, "=2"],
        ],
      ),
    ).toBe('a,b\r\n1,"x,y"\r\n,\'=2\r\n');
  });

  it("writes only the header when there are no rows", () => {
    expect(toCsv(["time", "action"], [])).toBe("time,action\r\n");
  });
});
