import { resetEnvCache } from "@cp/config";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assertPublicUrl, classifyAddress, UnsafeUrlError, type LookupFn } from "./network-guard";

/** A resolver that answers from a table and records what it was asked. */
function fakeDns(table: Record<string, string[]>): LookupFn & { asked: string[] } {
  const asked: string[] = [];
  const fn = async (hostname: string) => {
    asked.push(hostname);
    const addrs = table[hostname];
    if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(fn, { asked });
}

const dns = fakeDns({
  "idp.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  localhost: ["127.0.0.1", "::1"],
  "intranet.corp": ["10.1.2.3"],
  "mixed.example.com": ["93.184.215.14", "192.168.1.10"],
  "metadata.internal": ["169.254.169.254"],
  "mapped.example.com": ["::ffff:127.0.0.1"],
  "local-cloud.test": ["127.0.0.1"],
});

async function refusal(
  url: string,
  opts: Parameters<typeof assertPublicUrl>[1] = {},
): Promise<UnsafeUrlError> {
  try {
    await assertPublicUrl(url, { allow: [], lookup: dns, ...opts });
  } catch (err) {
    if (err instanceof UnsafeUrlError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe("assertPublicUrl", () => {
  it("accepts a public https URL and returns every resolved address", async () => {
    const result = await assertPublicUrl("https://idp.example.com/realms/acme", { allow: [], lookup: dns });
    expect(result.url.href).toBe("https://idp.example.com/realms/acme");
    expect(result.addresses).toEqual(["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]);
    expect(result.allowlisted).toBe(false);
  });

  it("names the field, the address, its range and the fix", async () => {
    const err = await refusal("https://localhost:8443/", { field: "OIDC issuer" });
    expect(err.message).toBe(
      'OIDC issuer: "localhost" resolves to 127.0.0.1, a loopback address. Use a public address, or ask an ' +
        "operator to allow this host (CP_ALLOWED_PRIVATE_HOSTS).",
    );
    expect(err).toMatchObject({ reason: "private-address", field: "OIDC issuer", code: "BAD_REQUEST" });
  });

  it.each([
    ["https://127.0.0.1/", "a loopback address"],
    ["https://127.1/", "a loopback address"],
    ["https://0x7f000001/", "a loopback address"],
    ["https://10.0.0.8/", "a private network address"],
    ["https://172.16.5.4/", "a private network address"],
    ["https://172.31.255.255/", "a private network address"],
    ["https://192.168.0.1/", "a private network address"],
    ["https://169.254.10.10/", "a link-local address"],
    ["https://169.254.169.254/latest/meta-data/", "the cloud metadata service address"],
    ["https://100.64.0.1/", "a carrier-grade NAT"],
    ["https://0.0.0.0/", "an unspecified address"],
    ["https://[::1]/", "a loopback address"],
    ["https://[::]/", "an unspecified address"],
    ["https://[fd12:3456::1]/", "a unique-local IPv6 address"],
    ["https://[fe80::1]/", "a link-local address"],
    ["https://[::ffff:127.0.0.1]/", "an IPv4-mapped form of 127.0.0.1 (a loopback address)"],
    ["https://[::ffff:a9fe:a9fe]/", "an IPv4-mapped form of 169.254.169.254"],
    ["https://[64:ff9b::a00:1]/", "an IPv6 translation of 10.0.0.1 (a private network address)"],
    ["https://metadata.internal/", "resolves to 169.254.169.254, the cloud metadata service"],
    ["https://mapped.example.com/", "resolves to ::ffff:127.0.0.1, an IPv4-mapped form of 127.0.0.1"],
    ["https://mixed.example.com/", "resolves to 192.168.1.10, a private network address"],
  ])("refuses %s (%s)", async (url, text) => {
    const err = await refusal(url);
    expect(err.reason).toBe("private-address");
    expect(err.message).toContain(text);
    expect(err.message).toContain("CP_ALLOWED_PRIVATE_HOSTS");
  });

  it("does not resolve IP literals", async () => {
    const lookup = fakeDns({});
    await assertPublicUrl("https://8.8.8.8/", { allow: [], lookup });
    expect(lookup.asked).toEqual([]);
  });

  it("accepts public addresses in IPv4-mapped and NAT64 form", async () => {
    await expect(
      assertPublicUrl("https://[::ffff:8.8.8.8]/", { allow: [], lookup: dns }),
    ).resolves.toBeTruthy();
    await expect(
      assertPublicUrl("https://[64:ff9b::808:808]/", { allow: [], lookup: dns }),
    ).resolves.toBeTruthy();
  });

  it.each([
    ["a hostname", ["local-cloud.test"], "http://local-cloud.test:4300/"],
    ["an IP", ["127.0.0.1"], "http://local-cloud.test:4300/"],
    ["a CIDR", ["127.0.0.0/8"], "http://127.0.0.1:4300/"],
    ["an IPv4 entry, for an IPv4-mapped address", ["127.0.0.1"], "http://[::ffff:127.0.0.1]/"],
    ["a hostname with a trailing dot in the URL", ["local-cloud.test"], "http://local-cloud.test./"],
  ])("allows a private host listed as %s, over http too", async (_what, allow, url) => {
    const result = await assertPublicUrl(url, { allow, lookup: dns });
    expect(result.allowlisted).toBe(true);
  });

  it("refuses addresses outside an allowlisted CIDR", async () => {
    const err = await refusal("https://intranet.corp/", { allow: ["192.168.0.0/16"] });
    expect(err.message).toContain("resolves to 10.1.2.3");
  });

  it("requires https for public hosts that are not allowlisted", async () => {
    const err = await refusal("http://idp.example.com/", { field: "Webhook URL" });
    expect(err.reason).toBe("https-required");
    expect(err.message).toMatch(/^Webhook URL: use https:\/\//);
  });

  it.each([
    ["not a url", "invalid-url", /enter a full URL/],
    ["ftp://idp.example.com/", "unsupported-scheme", /only https:\/\/ URLs are supported \(got ftp:\)/],
    ["file:///etc/passwd", "unsupported-scheme", /got file:/],
    ["https://admin:hunter2@idp.example.com/", "credentials-in-url", /remove the user name and password/],
    [
      "https://nowhere.example.com/",
      "unresolvable",
      /"nowhere.example.com" could not be resolved \(ENOTFOUND\)/,
    ],
  ])("refuses %s (%s)", async (url, reason, message) => {
    const err = await refusal(url);
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain("hunter2");
  });
});

describe("classifyAddress", () => {
  it("treats ordinary unicast as public", () => {
    expect(classifyAddress("8.8.8.8")).toBeNull();
    expect(classifyAddress("2001:4860:4860::8888")).toBeNull();
    expect(classifyAddress("172.32.0.1")).toBeNull();
  });
});

describe("default allowlist from @cp/config", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetEnvCache();
  });

  it("reads CP_ALLOWED_PRIVATE_HOSTS (comma-separated)", async () => {
    vi.stubEnv("CP_MODE", "test");
    vi.stubEnv("CP_ALLOWED_PRIVATE_HOSTS", " 192.168.0.0/16 , local-cloud.test");
    resetEnvCache();
    await expect(assertPublicUrl("http://local-cloud.test/", { lookup: dns })).resolves.toMatchObject({
      allowlisted: true,
    });
    await expect(assertPublicUrl("http://192.168.7.7/", { lookup: dns })).resolves.toMatchObject({
      allowlisted: true,
    });
    await expect(assertPublicUrl("http://10.0.0.1/", { lookup: dns })).rejects.toThrow(/private network/);
  });
});
