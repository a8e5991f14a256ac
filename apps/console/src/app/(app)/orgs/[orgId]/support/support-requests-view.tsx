"use client";

import {
  SUPPORT_REQUEST_STATUSES,
  SUPPORT_SEVERITIES,
  SUPPORT_SEVERITY_LABELS,
  type SupportRequestStatus,
  type SupportSeverity,
} from "@cp/core";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Dialog } from "~/components/dialog";
import { Field, splitFieldErrors } from "~/components/field-errors";
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
  SupportTeam,
} from "~/components/support";
import { useTRPC } from "~/trpc/react";

const LIVE_MS = 15_000;

export function SupportRequestsView({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }));
  const [status, setStatus] = useState<SupportRequestStatus | "">("");
  const pages = useKeysetPages();
  const [opening, setOpening] = useState(false);
  const list = useQuery({
    ...trpc.support.list.queryOptions({ orgId, status: status || null, cursor: pages.cursor, limit: 25 }),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });
  return (
    <>
      <h1>{org.data?.name ?? "Organization"}: support</h1>
      <SupportTeam orgId={orgId} />
      <div className="toolbar">
        <button type="button" onClick={() => setOpening(true)}>
          Open a request
        </button>
        <SelectFilter
          label="Status"
          value={status}
          anyLabel="Any status"
          options={SUPPORT_REQUEST_STATUSES.map((s) => ({ value: s, label: SUPPORT_STATUS_LABELS[s] }))}
          onChange={(v) => {
            setStatus(v);
            pages.reset();
          }}
        />
      </div>
      {opening && <OpenRequestDialog orgId={orgId} onClose={() => setOpening(false)} />}
      {list.error && <QueryError error={list.error} />}
      {!list.data && !list.error && <p aria-busy="true">Loading…</p>}
      {list.data && list.data.items.length === 0 && <p className="muted">No support requests yet.</p>}
      {list.data && list.data.items.length > 0 && (
        <>
          <table>
            <caption>Support requests of this organization</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Subject</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Instance</th>
                <th scope="col">SLA</th>
                <th scope="col">Opened</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id} data-sla={r.clocks.slaState} style={slaRowStyle(r.clocks.slaState)}>
                  <td>
                    <Link href={`/orgs/${orgId}/support/${r.id}`}>#{r.number}</Link>
                  </td>
                  <td>
                    <Link href={`/orgs/${orgId}/support/${r.id}`}>{r.subject}</Link>
                  </td>
                  <td>
                    <SeverityText severity={r.severity} />
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{r.instance?.name ?? "—"}</td>
                  <td>
                    <SlaBadge state={r.clocks.slaState} />
                  </td>
                  <td>{formatDateTime(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <KeysetPager
            pages={pages}
            nextCursor={list.data.nextCursor}
            backLabel="Newer requests"
            forwardLabel="Older requests"
          />
        </>
      )}
    </>
  );
}

const FIELDS = ["severity", "instanceId", "subject", "body"] as const;

function OpenRequestDialog({ orgId, onClose }: { orgId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const instances = useQuery(trpc.instances.list.queryOptions({ orgId }));
  const [severity, setSeverity] = useState<SupportSeverity>("P3");
  const [instanceId, setInstanceId] = useState("");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const open = useMutation(
    trpc.support.open.mutationOptions({
      onSuccess: (r) => {
        void qc.invalidateQueries({ queryKey: trpc.support.list.queryKey() });
        router.push(`/orgs/${orgId}/support/${r.id}`);
      },
    }),
  );
  const errors = splitFieldErrors(open.error, FIELDS);
  const edit = (fn: () => void) => {
    open.reset();
    fn();
  };
  const live = (instances.data ?? []).filter((i) => i.status !== "deleted");
  return (
    <Dialog title="Open a support request" onClose={onClose}>
      <form
        aria-label="Open a support request"
        onSubmit={(e) => {
          e.preventDefault();
          open.mutate({ orgId, severity, instanceId: instanceId || null, subject, body });
        }}
      >
        <Field label="Severity" error={errors.fields.severity}>
          {(c) => (
            <select
              {...c}
              value={severity}
              onChange={(e) => edit(() => setSeverity(e.target.value as SupportSeverity))}
            >
              {SUPPORT_SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {SUPPORT_SEVERITY_LABELS[s]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Affected instance" error={errors.fields.instanceId}>
          {(c) => (
            <select {...c} value={instanceId} onChange={(e) => edit(() => setInstanceId(e.target.value))}>
              <option value="">None (not about one instance)</option>
              {live.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Subject" error={errors.fields.subject} hint="3 to 200 characters">
          {(c) => (
            <input
              {...c}
              value={subject}
              maxLength={200}
              onChange={(e) => edit(() => setSubject(e.target.value))}
            />
          )}
        </Field>
        <Field label="Description" error={errors.fields.body}>
          {(c) => (
            <textarea {...c} rows={6} value={body} onChange={(e) => edit(() => setBody(e.target.value))} />
          )}
        </Field>
        {errors.other && <QueryError error={{ message: errors.other, data: open.error?.data }} />}
        <div className="toolbar" style={{ marginTop: "1rem", marginBottom: 0 }}>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={open.isPending}>
            {open.isPending ? "Opening…" : "Open request"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
