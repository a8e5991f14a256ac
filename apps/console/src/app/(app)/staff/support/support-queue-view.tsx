"use client";

import {
  SUPPORT_REQUEST_STATUSES,
  SUPPORT_SEVERITIES,
  SUPPORT_SEVERITY_LABELS,
  type SupportRequestStatus,
  type SupportSeverity,
} from "@cp/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "~/components/format";
import { KeysetPager, useKeysetPages } from "~/components/keyset-pager";
import { QueryError } from "~/components/query-error";
import { SelectFilter } from "~/components/select-filter";
import {
  SeverityText,
  SlaBadge,
  slaRowStyle,
  StatusBadge,
  SUPPORT_STATUS_LABELS,
} from "~/components/support";
import { useTRPC } from "~/trpc/react";

const LIVE_MS = 15_000;

export function SupportQueueView() {
  const trpc = useTRPC();
  const [status, setStatus] = useState<SupportRequestStatus | "">("");
  const [severity, setSeverity] = useState<SupportSeverity | "">("");
  const [breachedOnly, setBreachedOnly] = useState(false);
  const pages = useKeysetPages();
  const queue = useQuery({
    ...trpc.support.queue.queryOptions({
      status: status || null,
      severity: severity || null,
      breachedOnly,
      cursor: pages.cursor,
      limit: 50,
    }),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });
  return (
    <>
      <h1>Support queue</h1>
      <p className="muted">Every org&apos;s requests, the nearest due target first.</p>
      <div className="toolbar" role="group" aria-label="Filters">
        <SelectFilter
          label="Status"
          value={status}
          anyLabel="Not resolved"
          options={SUPPORT_REQUEST_STATUSES.map((s) => ({ value: s, label: SUPPORT_STATUS_LABELS[s] }))}
          onChange={(v) => {
            setStatus(v);
            pages.reset();
          }}
        />
        <SelectFilter
          label="Severity"
          value={severity}
          anyLabel="Any severity"
          options={SUPPORT_SEVERITIES.map((s) => ({ value: s, label: SUPPORT_SEVERITY_LABELS[s] }))}
          onChange={(v) => {
            setSeverity(v);
            pages.reset();
          }}
        />
        <label className="field">
          <span>
            <input
              type="checkbox"
              checked={breachedOnly}
              onChange={(e) => {
                setBreachedOnly(e.target.checked);
                pages.reset();
              }}
            />{" "}
            Breached only
          </span>
        </label>
      </div>
      {queue.error && <QueryError error={queue.error} />}
      {!queue.data && !queue.error && <p aria-busy="true">Loading…</p>}
      {queue.data && queue.data.items.length === 0 && <p className="muted">No requests match.</p>}
      {queue.data && queue.data.items.length > 0 && (
        <>
          <table>
            <caption>Support requests by next due target</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Organization</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Instance</th>
                <th scope="col">Next due (your time)</th>
                <th scope="col">SLA</th>
              </tr>
            </thead>
            <tbody>
              {queue.data.items.map((r) => (
                <tr key={r.id} data-sla={r.clocks.slaState} style={slaRowStyle(r.clocks.slaState)}>
                  <td>
                    <Link href={`/orgs/${r.orgId}/support/${r.id}`}>
                      #{r.number} {r.subject}
                    </Link>
                  </td>
                  <td>{r.orgName}</td>
                  <td>
                    <SeverityText severity={r.severity} />
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{r.instance?.name ?? "—"}</td>
                  <td>{formatDateTime(r.nextDueAt)}</td>
                  <td>
                    <SlaBadge state={r.clocks.slaState} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <KeysetPager
            pages={pages}
            nextCursor={queue.data.nextCursor}
            backLabel="Previous page"
            forwardLabel="Next page"
          />
        </>
      )}
    </>
  );
}
