"use client";

import {
  DEPLOYMENT_PLATFORM_LABELS,
  DEPLOYMENT_PLATFORMS,
  PLAN_LABELS,
  type DeploymentPlatform,
} from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { formatAge } from "~/components/format";
import { LicensePublicKeyPanel, LicensesPanel, LicenseStatusBadge } from "~/components/licenses";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

/**
 * Every org's customer-managed deployments. SREs and staff admins register deployments and issue, renew and revoke
 * their licenses; support staff read.
 */
export function StaffDeploymentsView({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const deployments = useQuery(trpc.deployments.list.queryOptions({ orgId: null }));
  const [selected, setSelected] = useState<{ orgId: string; deploymentId: string } | null>(null);
  return (
    <>
      <h1>Customer-managed deployments</h1>
      {canManage && (
        <RegisterForm onRegistered={(d) => setSelected({ orgId: d.orgId, deploymentId: d.id })} />
      )}
      {deployments.error && <QueryError error={deployments.error} />}
      {deployments.data &&
        (deployments.data.length === 0 ? (
          <p className="muted" role="status">
            No deployments are registered yet.
          </p>
        ) : (
          <table data-testid="staff-deployments-table">
            <caption>All customer-managed deployments, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Organization</th>
                <th scope="col">Name</th>
                <th scope="col">Platform</th>
                <th scope="col">Version</th>
                <th scope="col">Last report</th>
                <th scope="col">License</th>
                <th scope="col">Licenses</th>
              </tr>
            </thead>
            <tbody>
              {deployments.data.map((d) => (
                <tr key={d.id} data-testid="deployment-row" data-deployment-id={d.id}>
                  <td>
                    <Link href={`/orgs/${d.orgId}/deployments`}>{d.orgName}</Link>
                  </td>
                  <td>
                    <Link href={`/orgs/${d.orgId}/deployments/${d.id}`}>
                      <strong>{d.name}</strong>
                    </Link>
                  </td>
                  <td>{DEPLOYMENT_PLATFORM_LABELS[d.platform]}</td>
                  <td>
                    <code>{d.version}</code>
                  </td>
                  <td>{d.lastReportAt ? formatAge(d.lastReportAt) : "Never"}</td>
                  <td>
                    <LicenseStatusBadge status={d.licenseStatus} />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Licenses of ${d.name}`}
                      aria-pressed={selected?.deploymentId === d.id}
                      onClick={() =>
                        setSelected(
                          selected?.deploymentId === d.id ? null : { orgId: d.orgId, deploymentId: d.id },
                        )
                      }
                    >
                      {canManage ? "Manage licenses" : "Licenses"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {selected && (
        <LicensesPanel
          key={selected.deploymentId}
          orgId={selected.orgId}
          deploymentId={selected.deploymentId}
          canReveal={canManage}
          canManage={canManage}
        />
      )}
      <LicensePublicKeyPanel />
    </>
  );
}

const FIELDS = ["orgId", "name", "platform", "contactName", "contactEmail", "version"] as const;

function RegisterForm({ onRegistered }: { onRegistered: (d: { id: string; orgId: string }) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // Any org the staff member can see; SaaS orgs are listed but refused with a reason (they run on the shared platform).
  const orgs = useQuery(trpc.orgs.list.queryOptions({}));
  const empty = {
    orgId: "",
    name: "",
    platform: "aws" as DeploymentPlatform,
    contactName: "",
    contactEmail: "",
    version: "",
  };
  const [form, setForm] = useState(empty);
  const [done, setDone] = useState<string | null>(null);
  const register = useMutation(
    trpc.deployments.register.mutationOptions({
      onSuccess: (d) => {
        setDone(`${d.name} registered for ${d.orgName}. Issue its license below.`);
        setForm(empty);
        void qc.invalidateQueries({ queryKey: trpc.deployments.list.queryKey() });
        onRegistered(d);
      },
    }),
  );
  const errors = splitFieldErrors(register.error, FIELDS);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <section className="panel" aria-labelledby="register-deployment-title">
      <h2 id="register-deployment-title">Register a deployment</h2>
      {orgs.error && <QueryError error={orgs.error} />}
      <form
        aria-label="Register a deployment"
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          register.mutate(form);
        }}
      >
        <div className="grid">
          <Field label="Organization" error={errors.fields.orgId}>
            {(p) => (
              <select {...p} required value={form.orgId} onChange={set("orgId")}>
                <option value="">Choose…</option>
                {orgs.data?.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name} ({PLAN_LABELS[o.plan]})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Deployment name" error={errors.fields.name}>
            {(p) => <input {...p} required value={form.name} onChange={set("name")} />}
          </Field>
          <Field label="Platform" error={errors.fields.platform}>
            {(p) => (
              <select {...p} value={form.platform} onChange={set("platform")}>
                {DEPLOYMENT_PLATFORMS.map((pl) => (
                  <option key={pl} value={pl}>
                    {DEPLOYMENT_PLATFORM_LABELS[pl]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Version" error={errors.fields.version} hint="MAJOR.MINOR.PATCH, e.g. 0.66.0">
            {(p) => <input {...p} required value={form.version} onChange={set("version")} />}
          </Field>
          <Field label="Contact name" error={errors.fields.contactName}>
            {(p) => <input {...p} required value={form.contactName} onChange={set("contactName")} />}
          </Field>
          <Field label="Contact e-mail" error={errors.fields.contactEmail}>
            {(p) => (
              <input {...p} type="email" required value={form.contactEmail} onChange={set("contactEmail")} />
            )}
          </Field>
        </div>
        <p>
          <button type="submit" disabled={register.isPending}>
            Register deployment
          </button>
        </p>
        {errors.other && (
          <p role="alert" className="error">
            {errors.other}
          </p>
        )}
        {done && (
          <p role="status" className="notice">
            {done}
          </p>
        )}
      </form>
    </section>
  );
}
