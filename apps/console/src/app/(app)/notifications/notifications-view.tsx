"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

export function NotificationsView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.notifications.list.queryOptions());
  const markRead = useMutation(
    trpc.notifications.markAllRead.mutationOptions({ onSettled: () => qc.invalidateQueries() }),
  );
  return (
    <>
      <h1>Notifications</h1>
      {list.error && <QueryError error={list.error} />}
      {list.data && list.data.length === 0 && <p className="muted">Nothing here yet.</p>}
      {list.data && list.data.length > 0 && (
        <>
          <button type="button" className="secondary" onClick={() => markRead.mutate()}>
            Mark all as read
          </button>
          <ul>
            {list.data.map((n) => (
              <li key={n.id} className="panel" style={{ listStyle: "none" }}>
                <strong>{n.subject}</strong> {!n.readAt && <span className="badge warn">new</span>}
                <div className="muted">{formatDateTime(n.createdAt)}</div>
                <p style={{ whiteSpace: "pre-wrap" }}>{n.bodyText}</p>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
