"use client";

import { SUPPORT_ASSIGNMENT_ROLES, type SupportAssignmentRole } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

const ROLE_LABELS: Record<SupportAssignmentRole, string> = {
  primary: "Primary support",
  secondary: "Secondary support",
};

/** An org's support plan and primary/secondary support, opened on demand for editing (SREs and staff admins). */
export function SupportCell({ orgId, name }: { orgId: string; name: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Support plan and staff</summary>
      {open && <SupportForm orgId={orgId} name={name} />}
    </details>
  );
}

function SupportForm({ orgId, name }: { orgId: string; name: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.support.assignments.queryOptions({ orgId }));
  const plans = useQuery(trpc.support.plans.queryOptions());
  const staff = useQuery(trpc.support.staffMembers.queryOptions());
  const [draft, setDraft] = useState<{ plan?: string; primary?: string; secondary?: string }>({});
  const [saved, setSaved] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.support.assignments.queryKey({ orgId }) });
  const setPlan = useMutation(trpc.support.setPlan.mutationOptions());
  const setAssignment = useMutation(trpc.support.setAssignment.mutationOptions());
  const error = setPlan.error ?? setAssignment.error;
  const errors = splitFieldErrors(error, ["plan", "userId"]);

  if (current.error) return <QueryError error={current.error} />;
  if (!current.data || !plans.data || !staff.data) return <p aria-busy="true">Loading…</p>;
  const a = current.data;
  const plan = draft.plan ?? a.plan.key;
  const holder = (role: SupportAssignmentRole) => draft[role] ?? a[role]?.userId ?? "";
  const changed =
    plan !== a.plan.key || SUPPORT_ASSIGNMENT_ROLES.some((role) => holder(role) !== (a[role]?.userId ?? ""));

  const save = async () => {
    setSaved(false);
    setPlan.reset();
    setAssignment.reset();
    try {
      if (plan !== a.plan.key) await setPlan.mutateAsync({ orgId, plan });
      for (const role of SUPPORT_ASSIGNMENT_ROLES) {
        const userId = holder(role);
        if (userId !== (a[role]?.userId ?? ""))
          await setAssignment.mutateAsync({ orgId, role, userId: userId || null });
      }
      setDraft({});
      setSaved(true);
    } catch {
      // The mutation's error is shown below.
    } finally {
      await refresh();
    }
  };

  return (
    <form
      aria-label={`Support of ${name}`}
      style={{ marginTop: "0.5rem" }}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Field label="Support plan" error={errors.fields.plan}>
        {(c) => (
          <select {...c} value={plan} onChange={(e) => setDraft({ ...draft, plan: e.target.value })}>
            {plans.data.map((p) => (
              <option key={p.key} value={p.key}>
                {p.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {SUPPORT_ASSIGNMENT_ROLES.map((role) => (
        <Field key={role} label={ROLE_LABELS[role]} error={errors.fields.userId}>
          {(c) => (
            <select
              {...c}
              value={holder(role)}
              onChange={(e) => setDraft({ ...draft, [role]: e.target.value })}
            >
              <option value="">Nobody</option>
              {staff.data.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name ? `${u.name} (${u.email})` : u.email}
                </option>
              ))}
            </select>
          )}
        </Field>
      ))}
      {errors.other && <QueryError error={{ message: errors.other, data: error?.data }} />}
      <button
        type="submit"
        className="secondary"
        disabled={!changed || setPlan.isPending || setAssignment.isPending}
      >
        Save support
      </button>
      {saved && (
        <p role="status" className="notice">
          Saved.
        </p>
      )}
    </form>
  );
}
