"use client";

import { ORG_ROLE_LABELS, STAFF_ROLE_LABELS, STAFF_ROLES, type StaffRole } from "@cp/core";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

export function StaffUsersView({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const users = useQuery({
    ...trpc.staff.listUsers.queryOptions({ search: search || null }),
    placeholderData: keepPreviousData,
  });
  const setRole = useMutation(
    trpc.staff.setStaffRole.mutationOptions({
      onSettled: () => qc.invalidateQueries({ queryKey: trpc.staff.listUsers.queryKey() }),
    }),
  );
  return (
    <>
      <h1>Users</h1>
      <form
        className="toolbar"
        role="search"
        aria-label="Search users"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(q.trim());
        }}
      >
        <label className="field">
          Search
          <input
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="e-mail or name"
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {setRole.error && <QueryError error={setRole.error} />}
      {users.error && <QueryError error={users.error} />}
      {users.data && (
        <table>
          <caption>Everyone who can sign in</caption>
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Staff role</th>
              <th scope="col">Organizations</th>
              <th scope="col">Last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.email}
                  {u.name && <div className="muted">{u.name}</div>}
                </td>
                <td>
                  {canEdit ? (
                    <select
                      aria-label={`Staff role of ${u.email}`}
                      value={u.staffRole}
                      onChange={(e) =>
                        setRole.mutate({ userId: u.id, staffRole: e.target.value as StaffRole })
                      }
                    >
                      {STAFF_ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r === "none" ? "None (customer)" : STAFF_ROLE_LABELS[r]}
                        </option>
                      ))}
                    </select>
                  ) : (
                    STAFF_ROLE_LABELS[u.staffRole]
                  )}
                </td>
                <td>
                  {u.memberships.map((m) => `${m.orgName} (${ORG_ROLE_LABELS[m.role]})`).join(", ") || "—"}
                </td>
                <td>{formatDateTime(u.lastSignInAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
