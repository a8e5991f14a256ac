"use client";

import { CLOUD_LABELS, PLAN_LABELS } from "@cp/core";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { InstanceStatusBadges } from "~/components/instance-status";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

export function InstancesView({ orgId, canOrder }: { orgId: string; canOrder: boolean }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }));
  const instances = useQuery(trpc.instances.list.queryOptions({ orgId }));
  if (org.error) return <QueryError error={org.error} />;
  if (instances.error) return <QueryError error={instances.error} />;
  if (!org.data || !instances.data) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <h1>{org.data.name}: instances</h1>
      <p className="muted">
        Plan: {PLAN_LABELS[org.data.plan]} · {org.data.instanceCount} of {org.data.instanceQuota} dedicated
        instances used
      </p>
      {canOrder && org.data.plan === "dedicated" && (
        <p>
          {org.data.instanceCount >= org.data.instanceQuota ? (
            <span className="muted">
              Quota reached: deprovision an instance or ask provider staff to raise the quota.
            </span>
          ) : (
            <Link className="button" href={`/orgs/${orgId}/instances/new`}>
              Order a dedicated instance
            </Link>
          )}
        </p>
      )}
      {instances.data.length === 0 ? (
        <div className="panel empty" role="status">
          <h2>No dedicated instances yet</h2>
          <p>
            A dedicated instance is your own isolated deployment of the platform on AWS or Google Cloud, in
            the region you choose, with its own MySQL database and bucket.
          </p>
          <p>
            {canOrder && org.data.plan === "dedicated"
              ? "Order one with the button above: a few choices, then you watch it come up."
              : "An admin of your organization can order one."}{" "}
            See <a href="/responsibility">who runs what</a> for each deployment type.
          </p>
        </div>
      ) : (
        <table>
          <caption>Dedicated instances of {org.data.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status and health</th>
              <th scope="col">Cloud / region</th>
              <th scope="col">Size</th>
              <th scope="col">MySQL</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {instances.data.map((i) => (
              <tr key={i.id}>
                <td>
                  <Link href={`/orgs/${orgId}/instances/${i.id}`}>
                    <strong>{i.name}</strong>
                  </Link>
                  <div className="muted">{i.url ?? i.slug}</div>
                </td>
                <td>
                  <InstanceStatusBadges
                    status={i.status}
                    healthStatus={i.healthStatus}
                    healthCheckedAt={i.healthCheckedAt}
                  />
                  {i.statusReason && <div className="muted">{i.statusReason}</div>}
                </td>
                <td>
                  {CLOUD_LABELS[i.cloud]} · <code>{i.region}</code>
                </td>
                <td>{i.size}</td>
                <td>{i.mysqlVersion}</td>
                <td>{i.version ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
