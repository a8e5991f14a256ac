"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { AlertActions, AlertStateBadge, formatAlertValue, silencedMessage } from "~/components/alert-actions";
import { SeverityBadge } from "~/components/alert-severity";
import { formatAge, formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

const LIVE_MS = 5000;

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
  const alerts = useQuery({
    ...trpc.alerts.list.queryOptions({ orgId, instanceId, limit: 25 }),
    refetchInterval: LIVE_MS,
  });
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
                  <AlertStateBadge state={a.state} />
                  {a.acknowledgedAt && (
                    <div className="muted">
                      by {a.acknowledgedByEmail ?? "the provider's SREs"} {formatAge(a.acknowledgedAt)}
                    </div>
                  )}
                  {a.resolvedAt && <div className="muted">resolved {formatAge(a.resolvedAt)}</div>}
                </td>
                <td>{formatAlertValue(a)}</td>
                <td title={formatDateTime(a.firedAt ?? a.pendingSince)}>
                  {a.firedAt ? formatAge(a.firedAt) : `pending since ${formatAge(a.pendingSince)}`}
                </td>
                {canHandle && (
                  <td>
                    <AlertActions
                      alert={a}
                      onSilenced={(silence) => setSilenced(silencedMessage(silence, "this instance"))}
                    />
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
    </section>
  );
}
