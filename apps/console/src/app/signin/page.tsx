import { env } from "@cp/config";
import type { Metadata } from "next";
import { SIGN_IN_ERRORS, type SignInErrorCode } from "~/server/auth";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

function safeCallback(raw: string | undefined): string {
  // Only same-site paths: never bounce a user to another origin after sign-in.
  if (!raw) return "/";
  try {
    const u = new URL(raw, "http://x");
    return u.origin === "http://x" || raw.startsWith(env().NEXTAUTH_URL) ? `${u.pathname}${u.search}` : "/";
  } catch {
    return "/";
  }
}

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const params = await searchParams;
  const cfg = env();
  const code = params.error as SignInErrorCode | undefined;
  const initialError = code ? (SIGN_IN_ERRORS[code] ?? "Sign-in failed. Try again.") : null;
  return (
    <main className="auth-card" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to the Control Plane</h1>
      <SignInForm
        localAccounts={cfg.CP_LOCAL_ACCOUNTS}
        oidcName={cfg.oidcConfigured ? cfg.OIDC_DISPLAY_NAME : null}
        callbackUrl={safeCallback(params.callbackUrl)}
        initialError={initialError}
        errorMessages={SIGN_IN_ERRORS}
      />
    </main>
  );
}
