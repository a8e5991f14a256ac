"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { SeverityBadge } from "~/components/alert-severity";
import { Dialog } from "~/components/dialog";
import { formatAge, formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

const LIVE_MS = 5000;
const SILENCE_DURATIONS = [
  { minutes: 15, label: "15 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 240, label: "4 hours" },
  { minutes: 1440, label: "1 day" },
];

const STATE_CLASS = { pending: "", firing: "bad", acknowledged: "warn", resolved: "ok" } as const;

/**
 * An instance's alerts. Everyone who may read the instance sees them; only SREs and staff admins (`canHandle`; the
 * server checks again) get Acknowledge and Silence. `compact`: open alerts only, for the instance page.
 */
export function AlertsPanel(props: {
  orgId: string;
  instanceId: string;
  canHandle: boolean;
  compact?: boolean;
}) {
  const { orgId, instanceId, canHandle } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const alerts = useQuery({
    ...trpc.alerts.list.queryOptions({ orgId, instanceId, limit: 25 }),
    refetchInterval: LIVE_MS,
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
  const acknowledge = useMutation(trpc.alerts.acknowledge.mutationOptions({ onSettled: refresh }));
  const [silencing, setSilencing] = useState<{ ruleId: string; ruleName: string } | null>(null);
  const [silenced, setSilenced] = useState<string | null>(null);

  const open = alerts.data?.filter((a) => a.state === "firing" || a.state === "acknowledged") ?? [];
  const shown = props.compact ? open : (alerts.data ?? []);

  return (
    <section className="panel" aria-labelledby={`alerts-title-${instanceId}`} data-testid="alerts-panel">
      <h2 id={`alerts-title-${instanceId}`} style={{ marginTop: 0 }}>
        {props.compact ? "Open alerts" : "Alerts"}{" "}
        {alerts.data && (
          <span className={`badge ${open.length ? "bad" : "ok"}`} data-testid="open-alert-count">
            {open.length} open
          </span>
        )}
      </h2>
      {alerts.error && <QueryError error={alerts.error} />}
      {acknowledge.error && <QueryError error={acknowledge.error} />}
      {silenced && (
        <p role="status" className="notice">
          {silenced}
        </p>
      )}
      {alerts.data && shown.length === 0 && (
        <p className="muted">{props.compact ? "No open alerts." : "No alerts yet."}</p>
      )}
      {shown.length > 0 && (
        <table>
          <caption>{props.compact ? "Alerts firing or acknowledged now" : "Open and recent alerts"}</caption>
          <thead>
            <tr>
              <th scope="col">Alert</th>
              <th scope="col">State</th>
              <th scope="col">Value / threshold</th>
              <th scope="col">Fired</th>
              {canHandle && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id} data-testid="alert-row" data-alert-id={a.id} data-state={a.state}>
                <td>
                  <SeverityBadge severity={a.severity} /> <strong>{a.rule.name}</strong>
                  {a.silenced && (
                    <div>
                      <span className="badge">Notifications silenced</span>
                    </div>
                  )}
                </td>
                <td>
                  <span className={`badge ${STATE_CLASS[a.state]}`}>{a.state}</span>
                  {a.acknowledgedAt && (
                    <div className="muted">
                      by {a.acknowledgedByEmail ?? "the provider's SREs"} {formatAge(a.acknowledgedAt)}
                    </div>
                  )}
                  {a.resolvedAt && <div className="muted">resolved {formatAge(a.resolvedAt)}</div>}
                </td>
                <td>
                  {round(a.value)} {a.rule.comparison === "gt" ? ">" : "<"} {round(a.threshold)}
                </td>
                <td title={formatDateTime(a.firedAt ?? a.pendingSince)}>
                  {a.firedAt ? formatAge(a.firedAt) : `pending since ${formatAge(a.pendingSince)}`}
                </td>
                {canHandle && (
                  <td>
                    <div className="toolbar" style={{ marginBottom: 0 }}>
                      {a.state === "firing" && (
                        <button
                          type="button"
                          disabled={acknowledge.isPending}
                          onClick={() => acknowledge.mutate({ alertId: a.id })}
                        >
                          Acknowledge
                        </button>
                      )}
                      {a.state !== "resolved" && (
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => setSilencing({ ruleId: a.rule.id, ruleName: a.rule.name })}
                        >
                          Silence
                        </button>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.compact && (
        <p>
          <Link href={`/orgs/${orgId}/instances/${instanceId}/health`}>
            Health, metrics and alert history
          </Link>
        </p>
      )}
      {silencing && (
        <SilenceDialog
          instanceId={instanceId}
          rule={silencing}
          onClose={() => setSilencing(null)}
          onDone={(message) => {
            setSilencing(null);
            setSilenced(message);
            void refresh();
          }}
        />
      )}
    </section>
  );
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 0 : 2);
}

function SilenceDialog(props: {
  instanceId: string;
  rule: { ruleId: string; ruleName: string };
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const trpc = useTRPC();
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState("");
  const silence = useMutation(
    trpc.alerts.silence.mutationOptions({
      onSuccess: (s) =>
        props.onDone(`${s.rule.name} is silenced on this instance until ${formatDateTime(s.expiresAt)}.`),
    }),
  );
  return (
    <Dialog title={`Silence ${props.rule.ruleName}`} onClose={props.onClose}>
      <p className="muted">
        Notifications of this rule on this instance wait until the silence ends; the alert still shows and
        resolves as usual.
      </p>
      <form
        aria-label="Silence the rule"
        style={{ display: "flex", flexDirection: "column", gap: "0.75rem" }}
        onSubmit={(e) => {
          e.preventDefault();
          silence.mutate({
            ruleId: props.rule.ruleId,
            instanceId: props.instanceId,
            durationMinutes: minutes,
            reason: reason.trim(),
          });
        }}
      >
        <label className="field">
          For
          <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {SILENCE_DURATIONS.map((d) => (
              <option key={d.minutes} value={d.minutes}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Reason (required)
          <textarea
            required
            minLength={3}
            maxLength={500}
            rows={3}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. planned load test, customer informed"
          />
        </label>
        {silence.error && <QueryError error={silence.error} />}
        <div className="toolbar">
          <button type="submit" disabled={silence.isPending || reason.trim().length < 3}>
            Silence
          </button>
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
