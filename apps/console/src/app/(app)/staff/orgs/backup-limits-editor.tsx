"use client";

import { BACKUP_INTERVALS, ZBackupLimits, type BackupLimits } from "@cp/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

const FIELDS = ["retentionMinDays", "retentionMaxDays", "minIntervalHours"] as const;
type LimitField = (typeof FIELDS)[number];

/** The backup limits of one org (from the org list), opened on demand for editing. */
export function BackupLimitsCell({
  orgId,
  name,
  limits,
}: {
  orgId: string;
  name: string;
  limits: { retentionMinDays: number; retentionMaxDays: number; minIntervalHours: number };
}) {
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<BackupLimits | null>(null);
  const current: BackupLimits = saved ?? {
    ...limits,
    minIntervalHours: limits.minIntervalHours as BackupLimits["minIntervalHours"],
  };
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Backup limits: {describe(current)}</summary>
      {open && <LimitsForm orgId={orgId} name={name} current={current} onSaved={setSaved} />}
    </details>
  );
}

const describe = (l: BackupLimits) =>
  `${l.retentionMinDays}–${l.retentionMaxDays} days, every ≥ ${l.minIntervalHours} h`;

function LimitsForm(props: {
  orgId: string;
  name: string;
  current: BackupLimits;
  onSaved: (l: BackupLimits) => void;
}) {
  const trpc = useTRPC();
  const [min, setMin] = useState(String(props.current.retentionMinDays));
  const [max, setMax] = useState(String(props.current.retentionMaxDays));
  const [interval, setMinInterval] = useState<number>(props.current.minIntervalHours);
  const save = useMutation(
    trpc.backups.setLimits.mutationOptions({ onSuccess: (l) => props.onSaved(l as BackupLimits) }),
  );
  const num = (s: string) => (s.trim() === "" ? Number.NaN : Number(s));
  const draft = { retentionMinDays: num(min), retentionMaxDays: num(max), minIntervalHours: interval };
  const parsed = ZBackupLimits.safeParse(draft);
  const local: Partial<Record<LimitField, string>> = {};
  if (!parsed.success)
    for (const i of parsed.error.issues) local[String(i.path[0]) as LimitField] ??= i.message;
  const server = splitFieldErrors(save.error, FIELDS, "limits");
  const errorOf = (f: LimitField) => server.fields[f] ?? local[f];
  const changed =
    draft.retentionMinDays !== props.current.retentionMinDays ||
    draft.retentionMaxDays !== props.current.retentionMaxDays ||
    draft.minIntervalHours !== props.current.minIntervalHours;
  const edit = (fn: () => void) => {
    save.reset();
    fn();
  };
  return (
    <form
      className="inline"
      aria-label={`Backup limits of ${props.name}`}
      style={{ marginTop: "0.5rem" }}
      onSubmit={(e) => {
        e.preventDefault();
        if (parsed.success) save.mutate({ orgId: props.orgId, limits: parsed.data });
      }}
    >
      <Field label="Minimum retention (days)" error={errorOf("retentionMinDays")}>
        {(c) => (
          <input
            {...c}
            type="number"
            value={min}
            style={{ width: "6rem" }}
            onChange={(e) => edit(() => setMin(e.target.value))}
          />
        )}
      </Field>
      <Field label="Maximum retention (days)" error={errorOf("retentionMaxDays")}>
        {(c) => (
          <input
            {...c}
            type="number"
            value={max}
            style={{ width: "6rem" }}
            onChange={(e) => edit(() => setMax(e.target.value))}
          />
        )}
      </Field>
      <Field label="Most often" error={errorOf("minIntervalHours")}>
        {(c) => (
          <select
            {...c}
            value={interval}
            onChange={(e) => edit(() => setMinInterval(Number(e.target.value)))}
          >
            {BACKUP_INTERVALS.map((h) => (
              <option key={h} value={h}>
                every {h} hours
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" className="secondary" disabled={save.isPending || !parsed.success || !changed}>
        Save limits
      </button>
      {server.other && <QueryError error={{ message: server.other, data: save.error?.data }} />}
      {save.isSuccess && (
        <p role="status" className="notice" style={{ width: "100%", margin: 0 }}>
          Saved. Existing policies outside the new limits stay until their admins change them.
        </p>
      )}
    </form>
  );
}
