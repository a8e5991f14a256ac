// A real OpenID Connect provider (the npm package oidc-provider) for the e2e tests, with its built-in login and
// consent pages. Any login name in ACCOUNTS signs in as that person.
import Provider from "oidc-provider";
import { consoleUrl, E2E, oidcIssuer } from "./env";

export const OIDC_ACCOUNTS: Record<string, { email: string; email_verified: boolean; name: string }> = {
  "globex-admin": { email: "admin@globex.example", email_verified: true, name: "Gia Globex" },
  newcomer: { email: "newcomer@example.com", email_verified: true, name: "New Comer" },
  unverified: { email: "unverified@example.com", email_verified: false, name: "Un Verified" },
};

const provider = new Provider(oidcIssuer, {
  clients: [
    {
      client_id: E2E.oidcClientId,
      client_secret: E2E.oidcClientSecret,
      redirect_uris: [`${consoleUrl}/api/auth/callback/oidc`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  conformIdTokenClaims: false,
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["e2e-oidc-cookie-key"] },
  async findAccount(_ctx, id) {
    const account = OIDC_ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
});

provider.listen(E2E.oidcPort, "127.0.0.1", () => {
  console.log(`OIDC provider listening at ${oidcIssuer}`);
});
