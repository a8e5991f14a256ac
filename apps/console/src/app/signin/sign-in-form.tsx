"use client";

import { signIn } from "next-auth/react";
import { useState } from "react";

export function SignInForm(props: {
  localAccounts: boolean;
  oidcName: string | null;
  callbackUrl: string;
  initialError: string | null;
  errorMessages: Record<string, string>;
}) {
  const [error, setError] = useState(props.initialError);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    if (!res || res.error) {
      setBusy(false);
      setError(
        props.errorMessages[res?.error ?? ""] ?? props.errorMessages.CredentialsSignin ?? "Sign-in failed.",
      );
      return;
    }
    window.location.assign(props.callbackUrl);
  }

  return (
    <>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {props.localAccounts && (
        <form onSubmit={onSubmit} aria-label="Sign in with e-mail and password">
          <label className="field">
            E-mail
            <input name="email" type="email" autoComplete="username" required />
          </label>
          <label className="field">
            Password
            <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      )}
      {props.localAccounts && props.oidcName && <p className="divider">or</p>}
      {props.oidcName && (
        <button
          type="button"
          className={props.localAccounts ? "secondary" : undefined}
          style={{ width: "100%" }}
          onClick={() => void signIn("oidc", { callbackUrl: props.callbackUrl })}
        >
          Sign in with {props.oidcName}
        </button>
      )}
      {!props.localAccounts && !props.oidcName && (
        <p className="error" role="alert">
          No sign-in method is configured. Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (see the
          README).
        </p>
      )}
    </>
  );
}
