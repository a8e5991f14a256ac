import "server-only";
import { env } from "@cp/config";
import { logger } from "@cp/config/logger";
import { AppError } from "@cp/core";
import { signInWithOidc, signInWithPassword } from "@cp/services";
import { getServerSession, type NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { clientIp } from "./request";

/**
 * Error codes the sign-in page knows how to explain. Free text never travels in the URL, so a crafted link cannot
 * put words in our mouth.
 */
export const SIGN_IN_ERRORS = {
  CredentialsSignin: "The e-mail or password is incorrect.",
  TooManyAttempts: "Too many sign-in attempts. Wait a few minutes and try again.",
  OidcUnverifiedEmail:
    "Your identity provider did not send a verified e-mail address, so we cannot match you to an account.",
  AccountDisabled: "This account is disabled. Ask your administrator.",
  OidcIdentityConflict: "This e-mail is linked to another sign-in identity. Ask your administrator.",
  SessionRequired: "Please sign in to continue.",
} as const;
export type SignInErrorCode = keyof typeof SIGN_IN_ERRORS;

function codeFor(err: AppError): SignInErrorCode {
  if (err.code === "TOO_MANY_REQUESTS") return "TooManyAttempts";
  if (/disabled/i.test(err.message)) return "AccountDisabled";
  if (/verified e-mail/i.test(err.message)) return "OidcUnverifiedEmail";
  if (/another sign-in identity/i.test(err.message)) return "OidcIdentityConflict";
  return "CredentialsSignin";
}

interface OidcProfile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

function headerOf(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function buildAuthOptions(): NextAuthOptions {
  const cfg = env();
  const providers: NextAuthOptions["providers"] = [];
  if (cfg.CP_LOCAL_ACCOUNTS) {
    providers.push(
      CredentialsProvider({
        id: "credentials",
        name: "E-mail and password",
        credentials: {
          email: { label: "E-mail", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          const meta = {
            ip: clientIp((k) => headerOf(req?.headers, k)),
            userAgent: headerOf(req?.headers, "user-agent"),
          };
          try {
            const user = await signInWithPassword(
              { email: credentials?.email ?? "", password: credentials?.password ?? "" },
              meta,
            );
            return { id: user.id, email: user.email, name: user.name };
          } catch (err) {
            if (err instanceof AppError) {
              const code = codeFor(err);
              if (code === "CredentialsSignin") return null;
              throw new Error(code);
            }
            logger().error({ err }, "password sign-in failed unexpectedly");
            throw new Error("CredentialsSignin");
          }
        },
      }),
    );
  }
  if (cfg.oidcConfigured && cfg.OIDC_ISSUER) {
    const issuer = cfg.OIDC_ISSUER.replace(/\/$/, "");
    const oidc: OAuthConfig<OidcProfile> = {
      id: "oidc",
      name: cfg.OIDC_DISPLAY_NAME,
      type: "oauth",
      wellKnown: `${issuer}/.well-known/openid-configuration`,
      clientId: cfg.OIDC_CLIENT_ID,
      clientSecret: cfg.OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state"],
      profile: (p) => ({ id: p.sub, email: p.email ?? null, name: p.name ?? p.preferred_username ?? null }),
    };
    providers.push(oidc);
  }
  return {
    secret: cfg.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: cfg.CP_SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/signin", error: "/signin" },
    providers,
    logger: {
      error: (code, metadata) =>
        logger().error(
          { code, metadata: metadata instanceof Error ? { message: metadata.message } : undefined },
          "next-auth error",
        ),
      warn: (code) => logger().warn({ code }, "next-auth warning"),
      debug: () => undefined,
    },
    callbacks: {
      async signIn({ user, account, profile }) {
        if (account?.provider !== "oidc") return true;
        const p = profile as OidcProfile | undefined;
        try {
          const linked = await signInWithOidc(
            {
              issuer: cfg.OIDC_ISSUER ?? "",
              subject: account.providerAccountId,
              email: p?.email ?? user.email,
              emailVerified: p?.email_verified === true,
              name: p?.name ?? user.name,
            },
            { ip: null, userAgent: null },
          );
          // Carried to the jwt callback: the session holds our user id, never the provider's subject.
          (account as { cpUserId?: string }).cpUserId = linked.id;
          return true;
        } catch (err) {
          if (err instanceof AppError) return `/signin?error=${codeFor(err)}`;
          throw err;
        }
      },
      async jwt({ token, user, account }) {
        if (account) {
          token.uid = account.provider === "oidc" ? (account as { cpUserId?: string }).cpUserId : user?.id;
        }
        return token;
      },
      async session({ session, token }) {
        // Only the id: roles are loaded from the database on every request (loadActor).
        return {
          expires: session.expires,
          user: { email: session.user?.email, name: session.user?.name },
          userId: typeof token.uid === "string" ? token.uid : undefined,
        };
      },
    },
  };
}

let options: NextAuthOptions | undefined;
export function authOptions(): NextAuthOptions {
  options ??= buildAuthOptions();
  return options;
}

export async function getSessionUserId(): Promise<string | undefined> {
  const session = (await getServerSession(authOptions())) as { userId?: string } | null;
  return session?.userId;
}
