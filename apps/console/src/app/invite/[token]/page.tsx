import { env } from "@cp/config";
import { ORG_ROLE_LABELS } from "@cp/core";
import { TRPCError } from "@trpc/server";
import { getSessionUserId } from "~/server/auth";
import { serverCaller } from "~/trpc/server";
import { formatDateTime } from "~/components/format";
import { AcceptInvitation } from "./accept-invitation";

export const dynamic = "force-dynamic";
export const metadata = { title: "Invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const caller = await serverCaller();
  let preview;
  try {
    preview = await caller.invitations.preview({ token });
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) {
      return (
        <main className="auth-card">
          <h1>Invitation not found</h1>
          <p>
            This link is not valid. Check that you copied the whole link from the e-mail, or ask for a new
            invitation.
          </p>
        </main>
      );
    }
    throw err;
  }
  const signedIn = Boolean(await getSessionUserId());
  const me = signedIn ? await caller.me.get().catch(() => null) : null;
  return (
    <main className="auth-card" aria-labelledby="invite-title">
      <h1 id="invite-title">Join {preview.orgName}</h1>
      <p>
        This invitation is for <strong>{preview.email}</strong> as{" "}
        {ORG_ROLE_LABELS[preview.role].toLowerCase()}.
      </p>
      {preview.state !== "pending" ? (
        <p role="alert" className="error">
          {preview.state === "accepted"
            ? "This invitation has already been used."
            : preview.state === "revoked"
              ? "This invitation was revoked. Ask an admin of the organization for a new one."
              : `This invitation expired on ${formatDateTime(preview.expiresAt)}. Ask an admin of the organization for a new one.`}
        </p>
      ) : (
        <AcceptInvitation
          token={token}
          invitedEmail={preview.email}
          signedInEmail={me?.email ?? null}
          hasAccount={preview.hasAccount}
          localAccounts={env().CP_LOCAL_ACCOUNTS}
        />
      )}
    </main>
  );
}
