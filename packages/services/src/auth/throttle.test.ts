import { describe, expect, it } from "vitest";
import { throttleAddress } from "./throttle";

describe("throttleAddress", () => {
  it("keeps IPv4 addresses, including IPv4-mapped IPv6", () => {
    expect(throttleAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(throttleAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  it("groups IPv6 addresses by their /64, however they are written", () => {
    const a = throttleAddress("2001:db8:abcd:12:1111:2222:3333:4444");
    expect(a).toBe("2001:db8:abcd:12::/64");
    expect(throttleAddress("2001:0db8:abcd:0012::1")).toBe(a);
    expect(throttleAddress("2001:db8:abcd:13::1")).not.toBe(a);
    expect(throttleAddress("::1")).toBe("0:0:0:0::/64");
  });
});
