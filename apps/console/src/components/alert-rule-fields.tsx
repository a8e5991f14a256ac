"use client";

import { METRICS, isMetricName } from "@cp/core";
import { Field } from "./field-errors";

/** A metric as people read it ("Database CPU"); an unknown one by its name. */
export const metricLabel = (m: string) => (isMetricName(m) ? METRICS[m].label : m);

/** The fields of a rule that a fleet edit and an instance's override both set, as the API names them. */
export const ALERT_RULE_VALUE_FIELDS = ["threshold", "resolveThreshold", "forSeconds", "enabled"] as const;
export type AlertRuleValueField = (typeof ALERT_RULE_VALUE_FIELDS)[number];

/** The form's copy of those values: numbers as typed, so an empty box stays empty while it is edited. */
export interface AlertRuleValuesDraft {
  threshold: string;
  resolveThreshold: string;
  forSeconds: string;
  enabled: boolean;
}

export function alertRuleValuesDraft(v: {
  threshold: number;
  resolveThreshold: number;
  forSeconds: number;
  enabled: boolean;
}): AlertRuleValuesDraft {
  return {
    threshold: String(v.threshold),
    resolveThreshold: String(v.resolveThreshold),
    forSeconds: String(v.forSeconds),
    enabled: v.enabled,
  };
}

/** A typed number; NaN for an empty box (Number("") would be 0), so the server names the field. */
export const draftNumber = (s: string) => (s.trim() === "" ? Number.NaN : Number(s));

/**
 * Threshold, resolve threshold, for-duration and enabled, each with the server's error for it beneath. The caller
 * lays them out (a row in the fleet table, a column in a dialog) and submits them.
 */
export function AlertRuleValueFields(props: {
  value: AlertRuleValuesDraft;
  onChange: (v: AlertRuleValuesDraft) => void;
  errors: Partial<Record<AlertRuleValueField, string>>;
}) {
  const { value, onChange, errors } = props;
  const set = (patch: Partial<AlertRuleValuesDraft>) => onChange({ ...value, ...patch });
  return (
    <>
      <Field label="Threshold" error={errors.threshold}>
        {(c) => (
          <input
            {...c}
            type="number"
            step="any"
            required
            value={value.threshold}
            onChange={(e) => set({ threshold: e.target.value })}
          />
        )}
      </Field>
      <Field label="Resolve threshold" error={errors.resolveThreshold}>
        {(c) => (
          <input
            {...c}
            type="number"
            step="any"
            required
            value={value.resolveThreshold}
            onChange={(e) => set({ resolveThreshold: e.target.value })}
          />
        )}
      </Field>
      <Field label="For (seconds)" error={errors.forSeconds}>
        {(c) => (
          <input
            {...c}
            type="number"
            min={0}
            step={1}
            required
            value={value.forSeconds}
            onChange={(e) => set({ forSeconds: e.target.value })}
          />
        )}
      </Field>
      <label className="choice">
        <input type="checkbox" checked={value.enabled} onChange={(e) => set({ enabled: e.target.checked })} />{" "}
        Enabled
      </label>
      {errors.enabled && (
        <span role="alert" className="error" style={{ fontSize: "0.85rem" }}>
          Enabled: {errors.enabled}
        </span>
      )}
    </>
  );
}
