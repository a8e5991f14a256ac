"use client";

import { PLAN_LABELS, PLANS, type Plan } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";
import { BackupLimitsCell } from "./backup-limits-editor";
import { SupportCell } from "./support-editor";

export function StaffOrgsView({
  canCreate,
  canSetQuota,
  canSetBackupLimits,
}: {
  canCreate: boolean;
  canSetQuota: boolean;
  /** SREs and staff admins. */
  canSetBackupLimits: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const orgs = useQuery(trpc.orgs.list.queryOptions({}));
  const [form, setForm] = useState({ name: "", slug: "", plan: "dedicated" as Plan, firstAdminEmail: "" });
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.orgs.create.mutationOptions({
      onSuccess: (org) => {
        setCreated(`${org.name} created; an invitation was sent to ${form.firstAdminEmail}.`);
        setForm({ name: "", slug: "", plan: "dedicated", firstAdminEmail: "" });
        void qc.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() });
      },
    }),
  );
  return (
    <>
      <h1>Organizations</h1>
      {canCreate && (
        <section className="panel" aria-labelledby="create-org-title">
          <h2 id="create-org-title">Create a customer organization</h2>
          <form
            className="inline"
            aria-label="Create organization"
            onSubmit={(e) => {
              e.preventDefault();
              setCreated(null);
              create.mutate(form);
            }}
          >
            <label className="field">
              Name
              <input
                required
                value={form.name}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            </label>
            <label className="field">
              Slug
              <input
                required
                value={form.slug}
                onChange={(e) => setForm({ ...form, slug: e.target.value })}
              />
            </label>
            <label className="field">
              Plan
              <select value={form.plan} onChange={(e) => setForm({ ...form, plan: e.target.value as Plan })}>
                {PLANS.map((p) => (
                  <option key={p} value={p}>
                    {PLAN_LABELS[p]}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              First admin e-mail
              <input
                type="email"
                required
                value={form.firstAdminEmail}
                onChange={(e) => setForm({ ...form, firstAdminEmail: e.target.value })}
              />
            </label>
            <button type="submit" disabled={create.isPending}>
              Create
            </button>
          </form>
          {create.error && <QueryError error={create.error} />}
          {created && (
            <p role="status" className="notice">
              {created}
            </p>
          )}
        </section>
      )}
      {orgs.error && <QueryError error={orgs.error} />}
      {orgs.data && (
        <table>
          <caption>All customer organizations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Slug</th>
              <th scope="col">Plan</th>
              <th scope="col">Instance quota</th>
              {canSetBackupLimits && <th scope="col">Backup limits</th>}
              {canSetBackupLimits && <th scope="col">Support</th>}
            </tr>
          </thead>
          <tbody>
            {orgs.data.map((o) => (
              <tr key={o.id}>
                <td>
                  <Link href={`/orgs/${o.id}`}>{o.name}</Link>
                </td>
                <td>
                  <code>{o.slug}</code>
                </td>
                <td>{PLAN_LABELS[o.plan]}</td>
                <td>
                  {canSetQuota ? (
                    <QuotaEditor orgId={o.id} name={o.name} quota={o.instanceQuota} />
                  ) : (
                    o.instanceQuota
                  )}
                </td>
                {canSetBackupLimits && (
                  <td>
                    <BackupLimitsCell orgId={o.id} name={o.name} limits={o.backupLimits} />
                  </td>
                )}
                {canSetBackupLimits && (
                  <td>
                    <SupportCell orgId={o.id} name={o.name} />
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

function QuotaEditor({ orgId, name, quota }: { orgId: string; name: string; quota: number }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [value, setValue] = useState(quota);
  const save = useMutation(
    trpc.orgs.setQuota.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
    }),
  );
  return (
    <form
      className="inline"
      aria-label={`Instance quota of ${name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ orgId, instanceQuota: value });
      }}
    >
      <input
        type="number"
        min={0}
        max={1000}
        aria-label="Quota"
        value={value}
        onChange={(e) => setValue(Number(e.target.value))}
        style={{ width: "6rem" }}
      />
      <button type="submit" className="secondary" disabled={save.isPending || value === quota}>
        Save
      </button>
      {save.error && <QueryError error={save.error} />}
    </form>
  );
}
