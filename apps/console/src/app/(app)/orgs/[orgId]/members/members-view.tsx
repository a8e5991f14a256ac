"use client";

import { ORG_ROLE_LABELS, type OrgRole } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

export function MembersView(props: {
  orgId: string;
  canAdmin: boolean;
  canSeeInvitations: boolean;
  myUserId: string;
}) {
  const { orgId, canAdmin } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }));
  const members = useQuery(trpc.members.list.queryOptions({ orgId }));
  const invitations = useQuery({
    ...trpc.invitations.list.queryOptions({ orgId }),
    enabled: props.canSeeInvitations,
  });
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.members.list.queryKey({ orgId }) }),
      qc.invalidateQueries({ queryKey: trpc.invitations.list.queryKey({ orgId }) }),
    ]);
  const changeRole = useMutation(trpc.members.changeRole.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSettled: refresh }));
  const revoke = useMutation(trpc.invitations.revoke.mutationOptions({ onSettled: refresh }));
  const actionError = changeRole.error ?? remove.error ?? revoke.error;

  if (members.error) return <QueryError error={members.error} />;
  if (!members.data) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <h1>{org.data?.name ?? "Organization"}: members</h1>
      {actionError && <QueryError error={actionError} />}
      <table>
        <caption>People who can sign in to this organization</caption>
        <thead>
          <tr>
            <th scope="col">E-mail</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Last sign-in</th>
            {canAdmin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {members.data.map((m) => (
            <tr key={m.id}>
              <td>{m.email}</td>
              <td>{m.name ?? "—"}</td>
              <td>
                {canAdmin ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    disabled={changeRole.isPending}
                    onChange={(e) =>
                      changeRole.mutate({ orgId, membershipId: m.id, role: e.target.value as OrgRole })
                    }
                  >
                    <option value="admin">Admin</option>
                    <option value="member">Member</option>
                  </select>
                ) : (
                  ORG_ROLE_LABELS[m.role]
                )}
              </td>
              <td>{formatDateTime(m.lastSignInAt)}</td>
              {canAdmin && (
                <td>
                  <button
                    type="button"
                    className="secondary"
                    disabled={remove.isPending}
                    onClick={() => {
                      if (window.confirm(`Remove ${m.email} from this organization?`))
                        remove.mutate({ orgId, membershipId: m.id });
                    }}
                  >
                    Remove {m.userId === props.myUserId ? "myself" : ""}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>

      {canAdmin && <InviteForm orgId={orgId} onInvited={refresh} />}

      {props.canSeeInvitations && (
        <>
          <h2>Invitations</h2>
          {invitations.error && <QueryError error={invitations.error} />}
          {invitations.data && invitations.data.length === 0 && <p className="muted">No invitations yet.</p>}
          {invitations.data && invitations.data.length > 0 && (
            <table>
              <caption>Invitations sent for this organization</caption>
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Invited by</th>
                  <th scope="col">Expires</th>
                  {canAdmin && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {invitations.data.map((i) => (
                  <tr key={i.id}>
                    <td>{i.email}</td>
                    <td>{ORG_ROLE_LABELS[i.role]}</td>
                    <td>
                      <span
                        className={`badge ${i.state === "pending" ? "warn" : i.state === "accepted" ? "ok" : ""}`}
                      >
                        {i.state}
                      </span>
                    </td>
                    <td>{i.invitedBy ?? "—"}</td>
                    <td>{formatDateTime(i.expiresAt)}</td>
                    {canAdmin && (
                      <td>
                        {i.state === "pending" && (
                          <button
                            type="button"
                            className="secondary"
                            onClick={() => revoke.mutate({ orgId, invitationId: i.id })}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}

function InviteForm({ orgId, onInvited }: { orgId: string; onInvited: () => unknown }) {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<OrgRole>("member");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const invite = useMutation(
    trpc.invitations.create.mutationOptions({
      onSuccess: (inv) => {
        setSentTo(inv.email);
        setEmail("");
        void onInvited();
      },
    }),
  );
  return (
    <section className="panel" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <form
        className="inline"
        aria-label="Invite a member"
        onSubmit={(e) => {
          e.preventDefault();
          setSentTo(null);
          invite.mutate({ orgId, email, role });
        }}
      >
        <label className="field">
          E-mail address
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as OrgRole)}>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </label>
        <button type="submit" disabled={invite.isPending}>
          {invite.isPending ? "Sending…" : "Send invitation"}
        </button>
      </form>
      {invite.error && <QueryError error={invite.error} />}
      {sentTo && (
        <p role="status" className="notice">
          Invitation sent to {sentTo}.
        </p>
      )}
    </section>
  );
}
