"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { TIMELINE_KIND_LABELS, TIMELINE_KINDS, type TimelineKind } from "@cp/core";
import { skipToken, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

type Item = inferRouterOutputs<AppRouter>["timeline"]["list"]["items"][number];

const LIVE_MS = 10_000;
const PAGE_SIZE = 50;

const KIND_BADGES: Record<TimelineKind, string> = {
  operation: "Operation",
  backup: "Backup",
  alert: "Alert",
  audit: "Audit",
  support_request: "Support request",
  channel_post: "Channel post",
};

const GOOD = new Set(["succeeded", "completed", "resolved", "posted"]);
const BAD = new Set(["failed", "firing", "cancelled"]);
const statusClass = (s: string) => (GOOD.has(s) ? "ok" : BAD.has(s) ? "bad" : "warn");

/**
 * One instance's history, newest first: operations and upgrades, backups, alerts, audit events (org admins and
 * staff), support requests and channel posts, filterable by kind, older events loaded by cursor.
 */
export function InstanceTimelineView(props: { orgId: string; instanceId: string; canReadAudit: boolean }) {
  const { orgId, instanceId } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const offered = TIMELINE_KINDS.filter((k) => k !== "audit" || props.canReadAudit);
  const [shown, setShown] = useState<ReadonlySet<TimelineKind>>(() => new Set(offered));
  const kinds = offered.filter((k) => shown.has(k));
  const instance = useQuery(trpc.instances.get.queryOptions({ orgId, instanceId }));
  const input = {
    orgId,
    instanceId,
    // All kinds: no filter, so the query key is the same however the boxes were ticked back on.
    kinds: kinds.length === TIMELINE_KINDS.length ? undefined : kinds,
    limit: PAGE_SIZE,
  };
  const options = trpc.timeline.list.infiniteQueryOptions(kinds.length ? input : skipToken, {
    getNextPageParam: (last) => last.nextCursor,
  });
  const timeline = useInfiniteQuery({
    ...options,
    // Polling re-reads every loaded page in turn, so it runs only while the newest page alone is shown.
    refetchInterval: (q) => ((q.state.data?.pages.length ?? 0) <= 1 ? LIVE_MS : false),
  });
  const pages = timeline.data?.pages ?? [];
  const items = pages.flatMap((p) => p.items);

  const toggle = (k: TimelineKind, on: boolean) =>
    setShown((prev) => {
      const next = new Set(prev);
      if (on) next.add(k);
      else next.delete(k);
      return next;
    });

  return (
    <>
      <p>
        <Link href={`/orgs/${orgId}/instances/${instanceId}`}>← {instance.data?.name ?? "Instance"}</Link>
      </p>
      <h1>Timeline</h1>
      <p className="muted">
        Everything that happened to {instance.data?.name ?? "this instance"}, newest first, in your time zone.
        {pages.length <= 1 ? ` Updates every ${LIVE_MS / 1000} seconds.` : ""}
      </p>

      <fieldset className="toolbar" style={{ border: 0, padding: 0 }}>
        <legend className="muted">Show</legend>
        {offered.map((k) => (
          <label key={k} className="choice">
            <input type="checkbox" checked={shown.has(k)} onChange={(e) => toggle(k, e.target.checked)} />{" "}
            {TIMELINE_KIND_LABELS[k]}
          </label>
        ))}
      </fieldset>
      {!props.canReadAudit && (
        <p className="muted">Audit events are shown to organization admins, as the audit log is.</p>
      )}

      {kinds.length === 0 && <p className="empty">Choose at least one kind of event to show.</p>}
      {timeline.error && <QueryError error={timeline.error} />}
      {kinds.length > 0 && !timeline.data && !timeline.error && <p aria-busy="true">Loading…</p>}
      {timeline.data && items.length === 0 && <p className="empty">Nothing has happened yet.</p>}
      {pages.length > 1 && (
        <p className="pager">
          <span className="muted">Live updates are paused while older events are shown.</span>
          <button
            type="button"
            className="secondary"
            onClick={() => void qc.resetQueries({ queryKey: options.queryKey })}
          >
            Back to the newest
          </button>
        </p>
      )}

      {items.length > 0 && (
        <table data-testid="timeline">
          <caption>Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Kind</th>
              <th scope="col">Event</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <TimelineRow key={item.id} item={item} />
            ))}
          </tbody>
        </table>
      )}

      {timeline.hasNextPage && (
        <div className="pager">
          <button
            type="button"
            className="secondary"
            disabled={timeline.isFetchingNextPage}
            onClick={() => void timeline.fetchNextPage()}
          >
            {timeline.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </>
  );
}

function TimelineRow({ item }: { item: Item }) {
  return (
    <tr data-testid="timeline-item" data-kind={item.kind} data-id={item.id}>
      <td>
        <time dateTime={item.at.toISOString()}>{formatDateTime(item.at)}</time>
      </td>
      <td>
        <span className="badge">{KIND_BADGES[item.kind]}</span>
      </td>
      <td>
        <Link href={item.link}>{item.title}</Link>{" "}
        {item.status && <span className={`badge ${statusClass(item.status)}`}>{item.status}</span>}{" "}
        {item.severity && <span className="badge">{item.severity}</span>}
      </td>
      <td>{item.detail ?? ""}</td>
    </tr>
  );
}
