import { SignOutButton } from "./sign-out-button";

export function NoAccess({ email }: { email: string }) {
  return (
    <main className="auth-card" aria-labelledby="no-access-title">
      <h1 id="no-access-title">You need an invitation</h1>
      <p>
        You are signed in as <strong>{email}</strong>, but this account does not belong to any organization
        yet.
      </p>
      <p>
        Ask an admin of your organization to invite this e-mail address, then open the link in the invitation.
      </p>
      <SignOutButton />
    </main>
  );
}
