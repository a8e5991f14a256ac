"use client";

import { DEPLOYMENT_PLATFORM_LABELS, PLAN_LABELS } from "@cp/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatAge, formatDateTime } from "~/components/format";
import { LicenseStatusBadge } from "~/components/licenses";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

/** The org's customer-managed deployments: where they run, their version, last report and license standing. */
export function DeploymentsView({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }));
  const deployments = useQuery(trpc.deployments.list.queryOptions({ orgId }));
  if (org.error) return <QueryError error={org.error} />;
  if (deployments.error) return <QueryError error={deployments.error} />;
  if (!org.data || !deployments.data) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <h1>{org.data.name}: customer-managed deployments</h1>
      <p className="muted">Plan: {PLAN_LABELS[org.data.plan]}</p>
      {deployments.data.length === 0 ? (
        <div className="panel empty" role="status">
          <h2>No customer-managed deployments</h2>
          <p>
            A customer-managed deployment runs the platform in your own cloud account or data center. Your
            provider contact registers it and issues its license; the install templates and usage reports then
            appear here.
          </p>
        </div>
      ) : (
        <table data-testid="deployments-table">
          <caption>Customer-managed deployments of {org.data.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Platform</th>
              <th scope="col">Version</th>
              <th scope="col">Last report</th>
              <th scope="col">License</th>
            </tr>
          </thead>
          <tbody>
            {deployments.data.map((d) => (
              <tr key={d.id} data-testid="deployment-row" data-deployment-id={d.id}>
                <td>
                  <Link href={`/orgs/${orgId}/deployments/${d.id}`}>
                    <strong>{d.name}</strong>
                  </Link>
                  {d.migratedFromInstanceId && <div className="muted">Migrated from Dedicated</div>}
                </td>
                <td>{DEPLOYMENT_PLATFORM_LABELS[d.platform]}</td>
                <td>
                  <code>{d.version}</code>
                </td>
                <td title={d.lastReportAt ? formatDateTime(d.lastReportAt) : undefined}>
                  {d.lastReportAt ? `${d.lastReportDay ?? ""} (${formatAge(d.lastReportAt)})` : "Never"}
                </td>
                <td>
                  <LicenseStatusBadge status={d.licenseStatus} />
                  {d.licenseExpiresAt && (
                    <div className="muted">until {formatDateTime(d.licenseExpiresAt)}</div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
