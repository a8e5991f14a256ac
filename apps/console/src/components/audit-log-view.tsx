"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "./format";
import { KeysetPager, useKeysetPages } from "./keyset-pager";
import { QueryError } from "./query-error";
import { useTRPC } from "~/trpc/react";

interface Filter {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  from: string;
  to: string;
}
const EMPTY: Filter = { actor: "", action: "", targetType: "", targetId: "", from: "", to: "" };

function toInput(orgId: string | null, f: Filter) {
  return {
    orgId,
    actor: f.actor || null,
    action: f.action || null,
    targetType: f.targetType || null,
    targetId: f.targetId || null,
    from: f.from ? new Date(f.from) : null,
    to: f.to ? new Date(f.to) : null,
  };
}

function summarize(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

export function AuditLogView({ orgId, title }: { orgId: string | null; title: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const pages = useKeysetPages();
  const cursor = pages.cursor;
  const input = { ...toInput(orgId, filter), limit: 50, cursor };
  const events = useQuery(trpc.audit.list.queryOptions(input));
  const [exporting, setExporting] = useState<string | null>(null);

  async function exportCsv() {
    setExporting("Preparing…");
    try {
      const res = await qc.fetchQuery(
        trpc.audit.exportCsv.queryOptions(toInput(orgId, filter), { staleTime: 0 }),
      );
      const url = URL.createObjectURL(new Blob([res.csv], { type: "text/csv;charset=utf-8" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `audit-${orgId ?? "all"}-${new Date().toISOString().slice(0, 19)}.csv`;
      a.click();
      URL.revokeObjectURL(url);
      setExporting(
        res.truncated
          ? `Exported the newest ${res.rows} events; narrow the filter for older ones.`
          : `Exported ${res.rows} events.`,
      );
    } catch (err) {
      setExporting(err instanceof Error ? err.message : "Export failed.");
    }
  }

  const field = (key: keyof Filter, label: string, type = "text") => (
    <label className="field">
      {label}
      <input type={type} value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} />
    </label>
  );

  return (
    <>
      <h1>{title}</h1>
      <form
        className="toolbar"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          pages.reset();
        }}
      >
        {field("actor", "Actor (e-mail or id)")}
        {field("action", "Action")}
        {field("targetType", "Target type")}
        {field("targetId", "Target id")}
        {field("from", "From", "datetime-local")}
        {field("to", "To", "datetime-local")}
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </form>
      {exporting && (
        <p role="status" className="muted">
          {exporting}
        </p>
      )}
      {events.error && <QueryError error={events.error} />}
      {!events.data && !events.error && <p aria-busy="true">Loading…</p>}
      {events.data && (
        <>
          <table>
            <caption>Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Change</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    No events match.
                  </td>
                </tr>
              )}
              {events.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.createdAt)}</td>
                  <td>
                    {e.actorEmail ?? "system"}
                    {e.viaStaff && <span className="badge warn"> staff ({e.actorStaffRole})</span>}
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.targetType}
                    {e.targetId && <div className="muted">{e.targetId}</div>}
                  </td>
                  <td>
                    {e.before != null && <div className="muted">before: {summarize(e.before)}</div>}
                    {e.after != null && <div>after: {summarize(e.after)}</div>}
                  </td>
                  <td className="muted">{e.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <KeysetPager
            pages={pages}
            nextCursor={events.data.nextCursor}
            backLabel="Newer"
            forwardLabel="Older"
          />
        </>
      )}
    </>
  );
}
