// Checks an OpenID Connect issuer a customer enters for SSO before the order is accepted: the discovery document is
// reachable (through the network guard), names the same issuer, and offers what the order asks for.
// Every outcome is a report with human problems; nothing here throws for a bad issuer.
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_TIMEOUT_MS,
  FetchFailure,
  guardedGet,
  type GuardedResponse,
} from "./guarded-fetch";
import { assertPublicUrl, UnsafeUrlError, type GuardOptions } from "./network-guard";

export interface OidcCheckOptions {
  /** The order requires PKCE: S256 must be advertised. */
  requirePkce?: boolean;
  /** The order requires the implicit flow: an `id_token` or `token` response type must be offered. */
  requireImplicit?: boolean;
  /** Private hosts, IPs or CIDRs allowed; default env().CP_ALLOWED_PRIVATE_HOSTS. */
  allow?: readonly string[];
  lookup?: GuardOptions["lookup"];
  /** Default 5 s. */
  timeoutMs?: number;
  /** Largest discovery document accepted. Default 512 KiB. */
  maxBytes?: number;
}

export interface OidcIssuerReport {
  ok: boolean;
  /** The issuer the document names when one was read, else the one entered (without trailing slash). */
  issuer: string;
  authorizationEndpoint: string | null;
  tokenEndpoint: string | null;
  userinfoEndpoint: string | null;
  jwksUri: string | null;
  scopesSupported: string[];
  responseTypesSupported: string[];
  codeChallengeMethodsSupported: string[];
  supportsPkceS256: boolean;
  supportsImplicit: boolean;
  problems: string[];
}

const FIELD = "Issuer URL";
const WELL_KNOWN = "/.well-known/openid-configuration";

/** Fetches `<issuer>/.well-known/openid-configuration` and reports what it offers and what is wrong. */
export async function checkOidcIssuer(
  issuer: string,
  opts: OidcCheckOptions = {},
): Promise<OidcIssuerReport> {
  const entered = normalizeIssuer(issuer);
  const shapeProblem = issuerShapeProblem(entered);
  if (shapeProblem) return failedReport(entered, shapeProblem);

  const discoveryUrl = `${entered}${WELL_KNOWN}`;
  let response: GuardedResponse;
  try {
    response = await guardedGet(discoveryUrl, {
      field: FIELD,
      allow: opts.allow,
      lookup: opts.lookup,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
      headers: { accept: "application/json" },
    });
  } catch (err) {
    return failedReport(entered, fetchProblem(err, discoveryUrl));
  }
  const parsed = parseDocument(response, discoveryUrl);
  if (typeof parsed === "string") return failedReport(entered, parsed);

  const report = evaluateDiscoveryDocument(entered, parsed, opts);
  const endpointProblems = await checkEndpointsAreSafe(report, opts);
  return finish({ ...report, problems: [...report.problems, ...endpointProblems] });
}

/** Trailing slashes do not make a different issuer for this comparison; surrounding spaces are typing noise. */
export function normalizeIssuer(issuer: string): string {
  return issuer.trim().replace(/\/+$/, "");
}

function issuerShapeProblem(issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `${FIELD}: enter the issuer's full URL, such as https://login.example.com/realms/acme.`;
  }
  if (url.search || url.hash) {
    return `${FIELD}: an issuer URL has no query (?) or fragment (#) part; remove it.`;
  }
  return null;
}

function fetchProblem(err: unknown, discoveryUrl: string): string {
  if (err instanceof UnsafeUrlError) return err.message;
  if (err instanceof FetchFailure) {
    const hint =
      err.kind === "too-large"
        ? "This is not a discovery document; check the issuer URL."
        : "Check the issuer URL, and that the provider is reachable from the control plane.";
    return `Could not read ${discoveryUrl}: ${err.message}. ${hint}`;
  }
  return `Could not read ${discoveryUrl}: ${err instanceof Error ? err.message : "unexpected error"}.`;
}

/** The JSON object, or a problem when the answer is not one. */
function parseDocument(response: GuardedResponse, discoveryUrl: string): Record<string, unknown> | string {
  const check = "Check the issuer URL: it is the address that serves /.well-known/openid-configuration.";
  if (response.status >= 300 && response.status < 400) {
    const to = response.headers.location ? ` to ${response.headers.location}` : "";
    return (
      `${discoveryUrl} redirects (HTTP ${response.status})${to}. Enter the issuer exactly as the provider ` +
      `publishes it (the "issuer" in its discovery document); redirects are not followed.`
    );
  }
  if (response.status !== 200)
    return `${discoveryUrl} answered HTTP ${response.status}, not the discovery document. ${check}`;
  let doc: unknown;
  try {
    doc = JSON.parse(response.body.toString("utf8"));
  } catch {
    const type = response.headers["content-type"] ? ` (${response.headers["content-type"]})` : "";
    return `${discoveryUrl} did not answer with JSON${type}. ${check}`;
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    return `${discoveryUrl} answered JSON that is not a discovery document (not an object). ${check}`;
  }
  return doc as Record<string, unknown>;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

const REQUIRED = [
  ["authorization_endpoint", "where users sign in"],
  ["token_endpoint", "where the console exchanges the sign-in code"],
  ["jwks_uri", "the keys that sign ID tokens"],
] as const;

/** Pure evaluation of a discovery document against the entered issuer and the order's needs. */
export function evaluateDiscoveryDocument(
  enteredIssuer: string,
  doc: Record<string, unknown>,
  opts: Pick<OidcCheckOptions, "requirePkce" | "requireImplicit"> = {},
): OidcIssuerReport {
  const entered = normalizeIssuer(enteredIssuer);
  const problems: string[] = [];
  const docIssuer = str(doc.issuer);
  if (!docIssuer) {
    problems.push(
      `The discovery document has no "issuer"; this is not an OpenID Connect provider's document.`,
    );
  } else if (normalizeIssuer(docIssuer) !== entered) {
    problems.push(
      `Issuer mismatch: the discovery document names "${docIssuer}", but "${entered}" was entered. Enter exactly ` +
        `"${docIssuer}": sign-in checks that ID tokens come from the issuer entered here.`,
    );
  }
  for (const [key, what] of REQUIRED) {
    if (!str(doc[key]))
      problems.push(`The discovery document has no "${key}" (${what}); sign-in cannot work.`);
  }

  const responseTypes = strings(doc.response_types_supported);
  const methods = strings(doc.code_challenge_methods_supported);
  const supportsPkceS256 = methods.includes("S256");
  const supportsImplicit = offersImplicit(responseTypes, doc.grant_types_supported);
  if (opts.requirePkce && !supportsPkceS256) {
    const listed = methods.length
      ? `lists only ${methods.join(", ")}`
      : "does not list code_challenge_methods_supported";
    problems.push(
      `PKCE (S256) is required, but the provider ${listed}. Enable PKCE with S256 for this client, or order ` +
        `without PKCE.`,
    );
  }
  if (opts.requireImplicit && !supportsImplicit) {
    problems.push(
      `The implicit flow is required, but response_types_supported (${responseTypes.join(", ") || "none"}) has ` +
        `neither "id_token" nor "token". Enable the implicit flow on the provider, or order the code flow.`,
    );
  }
  return finish({
    ok: false,
    issuer: docIssuer ?? entered,
    authorizationEndpoint: str(doc.authorization_endpoint),
    tokenEndpoint: str(doc.token_endpoint),
    userinfoEndpoint: str(doc.userinfo_endpoint),
    jwksUri: str(doc.jwks_uri),
    scopesSupported: strings(doc.scopes_supported),
    responseTypesSupported: responseTypes,
    codeChallengeMethodsSupported: methods,
    supportsPkceS256,
    supportsImplicit,
    problems,
  });
}

/** Implicit = a response type without "code" that returns id_token or token (hybrid types are not implicit). */
function offersImplicit(responseTypes: string[], grantTypes: unknown): boolean {
  // grant_types_supported defaults to ["authorization_code", "implicit"] when absent (OpenID Connect Discovery 1.0).
  if (Array.isArray(grantTypes) && !grantTypes.includes("implicit")) return false;
  return responseTypes.some((rt) => {
    const parts = rt.split(" ");
    return !parts.includes("code") && (parts.includes("id_token") || parts.includes("token"));
  });
}

/** The console's server calls these endpoints too, so they pass the same guard as the issuer. */
async function checkEndpointsAreSafe(report: OidcIssuerReport, opts: OidcCheckOptions): Promise<string[]> {
  const endpoints: [string, string | null][] = [
    ["authorization_endpoint", report.authorizationEndpoint],
    ["token_endpoint", report.tokenEndpoint],
    ["userinfo_endpoint", report.userinfoEndpoint],
    ["jwks_uri", report.jwksUri],
  ];
  const problems: string[] = [];
  for (const [key, value] of endpoints) {
    if (!value) continue;
    try {
      await assertPublicUrl(value, {
        field: `The provider's ${key}`,
        allow: opts.allow,
        lookup: opts.lookup,
      });
    } catch (err) {
      if (!(err instanceof UnsafeUrlError)) throw err;
      problems.push(err.message);
    }
  }
  return problems;
}

function failedReport(issuer: string, problem: string): OidcIssuerReport {
  return {
    ok: false,
    issuer,
    authorizationEndpoint: null,
    tokenEndpoint: null,
    userinfoEndpoint: null,
    jwksUri: null,
    scopesSupported: [],
    responseTypesSupported: [],
    codeChallengeMethodsSupported: [],
    supportsPkceS256: false,
    supportsImplicit: false,
    problems: [problem],
  };
}

function finish(report: OidcIssuerReport): OidcIssuerReport {
  return { ...report, ok: report.problems.length === 0 };
}
