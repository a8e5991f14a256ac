"use client";

import {
  CLOUD_LABELS,
  CLOUDS,
  INSTANCE_STATUS_LABELS,
  INSTANCE_STATUSES,
  type Cloud,
  type InstanceStatus,
} from "@cp/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { InstanceStatusBadges } from "~/components/instance-status";
import { KeysetPager, useKeysetPages } from "~/components/keyset-pager";
import { QueryError } from "~/components/query-error";
import { SelectFilter } from "~/components/select-filter";
import { useTRPC } from "~/trpc/react";

export function FleetView() {
  const trpc = useTRPC();
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<InstanceStatus | "">("");
  const [cloud, setCloud] = useState<Cloud | "">("");
  const [orgId, setOrgId] = useState("");
  const orgs = useQuery(trpc.orgs.list.queryOptions({}));
  const pages = useKeysetPages();
  const input = {
    limit: 25,
    cursor: pages.cursor,
    ...(search ? { q: search } : {}),
    ...(status ? { status } : {}),
    ...(cloud ? { cloud } : {}),
    ...(orgId ? { orgId } : {}),
  };
  const fleet = useQuery({ ...trpc.fleet.list.queryOptions(input), placeholderData: keepPreviousData });
  const support = useQuery(trpc.releases.fleetSummary.queryOptions());
  const pastEndOfSupport = support.data?.pastEndOfSupport;
  const reset = pages.reset;

  return (
    <>
      <h1>Fleet</h1>
      {pastEndOfSupport !== undefined && (
        <p data-testid="fleet-past-end-of-support" className={pastEndOfSupport > 0 ? "error" : "muted"}>
          {pastEndOfSupport} instance{pastEndOfSupport === 1 ? "" : "s"} past end of support ·{" "}
          <Link href="/staff/releases">Releases</Link>
        </p>
      )}
      <form
        className="toolbar"
        role="search"
        aria-label="Search the fleet"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(q.trim());
          reset();
        }}
      >
        <label className="field">
          Search
          <input
            type="search"
            placeholder="instance, org, region"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </label>
        <SelectFilter
          label="Status"
          anyLabel="Any (except deleted)"
          value={status}
          options={INSTANCE_STATUSES.map((st) => ({ value: st, label: INSTANCE_STATUS_LABELS[st] }))}
          onChange={(v) => {
            setStatus(v);
            reset();
          }}
        />
        <SelectFilter
          label="Cloud"
          value={cloud}
          options={CLOUDS.map((c) => ({ value: c, label: CLOUD_LABELS[c] }))}
          onChange={(v) => {
            setCloud(v);
            reset();
          }}
        />
        <SelectFilter
          label="Organization"
          value={orgId}
          options={(orgs.data ?? []).map((o) => ({ value: o.id, label: o.name }))}
          onChange={(v) => {
            setOrgId(v);
            reset();
          }}
        />
        <button type="submit">Search</button>
      </form>
      {fleet.error && <QueryError error={fleet.error} />}
      {fleet.data && (
        <>
          <p className="muted" role="status">
            {fleet.data.total} instance{fleet.data.total === 1 ? "" : "s"} match
          </p>
          <table>
            <caption>Dedicated instances across all organizations</caption>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Organization</th>
                <th scope="col">Status and health</th>
                <th scope="col">Cloud / region</th>
                <th scope="col">Size</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {fleet.data.items.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    No instances match these filters.
                  </td>
                </tr>
              )}
              {fleet.data.items.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link href={`/orgs/${i.orgId}/instances/${i.id}`}>
                      <strong>{i.name}</strong>
                    </Link>
                    <div className="muted">{i.slug}</div>
                  </td>
                  <td>
                    <Link href={`/orgs/${i.orgId}`}>{i.orgName}</Link>
                  </td>
                  <td>
                    <InstanceStatusBadges
                      status={i.status}
                      healthStatus={i.healthStatus}
                      healthCheckedAt={i.healthCheckedAt}
                    />
                  </td>
                  <td>
                    {CLOUD_LABELS[i.cloud]} · <code>{i.region}</code>
                  </td>
                  <td>{i.size}</td>
                  <td>{i.version ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <KeysetPager
            pages={pages}
            nextCursor={fleet.data.nextCursor}
            backLabel="Previous page"
            forwardLabel="Next page"
          />
        </>
      )}
    </>
  );
}
