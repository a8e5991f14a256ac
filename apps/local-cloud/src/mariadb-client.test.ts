import { describe, expect, it } from "vitest";
import { clientFailure, optionFileText, optionValue } from "./mariadb-client";

describe("option files", () => {
  it("holds the account in a [client] group, values quoted", () => {
    expect(optionFileText({ host: "127.0.0.1", port: 53306, user: "t_acme", password: "p#ss" })).toBe(
      '[client]\nhost="127.0.0.1"\nport=53306\nuser="t_acme"\npassword="p#ss"\nprotocol=tcp\n',
    );
  });

  it("escapes quotes and backslashes, and refuses line breaks", () => {
    expect(optionValue('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(() => optionValue("a\nb")).toThrow(/line break/);
  });
});

describe("clientFailure", () => {
  it("says how the tool ended and its last error lines", () => {
    expect(
      clientFailure("mariadb", {
        code: 1,
        signal: null,
        stderr: "ERROR 1064 (42000) at line 3: You have an error",
      }),
    ).toBe("mariadb exited with code 1: ERROR 1064 (42000) at line 3: You have an error");
    expect(clientFailure("mariadb-dump", { code: null, signal: "SIGTERM", stderr: "" })).toBe(
      "mariadb-dump was killed (SIGTERM)",
    );
  });
});
