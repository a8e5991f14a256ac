"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { ALERT_SEVERITIES, type AlertSeverityName } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  ALERT_RULE_VALUE_FIELDS,
  AlertRuleValueFields,
  alertRuleValuesDraft,
  draftNumber,
  metricLabel,
} from "~/components/alert-rule-fields";
import { SeverityBadge } from "~/components/alert-severity";
import { splitFieldErrors } from "~/components/field-errors";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

type Rule = inferRouterOutputs<AppRouter>["alerts"]["rules"][number];

/** The fleet's default alert rules. SREs and staff admins edit them (`canEdit`; the server checks again). */
export function AlertRulesView({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const rules = useQuery(trpc.alerts.rules.queryOptions({}));
  const silences = useQuery({
    ...trpc.alerts.silences.queryOptions({ activeOnly: true }),
    refetchInterval: 10_000,
  });
  const [editing, setEditing] = useState<string | null>(null);
  const qc = useQueryClient();
  const cancel = useMutation(
    trpc.alerts.cancelSilence.mutationOptions({
      onSettled: () => qc.invalidateQueries({ queryKey: trpc.alerts.silences.pathKey() }),
    }),
  );

  return (
    <>
      <h1>Alert rules</h1>
      <p className="muted">
        The fleet defaults every instance is evaluated against. An instance can override a threshold; those
        overrides show on its health page.{" "}
        {canEdit ? "" : "You can read these; SREs and staff admins edit them."}
      </p>
      {rules.error && <QueryError error={rules.error} />}
      {rules.data && (
        <table data-testid="alert-rules">
          <caption>Fleet default rules</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Condition</th>
              <th scope="col">For</th>
              <th scope="col">Severity</th>
              <th scope="col">State</th>
              {canEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {rules.data.map((r) =>
              editing === r.id ? (
                <tr key={r.id}>
                  <td colSpan={canEdit ? 6 : 5}>
                    <RuleForm rule={r} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              ) : (
                <tr key={r.id} data-rule-key={r.key}>
                  <td>
                    <strong>{r.name}</strong>
                    <div className="muted">
                      <code>{r.key}</code> · {metricLabel(r.metric)}
                    </div>
                    <details>
                      <summary>Runbook</summary>
                      <pre style={{ whiteSpace: "pre-wrap", fontSize: "0.85rem" }}>{r.runbook}</pre>
                    </details>
                  </td>
                  <td>
                    fires {r.comparison === "gt" ? "above" : "below"} {r.threshold}, resolves at{" "}
                    {r.resolveThreshold}
                    {r.baselineFactor !== null && (
                      <div className="muted">or {r.baselineFactor}× the 24-hour baseline, if higher</div>
                    )}
                  </td>
                  <td>{r.forSeconds} s</td>
                  <td>
                    <SeverityBadge severity={r.severity} />
                  </td>
                  <td>
                    <span className={`badge ${r.enabled ? "ok" : ""}`}>
                      {r.enabled ? "enabled" : "disabled"}
                    </span>
                    <div className="muted">{r.notifyCustomer ? "customers notified" : "staff only"}</div>
                    <div className="muted">changed {formatDateTime(r.updatedAt)}</div>
                  </td>
                  {canEdit && (
                    <td>
                      <button type="button" className="secondary" onClick={() => setEditing(r.id)}>
                        Edit
                      </button>
                    </td>
                  )}
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}

      <h2>Active silences</h2>
      {silences.error && <QueryError error={silences.error} />}
      {cancel.error && <QueryError error={cancel.error} />}
      {silences.data && silences.data.length === 0 && <p className="muted">No rule is silenced now.</p>}
      {silences.data && silences.data.length > 0 && (
        <table data-testid="active-silences">
          <caption>Notifications that wait until the silence ends</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Instance</th>
              <th scope="col">Until</th>
              <th scope="col">Reason</th>
              {canEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {silences.data.map((s) => (
              <tr key={s.id}>
                <td>{s.rule.name}</td>
                <td>{s.instance ? s.instance.name : "every instance"}</td>
                <td>{formatDateTime(s.expiresAt)}</td>
                <td>
                  {s.reason}
                  <div className="muted">by {s.createdByEmail ?? "—"}</div>
                </td>
                {canEdit && (
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      disabled={cancel.isPending}
                      onClick={() => cancel.mutate({ silenceId: s.id })}
                    >
                      End now
                    </button>
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

function RuleForm({ rule, onDone }: { rule: Rule; onDone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [values, setValues] = useState(() => alertRuleValuesDraft(rule));
  const [severity, setSeverity] = useState<AlertSeverityName>(rule.severity);
  const [runbook, setRunbook] = useState(rule.runbook);
  const update = useMutation(
    trpc.alerts.updateRule.mutationOptions({
      onSuccess: async () => {
        await qc.invalidateQueries({ queryKey: trpc.alerts.rules.pathKey() });
        onDone();
      },
    }),
  );
  const errors = splitFieldErrors(update.error, ALERT_RULE_VALUE_FIELDS, "patch");
  return (
    <form
      aria-label={`Edit ${rule.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({
          ruleId: rule.id,
          patch: {
            threshold: draftNumber(values.threshold),
            resolveThreshold: draftNumber(values.resolveThreshold),
            forSeconds: draftNumber(values.forSeconds),
            severity,
            enabled: values.enabled,
            runbook,
          },
        });
      }}
      style={{ display: "flex", flexDirection: "column", gap: "0.75rem" }}
    >
      <strong>
        {rule.name} ({metricLabel(rule.metric)}, fires {rule.comparison === "gt" ? "above" : "below"} the
        threshold)
      </strong>
      <div className="toolbar">
        <AlertRuleValueFields value={values} onChange={setValues} errors={errors.fields} />
        <label className="field">
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value as AlertSeverityName)}>
            {ALERT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="field">
        Runbook
        <textarea rows={8} value={runbook} onChange={(e) => setRunbook(e.target.value)} />
      </label>
      {errors.other && <QueryError error={{ message: errors.other, data: update.error?.data }} />}
      <div className="toolbar">
        <button type="submit" disabled={update.isPending}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
