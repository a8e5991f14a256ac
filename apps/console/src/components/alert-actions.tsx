"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import type { AlertComparisonName, AlertStateName } from "@cp/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createPortal } from "react-dom";
import { Dialog } from "~/components/dialog";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

// What every list of alerts shares: the state badge, the value shown against its threshold, and the handling of
// one alert (Acknowledge, Silence). Render AlertActions only for SREs and staff admins; the server checks again.

type Out = inferRouterOutputs<AppRouter>;
export type AlertSilence = Out["alerts"]["silence"];

/** The fields of an alert row (alerts.list or alerts.fleet) that the actions need. */
export interface ActionableAlert {
  id: string;
  state: AlertStateName;
  rule: { id: string; name: string };
  instance: { id: string; name: string };
}

const SILENCE_DURATIONS = [
  { minutes: 15, label: "15 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 240, label: "4 hours" },
  { minutes: 1440, label: "1 day" },
];

const STATE_CLASS: Record<AlertStateName, string> = {
  pending: "",
  firing: "bad",
  acknowledged: "warn",
  resolved: "ok",
};

export function AlertStateBadge({ state }: { state: AlertStateName }) {
  return <span className={`badge ${STATE_CLASS[state]}`}>{state}</span>;
}

/** "93.5 > 70": the value that raised the alert against the rule's threshold. */
export function formatAlertValue(a: {
  value: number;
  threshold: number;
  rule: { comparison: AlertComparisonName };
}): string {
  return `${round(a.value)} ${a.rule.comparison === "gt" ? ">" : "<"} ${round(a.threshold)}`;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 0 : 2);
}

/**
 * Acknowledge (a firing alert) and Silence (the alert's rule on its instance, while the alert is open). Both refresh
 * every alert query; `onSilenced` lets the list say where and until when.
 */
export function AlertActions({
  alert,
  onSilenced,
}: {
  alert: ActionableAlert;
  onSilenced?: (silence: AlertSilence) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
  const acknowledge = useMutation(trpc.alerts.acknowledge.mutationOptions({ onSettled: refresh }));
  const [silencing, setSilencing] = useState(false);

  if (alert.state === "resolved") return null;
  return (
    <>
      <div className="toolbar" style={{ marginBottom: 0 }}>
        {alert.state === "firing" && (
          <button
            type="button"
            disabled={acknowledge.isPending}
            onClick={() => acknowledge.mutate({ alertId: alert.id })}
          >
            Acknowledge
          </button>
        )}
        <button type="button" className="secondary" onClick={() => setSilencing(true)}>
          Silence
        </button>
      </div>
      {acknowledge.error && <QueryError error={acknowledge.error} />}
      {/* In the body, not the row: a live list may reorder its rows, and moving an open <dialog> in the DOM
          takes it out of the top layer (no longer modal). */}
      {silencing &&
        createPortal(
          <SilenceDialog
            alert={alert}
            onClose={() => setSilencing(false)}
            onDone={(silence) => {
              setSilencing(false);
              onSilenced?.(silence);
              void refresh();
            }}
          />,
          document.body,
        )}
    </>
  );
}

function SilenceDialog(props: {
  alert: ActionableAlert;
  onClose: () => void;
  onDone: (silence: AlertSilence) => void;
}) {
  const { rule, instance } = props.alert;
  const trpc = useTRPC();
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState("");
  const silence = useMutation(trpc.alerts.silence.mutationOptions({ onSuccess: props.onDone }));
  return (
    <Dialog title={`Silence ${rule.name}`} onClose={props.onClose}>
      <p className="muted">
        Notifications of this rule on {instance.name} wait until the silence ends; the alert still shows and
        resolves as usual.
      </p>
      <form
        aria-label="Silence the rule"
        style={{ display: "flex", flexDirection: "column", gap: "0.75rem" }}
        onSubmit={(e) => {
          e.preventDefault();
          silence.mutate({
            ruleId: rule.id,
            instanceId: instance.id,
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

/** What a list says once a rule is silenced: `where` names the instance ("this instance" on its own page). */
export function silencedMessage(silence: AlertSilence, where: string): string {
  return `${silence.rule.name} is silenced on ${where} until ${formatDateTime(silence.expiresAt)}.`;
}
