"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { ALERT_REASON_MAX } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  ALERT_RULE_VALUE_FIELDS,
  AlertRuleValueFields,
  alertRuleValuesDraft,
  draftNumber,
  metricLabel,
  type AlertRuleValuesDraft,
} from "~/components/alert-rule-fields";
import { SeverityBadge } from "~/components/alert-severity";
import { Dialog } from "~/components/dialog";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

type Rule = inferRouterOutputs<AppRouter>["alerts"]["rules"][number];

const DIALOG_FIELDS = [...ALERT_RULE_VALUE_FIELDS, "reason"] as const;

/**
 * The alert rules as they apply to one instance, for SREs and staff admins (render it only for them; the server
 * checks again): the values in force, which of them this instance overrides and why, and Override / Clear override.
 */
export function RuleOverridesPanel({ instanceId }: { instanceId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const rules = useQuery(trpc.alerts.rules.queryOptions({ instanceId }));
  const [editing, setEditing] = useState<Rule | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The health charts draw the thresholds in force, so they follow an override too.
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.alerts.rules.pathKey() }),
      qc.invalidateQueries({ queryKey: trpc.health.instance.pathKey() }),
    ]);
  const clear = useMutation(
    trpc.alerts.clearOverride.mutationOptions({
      onSuccess: (r, input) => {
        const name = rules.data?.find((x) => x.id === input.ruleId)?.name ?? "The rule";
        setNotice(
          r.cleared ? `${name} follows the fleet default again.` : `${name} had no override to clear.`,
        );
      },
      onSettled: refresh,
    }),
  );

  return (
    <section
      className="panel"
      aria-labelledby={`rule-overrides-title-${instanceId}`}
      data-testid="rule-overrides-panel"
    >
      <h2 id={`rule-overrides-title-${instanceId}`} style={{ marginTop: 0 }}>
        Alert rules on this instance
      </h2>
      <p className="muted">
        The fleet defaults, except where this instance overrides them. An override keeps only the values that
        differ from the fleet default; the rest follow later changes to the fleet rule.
      </p>
      {rules.error && <QueryError error={rules.error} />}
      {clear.error && <QueryError error={clear.error} />}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {rules.data && rules.data.length === 0 && <p className="muted">No alert rules are defined.</p>}
      {rules.data && rules.data.length > 0 && (
        <table>
          <caption>Values in force on this instance</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Threshold</th>
              <th scope="col">Resolves at</th>
              <th scope="col">For</th>
              <th scope="col">State</th>
              <th scope="col">Override</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rules.data.map((r) => {
              const o = r.override;
              const e = r.effective;
              return (
                <tr
                  key={r.id}
                  data-testid="rule-override-row"
                  data-rule-key={r.key}
                  data-overridden={o ? "true" : "false"}
                >
                  <td>
                    <SeverityBadge severity={r.severity} /> <strong>{r.name}</strong>
                    <div className="muted">{metricLabel(r.metric)}</div>
                  </td>
                  <td>
                    {r.comparison === "gt" ? "above" : "below"} {e.threshold}
                    <FleetDefault shown={o?.threshold != null} value={r.threshold} />
                  </td>
                  <td>
                    {e.resolveThreshold}
                    <FleetDefault shown={o?.resolveThreshold != null} value={r.resolveThreshold} />
                  </td>
                  <td>
                    {e.forSeconds} s
                    <FleetDefault shown={o?.forSeconds != null} value={`${r.forSeconds} s`} />
                  </td>
                  <td>
                    <span className={`badge ${e.enabled ? "ok" : ""}`}>
                      {e.enabled ? "enabled" : "disabled"}
                    </span>
                    <FleetDefault shown={o?.enabled != null} value={r.enabled ? "enabled" : "disabled"} />
                  </td>
                  <td>
                    {o ? (
                      <>
                        <span className="badge warn">overridden</span>
                        <div>{o.reason}</div>
                        <div className="muted">changed {formatDateTime(o.updatedAt)}</div>
                      </>
                    ) : (
                      <span className="muted">fleet default</span>
                    )}
                  </td>
                  <td>
                    <div className="toolbar" style={{ marginBottom: 0 }}>
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => {
                          setNotice(null);
                          setEditing(r);
                        }}
                      >
                        Override
                      </button>
                      {o && (
                        <button
                          type="button"
                          className="secondary"
                          disabled={clear.isPending}
                          onClick={() => {
                            setNotice(null);
                            clear.mutate({ ruleId: r.id, instanceId });
                          }}
                        >
                          Clear override
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editing && (
        <OverrideDialog
          instanceId={instanceId}
          rule={editing}
          onClose={() => setEditing(null)}
          onDone={async () => {
            setNotice(`${editing.name}: the override is saved for this instance.`);
            setEditing(null);
            await refresh();
          }}
        />
      )}
    </section>
  );
}

function FleetDefault({ shown, value }: { shown: boolean; value: string | number }) {
  return shown ? <div className="muted">fleet: {value}</div> : null;
}

/** A value for the override: what differs from the fleet default, null (follow the fleet) for the rest. */
function differs<T>(value: T, fleet: T): T | null {
  return value === fleet ? null : value;
}

function OverrideDialog(props: {
  instanceId: string;
  rule: Rule;
  onClose: () => void;
  onDone: () => Promise<void>;
}) {
  const { rule } = props;
  const trpc = useTRPC();
  const [values, setValues] = useState<AlertRuleValuesDraft>(() => alertRuleValuesDraft(rule.effective));
  const [reason, setReason] = useState("");
  const save = useMutation(trpc.alerts.setOverride.mutationOptions({ onSuccess: props.onDone }));
  const errors = splitFieldErrors(save.error, DIALOG_FIELDS);
  const override = {
    threshold: differs(draftNumber(values.threshold), rule.threshold),
    resolveThreshold: differs(draftNumber(values.resolveThreshold), rule.resolveThreshold),
    forSeconds: differs(draftNumber(values.forSeconds), rule.forSeconds),
    enabled: differs(values.enabled, rule.enabled),
  };
  const sameAsFleet = Object.values(override).every((v) => v === null);
  const edit = (fn: () => void) => {
    save.reset();
    fn();
  };
  return (
    <Dialog title={`Override ${rule.name} on this instance`} onClose={props.onClose}>
      <p className="muted">
        {metricLabel(rule.metric)}, fires {rule.comparison === "gt" ? "above" : "below"} the threshold. Fleet
        default: threshold {rule.threshold}, resolves at {rule.resolveThreshold}, for {rule.forSeconds} s,{" "}
        {rule.enabled ? "enabled" : "disabled"}.
      </p>
      <form
        aria-label="Override the rule"
        style={{ display: "flex", flexDirection: "column", gap: "0.75rem" }}
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({
            ruleId: rule.id,
            instanceId: props.instanceId,
            ...override,
            reason: reason.trim(),
          });
        }}
      >
        <AlertRuleValueFields
          value={values}
          onChange={(v) => edit(() => setValues(v))}
          errors={errors.fields}
        />
        <Field
          label="Reason (required)"
          error={errors.fields.reason}
          hint="Kept with the override and in the audit log."
        >
          {(c) => (
            <textarea
              {...c}
              required
              minLength={3}
              maxLength={ALERT_REASON_MAX}
              rows={3}
              value={reason}
              onChange={(e) => edit(() => setReason(e.target.value))}
              placeholder="e.g. batch jobs every night; agreed with the customer"
            />
          )}
        </Field>
        {sameAsFleet && (
          <p className="muted" style={{ margin: 0 }}>
            Every value equals the fleet default: change one
            {rule.override ? ", or clear the override instead" : ""}.
          </p>
        )}
        {errors.other && <QueryError error={{ message: errors.other, data: save.error?.data }} />}
        <div className="toolbar">
          <button type="submit" disabled={save.isPending || sameAsFleet || reason.trim().length < 3}>
            Save override
          </button>
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
