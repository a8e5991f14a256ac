import { describe, expect, it } from "vitest";
import { checkOidcIssuer, evaluateDiscoveryDocument, normalizeIssuer } from "./oidc-discovery";

const ISSUER = "https://login.example.com/realms/acme";

/** A discovery document as Keycloak-like providers publish it. */
function doc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/protocol/openid-connect/auth`,
    token_endpoint: `${ISSUER}/protocol/openid-connect/token`,
    userinfo_endpoint: `${ISSUER}/protocol/openid-connect/userinfo`,
    jwks_uri: `${ISSUER}/protocol/openid-connect/certs`,
    scopes_supported: ["openid", "email", "profile"],
    response_types_supported: ["code", "none", "id_token", "token", "id_token token", "code id_token"],
    code_challenge_methods_supported: ["plain", "S256"],
    ...overrides,
  };
}

describe("evaluateDiscoveryDocument", () => {
  it("reports what a complete document offers", () => {
    const report = evaluateDiscoveryDocument(ISSUER, doc(), { requirePkce: true, requireImplicit: true });
    expect(report).toEqual({
      ok: true,
      issuer: ISSUER,
      authorizationEndpoint: `${ISSUER}/protocol/openid-connect/auth`,
      tokenEndpoint: `${ISSUER}/protocol/openid-connect/token`,
      userinfoEndpoint: `${ISSUER}/protocol/openid-connect/userinfo`,
      jwksUri: `${ISSUER}/protocol/openid-connect/certs`,
      scopesSupported: ["openid", "email", "profile"],
      responseTypesSupported: ["code", "none", "id_token", "token", "id_token token", "code id_token"],
      codeChallengeMethodsSupported: ["plain", "S256"],
      supportsPkceS256: true,
      supportsImplicit: true,
      problems: [],
    });
  });

  it("compares issuers after trailing-slash normalisation only", () => {
    expect(evaluateDiscoveryDocument(`${ISSUER}/`, doc()).ok).toBe(true);
    expect(evaluateDiscoveryDocument(ISSUER, doc({ issuer: `${ISSUER}/` })).ok).toBe(true);
    const other = evaluateDiscoveryDocument("https://LOGIN.example.com/realms/acme", doc());
    expect(other.problems).toEqual([
      `Issuer mismatch: the discovery document names "${ISSUER}", but "https://LOGIN.example.com/realms/acme" ` +
        `was entered. Enter exactly "${ISSUER}": sign-in checks that ID tokens come from the issuer entered here.`,
    ]);
  });

  it("names each missing endpoint", () => {
    const report = evaluateDiscoveryDocument(
      ISSUER,
      doc({ authorization_endpoint: undefined, token_endpoint: "", jwks_uri: 42 }),
    );
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      'The discovery document has no "authorization_endpoint" (where users sign in); sign-in cannot work.',
      'The discovery document has no "token_endpoint" (where the console exchanges the sign-in code); sign-in cannot work.',
      'The discovery document has no "jwks_uri" (the keys that sign ID tokens); sign-in cannot work.',
    ]);
  });

  it("is a problem when PKCE is ordered and S256 is not advertised", () => {
    const plainOnly = evaluateDiscoveryDocument(
      ISSUER,
      doc({ code_challenge_methods_supported: ["plain"] }),
      {
        requirePkce: true,
      },
    );
    expect(plainOnly.supportsPkceS256).toBe(false);
    expect(plainOnly.problems).toEqual([
      "PKCE (S256) is required, but the provider lists only plain. Enable PKCE with S256 for this client, or order " +
        "without PKCE.",
    ]);
    const absent = evaluateDiscoveryDocument(ISSUER, doc({ code_challenge_methods_supported: undefined }), {
      requirePkce: true,
    });
    expect(absent.problems[0]).toMatch(/does not list code_challenge_methods_supported/);
    // Not ordered: reported, not a problem.
    expect(evaluateDiscoveryDocument(ISSUER, doc({ code_challenge_methods_supported: [] })).ok).toBe(true);
  });

  it("is a problem when implicit is ordered and neither id_token nor token is offered", () => {
    const codeOnly = evaluateDiscoveryDocument(
      ISSUER,
      doc({ response_types_supported: ["code", "code id_token"] }),
      { requireImplicit: true },
    );
    expect(codeOnly.supportsImplicit).toBe(false);
    expect(codeOnly.problems).toEqual([
      'The implicit flow is required, but response_types_supported (code, code id_token) has neither "id_token" ' +
        'nor "token". Enable the implicit flow on the provider, or order the code flow.',
    ]);
    const noGrant = evaluateDiscoveryDocument(
      ISSUER,
      doc({ grant_types_supported: ["authorization_code"] }),
      {
        requireImplicit: true,
      },
    );
    expect(noGrant.supportsImplicit).toBe(false);
    expect(
      evaluateDiscoveryDocument(ISSUER, doc({ response_types_supported: ["id_token"] })).supportsImplicit,
    ).toBe(true);
  });

  it("refuses a document without an issuer", () => {
    expect(evaluateDiscoveryDocument(ISSUER, doc({ issuer: undefined })).problems[0]).toMatch(/no "issuer"/);
  });
});

describe("checkOidcIssuer without a network", () => {
  const lookup = async (host: string) => {
    if (host === "idp.internal") return [{ address: "10.0.0.5", family: 4 }];
    throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  };

  it("refuses a private issuer as a result, naming the fix", async () => {
    const report = await checkOidcIssuer("https://idp.internal/", { allow: [], lookup });
    expect(report.ok).toBe(false);
    expect(report.issuer).toBe("https://idp.internal");
    expect(report.problems).toEqual([
      'Issuer URL: "idp.internal" resolves to 10.0.0.5, a private network address. Use a public address, or ask ' +
        "an operator to allow this host (CP_ALLOWED_PRIVATE_HOSTS).",
    ]);
  });

  it("reports an unresolvable host and a malformed issuer", async () => {
    const unknown = await checkOidcIssuer("https://nope.example.com", { allow: [], lookup });
    expect(unknown.problems[0]).toMatch(/could not be resolved \(ENOTFOUND\)/);
    expect((await checkOidcIssuer("login.example.com", { allow: [], lookup })).problems[0]).toMatch(
      /enter the issuer's full URL/,
    );
    expect(
      (await checkOidcIssuer("https://login.example.com/?x=1", { allow: [], lookup })).problems[0],
    ).toMatch(/no query/);
  });

  it("normalises trailing slashes and spaces", () => {
    expect(normalizeIssuer(" https://a.example.com/x// ")).toBe("https://a.example.com/x");
  });
});
