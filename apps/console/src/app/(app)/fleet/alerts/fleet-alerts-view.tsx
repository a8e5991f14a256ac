"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import type { AlertStateName } from "@cp/core";
import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { AlertActions, AlertStateBadge, formatAlertValue, silencedMessage } from "~/components/alert-actions";
import { RANK_SEVERITIES, rowTint, SeverityBadge } from "~/components/alert-severity";
import { formatAge, formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { SelectFilter } from "~/components/select-filter";
import { useTRPC } from "~/trpc/react";

/** Live: rows follow the alert evaluator (and other SREs' acknowledgements) within a few seconds. */
const LIVE_MS = 5000;
const OPEN_STATES: AlertStateName[] = ["pending", "firing", "acknowledged"];
const OPEN_LIMIT = 200;
const RESOLVED_LIMIT = 100;
const RESOLVED_DAYS = 7;
/** Triage order: a firing alert nobody has taken, then one that may fire, then those already taken. */
const STATE_ORDER: Record<AlertStateName, number> = { firing: 0, pending: 1, acknowledged: 2, resolved: 3 };

type Alert = inferRouterOutputs<AppRouter>["alerts"]["fleet"][number];

const rank = (a: Alert) => RANK_SEVERITIES.indexOf(a.severity);

/**
 * Alerts across the fleet, open ones first (unhandled and most severe at the top), optionally followed by those
 * resolved in the last week. Every staff member reads it; SREs and staff admins (`canHandle`; the server checks
 * again) acknowledge and silence from here.
 */
export function FleetAlertsView({ canHandle }: { canHandle: boolean }) {
  const trpc = useTRPC();
  const [orgId, setOrgId] = useState("");
  // Fixed when the toggle is turned on, so the query key stays the same from one refetch to the next.
  const [resolvedSince, setResolvedSince] = useState<Date | null>(null);
  const [silenced, setSilenced] = useState<string | null>(null);
  const orgs = useQuery(trpc.orgs.list.queryOptions({}));
  const scope = orgId ? { orgId } : {};
  const open = useQuery({
    ...trpc.alerts.fleet.queryOptions({ ...scope, states: OPEN_STATES, limit: OPEN_LIMIT }),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });
  const resolved = useQuery({
    ...trpc.alerts.fleet.queryOptions(
      resolvedSince
        ? { ...scope, states: ["resolved"], since: resolvedSince, limit: RESOLVED_LIMIT }
        : skipToken,
    ),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });

  const orgName = new Map(orgs.data?.map((o) => [o.id, o.name]));
  // Array.prototype.sort is stable: within a state and severity, the server's newest-first order stays.
  const openRows = [...(open.data ?? [])].sort(
    (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || rank(b) - rank(a),
  );
  const rows = resolvedSince ? [...openRows, ...(resolved.data ?? [])] : openRows;
  const count = (state: AlertStateName) => openRows.filter((a) => a.state === state).length;

  return (
    <>
      <h1>Fleet alerts</h1>
      <p className="muted">
        Alerts on every instance, open ones first. Updates every {LIVE_MS / 1000} seconds.
      </p>

      <div className="toolbar" role="group" aria-label="Filter fleet alerts">
        <SelectFilter
          label="Organization"
          value={orgId}
          options={(orgs.data ?? []).map((o) => ({ value: o.id, label: o.name }))}
          onChange={setOrgId}
        />
        <label className="choice">
          <input
            type="checkbox"
            checked={resolvedSince !== null}
            onChange={(e) =>
              setResolvedSince(e.target.checked ? new Date(Date.now() - RESOLVED_DAYS * 86_400_000) : null)
            }
          />{" "}
          Include alerts resolved in the last {RESOLVED_DAYS} days
        </label>
      </div>

      {orgs.error && <QueryError error={orgs.error} />}
      {open.error && <QueryError error={open.error} />}
      {resolved.error && <QueryError error={resolved.error} />}
      {silenced && (
        <p role="status" className="notice">
          {silenced}
        </p>
      )}
      {open.data && (
        <p className="muted" data-testid="fleet-alert-counts">
          {openRows.length} open: {count("firing")} firing, {count("pending")} pending,{" "}
          {count("acknowledged")} acknowledged
          {resolvedSince &&
            resolved.data &&
            ` · ${resolved.data.length} resolved in the last ${RESOLVED_DAYS} days`}
        </p>
      )}
      {open.data?.length === OPEN_LIMIT && (
        <p className="muted">
          Showing the newest {OPEN_LIMIT} open alerts; choose an organization to see the rest.
        </p>
      )}

      {open.data && (
        <table data-testid="fleet-alerts-table">
          <caption>
            {resolvedSince ? "Open alerts, then alerts resolved in the last week" : "Open alerts"}
          </caption>
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Alert</th>
              <th scope="col">State</th>
              <th scope="col">Instance</th>
              <th scope="col">Organization</th>
              <th scope="col">Value / threshold</th>
              <th scope="col">Since</th>
              <th scope="col">Acknowledged by</th>
              {canHandle && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={canHandle ? 9 : 8} className="empty">
                  {orgId ? "No open alerts in this organization." : "No open alerts across the fleet."}
                </td>
              </tr>
            )}
            {rows.map((a) => (
              <tr
                key={a.id}
                style={a.state === "resolved" ? undefined : rowTint(rank(a))}
                data-testid="fleet-alert-row"
                data-alert-id={a.id}
                data-state={a.state}
              >
                <td>
                  <SeverityBadge severity={a.severity} />
                </td>
                <td>
                  <strong>{a.rule.name}</strong>
                  {a.silenced && (
                    <div>
                      <span className="badge">Notifications silenced</span>
                    </div>
                  )}
                </td>
                <td>
                  <AlertStateBadge state={a.state} />
                  {a.resolvedAt && <div className="muted">resolved {formatAge(a.resolvedAt)}</div>}
                </td>
                <td>
                  <Link href={`/orgs/${a.orgId}/instances/${a.instance.id}/health`}>{a.instance.name}</Link>
                  <div className="muted">{a.instance.slug}</div>
                </td>
                <td>
                  <Link href={`/orgs/${a.orgId}`}>{orgName.get(a.orgId) ?? a.orgId}</Link>
                </td>
                <td>{formatAlertValue(a)}</td>
                <td title={formatDateTime(a.firedAt ?? a.pendingSince)}>
                  {a.firedAt ? formatAge(a.firedAt) : `pending since ${formatAge(a.pendingSince)}`}
                </td>
                <td>
                  {a.acknowledgedAt ? (
                    <>
                      {a.acknowledgedByEmail ?? "—"}
                      <div className="muted">{formatAge(a.acknowledgedAt)}</div>
                    </>
                  ) : (
                    "—"
                  )}
                </td>
                {canHandle && (
                  <td>
                    <AlertActions
                      alert={a}
                      onSilenced={(silence) =>
                        setSilenced(silencedMessage(silence, silence.instance?.name ?? a.instance.name))
                      }
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
