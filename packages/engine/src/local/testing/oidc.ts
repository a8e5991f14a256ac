// Test harness: a real OpenID Connect provider (the npm package oidc-provider, as in e2e/oidc-server.ts) and a
// cookie-keeping client that walks its built-in login and consent pages, as a browser would.
import type { Server } from "node:http";
import Provider from "oidc-provider";

export const OIDC_TEST_ACCOUNTS: Record<string, { email: string; email_verified: boolean; name: string }> = {
  ada: { email: "ada@example.com", email_verified: true, name: "Ada Lovelace" },
};

export async function startOidcProvider(
  port: number,
  client: { clientId: string; clientSecret: string; redirectUri: string; flow?: "pkce" | "implicit" },
): Promise<{ issuer: string; close: () => Promise<void> }> {
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      client.flow === "implicit"
        ? {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            // oidc-provider allows implicit redirects to plain-http loopback URLs only for native clients.
            application_type: "native",
            redirect_uris: [client.redirectUri],
            grant_types: ["implicit"],
            response_types: ["id_token"],
            token_endpoint_auth_method: "none",
          }
        : {
            client_id: client.clientId,
            client_secret: client.clientSecret,
            redirect_uris: [client.redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_basic",
          },
    ],
    responseTypes: ["code", "id_token"],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    cookies: { keys: ["local-engine-test-cookie-key"] },
    async findAccount(_ctx, id) {
      const account = OIDC_TEST_ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = provider.listen(port, "127.0.0.1", () => resolve(s));
  });
  return {
    issuer,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Follows redirects by hand, keeping cookies, submitting the provider's login and consent forms. */
export async function signInThroughProvider(startUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === "") jar.delete(name);
      else jar.set(name, value);
    }
  };
  let url = new URL(startUrl);
  let method = "GET";
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      method,
      redirect: "manual",
      headers: {
        cookie: cookieHeader(),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body,
    });
    keep(res);
    method = "GET";
    body = undefined;
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location")!, url);
      await res.arrayBuffer();
      if (url.hash && url.pathname === "/auth/callback") {
        // Implicit flow: the ID token is in the fragment; the callback page posts it back (its script, done here).
        method = "POST";
        body = url.hash.slice(1);
        url.hash = "";
      }
      continue;
    }
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url.href} answered ${res.status}: ${text.slice(0, 300)}`);
    if (url.pathname.startsWith("/interaction/")) {
      method = "POST";
      body = text.includes('name="prompt" value="login"')
        ? new URLSearchParams({ prompt: "login", login, password: "any" }).toString()
        : new URLSearchParams({ prompt: "consent" }).toString();
      continue;
    }
    return text;
  }
  throw new Error("too many redirects");
}
