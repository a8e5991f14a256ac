// Sign-in with the customer's OIDC provider (openid-client v6): discovery, then the authorization-code flow with
// PKCE, or the implicit flow (ID token in the URL fragment, posted back by a small page). The pending login's
// verifier, state and nonce travel in a signed, short-lived cookie; the session is a signed cookie with the e-mail.
import * as client from "openid-client";
import type { TenantConfig } from "./config";

export interface PendingLogin {
  verifier?: string;
  state: string;
  nonce: string;
}

export interface SignedInUser {
  sub: string;
  email: string | null;
  name: string | null;
}

export class OidcLogin {
  private configuration: Promise<client.Configuration> | undefined;
  readonly flow: "pkce" | "implicit";

  constructor(
    private readonly config: TenantConfig & { OIDC_ISSUER: string; OIDC_CLIENT_ID: string },
    private readonly redirectUri: string,
  ) {
    this.flow = config.OIDC_FLOW;
  }

  /** Discovery is lazy (the provider may start after us) and retried after a failure. */
  private discover(): Promise<client.Configuration> {
    if (!this.configuration) {
      const issuer = new URL(this.config.OIDC_ISSUER);
      const execute: ((c: client.Configuration) => void)[] = [];
      // A plain-http issuer is only usable on the local cloud (a test or demo provider on this machine).
      if (issuer.protocol === "http:") execute.push(client.allowInsecureRequests);
      if (this.flow === "implicit") execute.push(client.useIdTokenResponseType);
      this.configuration = client
        .discovery(issuer, this.config.OIDC_CLIENT_ID, this.config.OIDC_CLIENT_SECRET, undefined, {
          execute,
          timeout: 5,
        })
        .catch((err: unknown) => {
          this.configuration = undefined;
          throw err;
        });
    }
    return this.configuration;
  }

  async start(): Promise<{ url: URL; pending: PendingLogin }> {
    const configuration = await this.discover();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: "openid email profile",
      state,
      nonce,
    };
    if (this.flow === "implicit") {
      params.response_mode = "fragment";
      return { url: client.buildAuthorizationUrl(configuration, params), pending: { state, nonce } };
    }
    const verifier = client.randomPKCECodeVerifier();
    params.code_challenge = await client.calculatePKCECodeChallenge(verifier);
    params.code_challenge_method = "S256";
    return { url: client.buildAuthorizationUrl(configuration, params), pending: { verifier, state, nonce } };
  }

  /**
   * Completes the login. `callbackUrl` is the URL the provider redirected to (code flow), or the redirect URI with
   * the fragment's parameters set as its hash (implicit flow).
   */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<SignedInUser> {
    const configuration = await this.discover();
    let claims: client.IDToken | undefined;
    if (this.flow === "implicit") {
      claims = await client.implicitAuthentication(configuration, callbackUrl, pending.nonce, {
        expectedState: pending.state,
      });
    } else {
      const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      if (claims && typeof claims.email !== "string" && tokens.access_token) {
        // Some providers put e-mail only at userinfo.
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        claims = { ...claims, email: info.email, name: info.name ?? claims.name };
      }
    }
    if (!claims) throw new Error("the provider returned no ID token");
    return {
      sub: claims.sub,
      email: typeof claims.email === "string" ? claims.email : null,
      name: typeof claims.name === "string" ? claims.name : null,
    };
  }
}
