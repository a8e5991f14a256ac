"use client";

import { SUPPORT_SEVERITY_LABELS, type SupportRequestStatus } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { formatMinutes, SlaBadge, StatusBadge } from "~/components/support";
import { useTRPC } from "~/trpc/react";

/** How often the thread looks for new replies. */
const LIVE_MS = 3_000;

export function SupportRequestView(props: { orgId: string; requestId: string; isStaff: boolean }) {
  const { orgId, requestId, isStaff } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const request = useQuery({
    ...trpc.support.get.queryOptions({ orgId, requestId }),
    refetchInterval: LIVE_MS,
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.support.get.queryKey({ orgId, requestId }) });
  const setStatus = useMutation(trpc.support.setStatus.mutationOptions({ onSettled: refresh }));

  if (request.error) return <QueryError error={request.error} />;
  const r = request.data;
  if (!r) return <p aria-busy="true">Loading…</p>;
  const change = (status: SupportRequestStatus) => setStatus.mutate({ orgId, requestId, status });
  const clocks = [
    { label: "First response", clock: r.clocks.firstResponse },
    { label: "Resolution", clock: r.clocks.resolution },
  ];
  return (
    <>
      <p>
        <Link href={`/orgs/${orgId}/support`}>← Support requests</Link>
      </p>
      <h1>
        #{r.number} {r.subject}
      </h1>
      <p>
        <span title={SUPPORT_SEVERITY_LABELS[r.severity]}>{SUPPORT_SEVERITY_LABELS[r.severity]}</span> ·{" "}
        <span data-testid="support-request-status">
          <StatusBadge status={r.status} />
        </span>{" "}
        · {r.instance ? `Instance ${r.instance.name}` : "No instance"} · opened by{" "}
        {r.openedBy.name ?? r.openedBy.email ?? "—"} {formatDateTime(r.createdAt)}
        {isStaff && ` · ${r.orgName}`}
      </p>

      <div className="toolbar" role="group" aria-label="Request status">
        {r.status !== "resolved" && (
          <button type="button" disabled={setStatus.isPending} onClick={() => change("resolved")}>
            Mark resolved
          </button>
        )}
        {r.status !== "open" && (
          <button
            type="button"
            className="secondary"
            disabled={setStatus.isPending}
            onClick={() => change("open")}
          >
            Reopen
          </button>
        )}
        {isStaff && r.status !== "waiting_on_customer" && (
          <button
            type="button"
            className="secondary"
            disabled={setStatus.isPending}
            onClick={() => change("waiting_on_customer")}
          >
            Waiting on customer
          </button>
        )}
      </div>
      {setStatus.error && <QueryError error={setStatus.error} />}

      <table>
        <caption>
          SLA clocks
          {r.clocks.businessHours
            ? ` (business hours: ${r.clocks.businessHours.start}–${r.clocks.businessHours.end} ${r.clocks.businessHours.timeZone})`
            : " (around the clock)"}
        </caption>
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">Due (your time)</th>
            <th scope="col">Remaining</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {clocks.map(({ label, clock }) => (
            <tr key={label} data-testid={`sla-${label === "Resolution" ? "resolution" : "first-response"}`}>
              <th scope="row">{label}</th>
              <td>{formatDateTime(clock.dueAt)}</td>
              <td>
                {clock.stoppedAt
                  ? `stopped ${formatDateTime(clock.stoppedAt)}`
                  : clock.remainingMinutes >= 0
                    ? `${formatMinutes(clock.remainingMinutes)} ${r.clocks.businessHours ? "business time " : ""}left`
                    : `${formatMinutes(clock.remainingMinutes)} overdue`}
              </td>
              <td>
                <SlaBadge state={clock.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2 id="thread-title">Conversation</h2>
      <ol aria-labelledby="thread-title" style={{ listStyle: "none", padding: 0 }}>
        {r.messages.map((m) => (
          <li
            key={m.id}
            className="panel"
            data-testid="support-message"
            data-from-staff={m.fromStaff}
            aria-label={`Message from ${m.fromStaff ? "Support" : (m.author.name ?? m.author.email ?? "customer")}`}
          >
            <p style={{ marginTop: 0 }}>
              <strong>{m.author.name ?? m.author.email ?? "—"}</strong>{" "}
              {m.fromStaff && <span className="badge ok">Support</span>}{" "}
              <span className="muted">{formatDateTime(m.createdAt)}</span>
            </p>
            <p style={{ whiteSpace: "pre-wrap", marginBottom: 0 }}>{m.body}</p>
          </li>
        ))}
      </ol>

      <ReplyForm orgId={orgId} requestId={requestId} onSent={refresh} />
    </>
  );
}

function ReplyForm(props: { orgId: string; requestId: string; onSent: () => unknown }) {
  const trpc = useTRPC();
  const [body, setBody] = useState("");
  const reply = useMutation(
    trpc.support.reply.mutationOptions({
      onSuccess: () => {
        setBody("");
        void props.onSent();
      },
    }),
  );
  const errors = splitFieldErrors(reply.error, ["body"]);
  return (
    <form
      aria-label="Reply"
      onSubmit={(e) => {
        e.preventDefault();
        reply.mutate({ orgId: props.orgId, requestId: props.requestId, body });
      }}
    >
      <Field label="Your reply" error={errors.fields.body}>
        {(c) => (
          <textarea
            {...c}
            rows={5}
            value={body}
            onChange={(e) => {
              reply.reset();
              setBody(e.target.value);
            }}
          />
        )}
      </Field>
      {errors.other && <QueryError error={{ message: errors.other, data: reply.error?.data }} />}
      <button type="submit" disabled={reply.isPending || body.trim() === ""}>
        {reply.isPending ? "Sending…" : "Send reply"}
      </button>
    </form>
  );
}
