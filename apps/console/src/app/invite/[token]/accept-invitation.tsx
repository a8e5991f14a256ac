"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn, signOut } from "next-auth/react";
import { useState } from "react";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

export function AcceptInvitation(props: {
  token: string;
  invitedEmail: string;
  signedInEmail: string | null;
  hasAccount: boolean;
  localAccounts: boolean;
}) {
  const trpc = useTRPC();
  const here = `/invite/${props.token}`;
  const accept = useMutation(
    trpc.invitations.accept.mutationOptions({
      onSuccess: ({ orgId }) => window.location.assign(`/orgs/${orgId}`),
    }),
  );
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [signInError, setSignInError] = useState<string | null>(null);
  const create = useMutation(
    trpc.invitations.acceptWithNewAccount.mutationOptions({
      onSuccess: async ({ email, orgId }) => {
        const res = await signIn("credentials", { email, password, redirect: false });
        if (!res || res.error)
          setSignInError("Your account was created, but signing in failed. Sign in with your new password.");
        else window.location.assign(`/orgs/${orgId}`);
      },
    }),
  );

  if (props.signedInEmail) {
    if (props.signedInEmail !== props.invitedEmail) {
      return (
        <>
          <p role="alert" className="error">
            You are signed in as {props.signedInEmail}. Sign out and sign in as {props.invitedEmail} to
            accept.
          </p>
          <button
            type="button"
            className="secondary"
            onClick={() => void signOut({ callbackUrl: `/signin?callbackUrl=${encodeURIComponent(here)}` })}
          >
            Sign out
          </button>
        </>
      );
    }
    return (
      <>
        {accept.error && <QueryError error={accept.error} />}
        <button
          type="button"
          disabled={accept.isPending}
          onClick={() => accept.mutate({ token: props.token })}
        >
          Accept invitation
        </button>
      </>
    );
  }

  const signInLink = (
    <p>
      <a href={`/signin?callbackUrl=${encodeURIComponent(here)}`}>Sign in as {props.invitedEmail}</a> to
      accept.
    </p>
  );
  if (props.hasAccount || !props.localAccounts) return signInLink;
  return (
    <>
      <form
        aria-label="Create your account"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ token: props.token, name, password });
        }}
      >
        <label className="field">
          Your name
          <input required value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" />
        </label>
        <label className="field">
          Choose a password (12 characters or more)
          <input
            type="password"
            required
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
          />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create account and join
        </button>
      </form>
      {create.error && <QueryError error={create.error} />}
      {signInError && (
        <p role="alert" className="error">
          {signInError}
        </p>
      )}
      <p className="divider">or</p>
      {signInLink}
    </>
  );
}
