"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { CampaignStatusBadge } from "~/components/releases";
import { useTRPC } from "~/trpc/react";

/** While a campaign runs the list follows its progress; otherwise now and then. */
const LIVE_MS = 3000;
const IDLE_MS = 30_000;

/** Upgrade campaigns, newest first. SREs and staff admins (`canCreate`; the server checks again) start new ones. */
export function CampaignsView({ canCreate }: { canCreate: boolean }) {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.campaigns.list.queryOptions({}),
    refetchInterval: (q) => (q.state.data?.some((c) => c.status === "running") ? LIVE_MS : IDLE_MS),
  });

  return (
    <>
      <h1>Upgrade campaigns</h1>
      <p className="muted">
        Fleet upgrades to a release, in waves, inside each instance&apos;s maintenance window unless marked
        urgent.
      </p>
      {canCreate && (
        <div className="toolbar">
          <Link className="button" href="/fleet/campaigns/new">
            New campaign
          </Link>
        </div>
      )}
      {list.error && <QueryError error={list.error} />}
      {!list.data && !list.error && <p aria-busy="true">Loading…</p>}
      {list.data && (
        <table data-testid="campaigns-table">
          <caption>Upgrade campaigns, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">Status</th>
              <th scope="col">Target version</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.length === 0 && (
              <tr>
                <td colSpan={5} className="empty">
                  No campaigns yet.
                </td>
              </tr>
            )}
            {list.data.map((c) => (
              <tr key={c.id} data-testid="campaign-row" data-campaign-id={c.id}>
                <td>
                  <Link href={`/fleet/campaigns/${c.id}`}>
                    <strong>{c.name}</strong>
                  </Link>
                  {c.urgent && (
                    <div>
                      <span className="badge bad">Urgent</span>
                    </div>
                  )}
                </td>
                <td>
                  <CampaignStatusBadge status={c.status} />
                </td>
                <td>{c.targetVersion}</td>
                <td>
                  {c.counts.succeeded}/{c.total} succeeded
                  {c.counts.failed > 0 && <span className="error"> · {c.counts.failed} failed</span>}
                </td>
                <td>{formatDateTime(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
