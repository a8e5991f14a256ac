// Against a real OpenID Connect provider (the npm package oidc-provider) and tiny node:http servers on 127.0.0.1.
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOidcIssuer } from "./oidc-discovery";

const ALLOW = ["127.0.0.1"];
const servers: http.Server[] = [];

/** Listens on an ephemeral port of 127.0.0.1; the handler can be set after the port is known. */
async function listen(handler?: http.RequestListener) {
  const box: { handler: http.RequestListener } = { handler: handler ?? ((_req, res) => res.end()) };
  const server = http.createServer((req, res) => box.handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, setHandler: (h: http.RequestListener) => (box.handler = h) };
}

/** A real oidc-provider (v9) on its own port. */
async function startProvider(config: Configuration = {}) {
  const { base: issuer, setHandler } = await listen();
  const provider = new Provider(issuer, {
    clients: [{ client_id: "console", client_secret: "s3cret", redirect_uris: ["http://127.0.0.1/cb"] }],
    pkce: { required: () => true },
    cookies: { keys: ["integration-test-cookie-key"] },
    ...config,
  });
  setHandler(provider.callback());
  return issuer;
}

/** A server that answers every request with the given status, headers and body. */
async function serve(status: number, body: string | Buffer, headers: Record<string, string> = {}) {
  const { base } = await listen((_req, res) => res.writeHead(status, headers).end(body));
  return base;
}

let issuer: string;
let codeOnlyIssuer: string;

beforeAll(async () => {
  issuer = await startProvider();
  codeOnlyIssuer = await startProvider({ responseTypes: ["code"] });
});

afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe("checkOidcIssuer against oidc-provider", () => {
  it("reads the discovery document of an allowlisted local provider", async () => {
    const report = await checkOidcIssuer(issuer, { allow: ALLOW, requirePkce: true, requireImplicit: true });
    expect(report).toMatchObject({
      ok: true,
      issuer,
      authorizationEndpoint: `${issuer}/auth`,
      tokenEndpoint: `${issuer}/token`,
      userinfoEndpoint: `${issuer}/me`,
      jwksUri: `${issuer}/jwks`,
      codeChallengeMethodsSupported: ["S256"],
      supportsPkceS256: true,
      supportsImplicit: true,
      problems: [],
    });
    expect(report.scopesSupported).toContain("openid");
    expect(report.responseTypesSupported).toContain("id_token");
  });

  it("accepts the issuer with a trailing slash", async () => {
    const report = await checkOidcIssuer(`${issuer}/`, { allow: ALLOW });
    expect(report.ok).toBe(true);
    expect(report.issuer).toBe(issuer);
  });

  it("reports a provider without the implicit flow when the order needs it", async () => {
    const report = await checkOidcIssuer(codeOnlyIssuer, { allow: ALLOW, requireImplicit: true });
    expect(report.ok).toBe(false);
    expect(report.supportsImplicit).toBe(false);
    expect(report.responseTypesSupported).toEqual(["code"]);
    expect(report.problems).toEqual([
      'The implicit flow is required, but response_types_supported (code) has neither "id_token" nor "token". ' +
        "Enable the implicit flow on the provider, or order the code flow.",
    ]);
  });

  it("refuses 127.0.0.1 when it is not allowlisted, before any request", async () => {
    let requests = 0;
    const { base } = await listen((_req, res) => (requests++, res.end("{}")));
    const report = await checkOidcIssuer(base, { allow: [] });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      "Issuer URL: 127.0.0.1 is a loopback address. Use a public address, or ask an operator to allow this host " +
        "(CP_ALLOWED_PRIVATE_HOSTS).",
    ]);
    expect(requests).toBe(0);
  });
});

describe("checkOidcIssuer against documents that are wrong", () => {
  it("reports an issuer mismatch", async () => {
    const base = await serve(
      200,
      JSON.stringify({
        issuer: "https://login.example.com",
        authorization_endpoint: "https://login.example.com/auth",
        token_endpoint: "https://login.example.com/token",
        jwks_uri: "https://login.example.com/jwks",
      }),
      { "content-type": "application/json" },
    );
    const lookup = async () => [{ address: "93.184.215.14", family: 4 }];
    const report = await checkOidcIssuer(base, { allow: ALLOW, lookup });
    expect(report.ok).toBe(false);
    expect(report.issuer).toBe("https://login.example.com");
    expect(report.problems).toEqual([
      `Issuer mismatch: the discovery document names "https://login.example.com", but "${base}" was entered. ` +
        `Enter exactly "https://login.example.com": sign-in checks that ID tokens come from the issuer entered here.`,
    ]);
  });

  it("refuses endpoints on private addresses even when the issuer is allowed", async () => {
    const { base, setHandler } = await listen();
    setHandler((_req, res) =>
      res.end(
        JSON.stringify({
          issuer: base,
          authorization_endpoint: `${base}/auth`,
          token_endpoint: "http://169.254.169.254/latest/meta-data/",
          jwks_uri: `${base}/jwks`,
        }),
      ),
    );
    const report = await checkOidcIssuer(base, { allow: ALLOW });
    expect(report.problems).toEqual([
      "The provider's token_endpoint: 169.254.169.254 is the cloud metadata service address (link-local). Use a " +
        "public address, or ask an operator to allow this host (CP_ALLOWED_PRIVATE_HOSTS).",
    ]);
  });

  it("reports an answer that is not JSON", async () => {
    const base = await serve(200, "<html>Welcome</html>", { "content-type": "text/html" });
    const report = await checkOidcIssuer(base, { allow: ALLOW });
    expect(report.problems).toEqual([
      `${base}/.well-known/openid-configuration did not answer with JSON (text/html). Check the issuer URL: it is ` +
        "the address that serves /.well-known/openid-configuration.",
    ]);
  });

  it("reports an HTTP error and a redirect without following it", async () => {
    const missing = await serve(404, "not found");
    expect((await checkOidcIssuer(missing, { allow: ALLOW })).problems[0]).toMatch(
      /openid-configuration answered HTTP 404, not the discovery document/,
    );
    const moved = await serve(302, "", { location: "http://169.254.169.254/" });
    expect((await checkOidcIssuer(moved, { allow: ALLOW })).problems[0]).toMatch(
      /redirects \(HTTP 302\) to http:\/\/169\.254\.169\.254\/\. Enter the issuer exactly/,
    );
  });

  it("reports an unreachable issuer", async () => {
    const { base } = await listen();
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const report = await checkOidcIssuer(base, { allow: ALLOW });
    expect(report.problems).toEqual([
      `Could not read ${base}/.well-known/openid-configuration: the connection was refused (ECONNREFUSED). Check ` +
        "the issuer URL, and that the provider is reachable from the control plane.",
    ]);
  });

  it("gives up after the timeout", async () => {
    const { base } = await listen(() => {
      /* never answers */
    });
    const started = Date.now();
    const report = await checkOidcIssuer(base, { allow: ALLOW, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.problems[0]).toMatch(/no complete answer within 0.3 s/);
  });

  it("stops reading past the size limit", async () => {
    const { base } = await listen((_req, res) => {
      res.write("[");
      const chunk = `${'"x",'.repeat(4096)}`;
      for (let i = 0; i < 64; i++) res.write(chunk);
      res.end('"x"]');
    });
    const report = await checkOidcIssuer(base, { allow: ALLOW, maxBytes: 64 * 1024 });
    expect(report.problems[0]).toMatch(/larger than 64 KiB\. This is not a discovery document/);
  });
});
