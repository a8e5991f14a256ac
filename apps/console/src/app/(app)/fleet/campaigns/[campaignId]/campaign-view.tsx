"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Dialog } from "~/components/dialog";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import {
  CampaignStatusBadge,
  formatInViewerZone,
  gateVerdict,
  TargetStatusBadge,
  viewerTimeZone,
} from "~/components/releases";
import { useTRPC } from "~/trpc/react";

type Campaign = inferRouterOutputs<AppRouter>["campaigns"]["get"];
type Target = Campaign["targets"][number];

/** A running campaign is followed closely; a paused one still changes (upgrades in flight finish). */
const LIVE_MS = 1500;
const IDLE_MS = 15_000;

/**
 * One campaign: its status and controls, then each wave with its instances (status, planned time, gate verdict),
 * followed live while it runs. SREs and staff admins (`canOperate`; the server checks again) start, pause, resume and
 * abort it and roll back single instances.
 */
export function CampaignView({ campaignId, canOperate }: { campaignId: string; canOperate: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const campaign = useQuery({
    ...trpc.campaigns.get.queryOptions({ campaignId }),
    refetchInterval: (q) => {
      const s = q.state.data?.status;
      return s === "running" || s === "paused" ? LIVE_MS : IDLE_MS;
    },
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.campaigns.pathKey() });
  const start = useMutation(trpc.campaigns.start.mutationOptions({ onSettled: refresh }));
  const pause = useMutation(trpc.campaigns.pause.mutationOptions({ onSettled: refresh }));
  const resume = useMutation(trpc.campaigns.resume.mutationOptions({ onSettled: refresh }));
  const abort = useMutation(trpc.campaigns.abort.mutationOptions({ onSettled: refresh }));
  const [aborting, setAborting] = useState(false);
  const [rollingBack, setRollingBack] = useState<Target | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const actionError = start.error ?? pause.error ?? resume.error ?? abort.error;
  const busy = start.isPending || pause.isPending || resume.isPending || abort.isPending;

  if (campaign.error) return <QueryError error={campaign.error} />;
  if (!campaign.data) return <p aria-busy="true">Loading…</p>;
  const c = campaign.data;
  const total = c.total;
  const count = (s: keyof Campaign["counts"]) => c.counts[s];
  const waves = c.waves.map((w) => w.wave);
  const canary = (c.strategy as { canary?: unknown } | null)?.canary;
  const open = c.status === "draft" || c.status === "running" || c.status === "paused";

  return (
    <>
      <p>
        <Link href="/fleet/campaigns">← Upgrade campaigns</Link>
      </p>
      <h1>
        {c.name} <CampaignStatusBadge status={c.status} />
        {c.urgent && (
          <>
            {" "}
            <span className="badge bad">Urgent</span>
          </>
        )}
      </h1>
      <p className="muted">
        Upgrade to <strong data-testid="campaign-target-version">{c.targetVersion}</strong> · created{" "}
        {formatDateTime(c.createdAt)}
        {c.startedAt && ` · started ${formatDateTime(c.startedAt)}`}
        {c.finishedAt && ` · finished ${formatDateTime(c.finishedAt)}`}
      </p>
      {c.urgent && c.urgentReason && <p>Urgent because: {c.urgentReason}</p>}
      {c.pausedReason && c.status === "paused" && (
        <p role="status" className="error" data-testid="campaign-paused-reason">
          Paused: {c.pausedReason}
        </p>
      )}
      <p data-testid="campaign-progress">
        {count("succeeded")}/{total} succeeded
        {count("failed") > 0 && ` · ${count("failed")} failed`}
        {count("upgrading") > 0 && ` · ${count("upgrading")} upgrading`}
        {count("skipped") > 0 && ` · ${count("skipped")} skipped`}
        {count("rolled_back") > 0 && ` · ${count("rolled_back")} rolled back`}
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-label="Campaign progress"
        aria-valuenow={count("succeeded")}
        aria-valuemin={0}
        aria-valuemax={total}
        style={{ marginBottom: "1rem" }}
      >
        <div style={{ width: `${total ? (100 * count("succeeded")) / total : 0}%` }} />
      </div>

      {canOperate && open && (
        <div className="toolbar" role="group" aria-label="Campaign controls">
          {c.status === "draft" && (
            <button type="button" disabled={busy} onClick={() => start.mutate({ campaignId })}>
              Start
            </button>
          )}
          {c.status === "running" && (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => pause.mutate({ campaignId })}
            >
              Pause
            </button>
          )}
          {c.status === "paused" && (
            <button type="button" disabled={busy} onClick={() => resume.mutate({ campaignId })}>
              Resume
            </button>
          )}
          <button type="button" className="danger" disabled={busy} onClick={() => setAborting(true)}>
            Abort
          </button>
        </div>
      )}
      {actionError && <QueryError error={actionError} />}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <p className="muted">Times in your time zone ({viewerTimeZone()}).</p>

      {waves.length === 0 && <p className="empty">This campaign has no instances.</p>}
      {waves.map((w) => {
        const rows = c.targets.filter((t) => t.wave === w);
        const done = rows.filter((t) => t.status === "succeeded").length;
        const planned = c.waves.find((x) => x.wave === w);
        return (
          <section
            key={w}
            className="panel"
            aria-labelledby={`wave-${w}-title`}
            data-testid="campaign-wave"
            data-wave={w}
          >
            <h2 id={`wave-${w}-title`} style={{ marginTop: 0 }}>
              Wave {w}
              {w === 0 && typeof canary === "number" && canary > 0 ? " (canary)" : ""}{" "}
              <span className="muted" style={{ fontWeight: "normal" }}>
                {done}/{rows.length} succeeded
                {c.currentWave === w && c.status === "running" ? " · in progress" : ""}
                {planned?.plannedFrom &&
                  ` · planned ${formatInViewerZone(planned.plannedFrom)}${
                    planned.plannedTo && planned.plannedTo.getTime() !== planned.plannedFrom.getTime()
                      ? ` – ${formatInViewerZone(planned.plannedTo)}`
                      : ""
                  }`}
              </span>
            </h2>
            <table>
              <caption>Instances of wave {w}</caption>
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Organization</th>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Planned</th>
                  <th scope="col">Health gate</th>
                  {canOperate && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => {
                  const gate = gateVerdict(t.gateResult);
                  return (
                    <tr
                      key={t.id}
                      data-testid="campaign-target"
                      data-instance-id={t.instanceId}
                      data-status={t.status}
                    >
                      <td>
                        <Link href={`/orgs/${t.orgId}/instances/${t.instanceId}`}>{t.instanceName}</Link>
                      </td>
                      <td>{t.orgName}</td>
                      <td>
                        {t.fromVersion ?? "?"} → {c.targetVersion}
                        {t.instanceVersion && t.instanceVersion !== t.fromVersion && (
                          <div className="muted">now {t.instanceVersion}</div>
                        )}
                      </td>
                      <td>
                        <TargetStatusBadge status={t.status} />
                        {t.error && (
                          <div className="error" data-testid="target-error">
                            {t.error}
                          </div>
                        )}
                      </td>
                      <td>{formatInViewerZone(t.plannedAt)}</td>
                      <td data-testid="target-gate">
                        {gate ? (
                          <>
                            <span className={`badge ${gate.passed ? "ok" : "bad"}`}>
                              {gate.passed ? "Passed" : "Failed"}
                            </span>{" "}
                            <span className="muted">{gate.reason}</span>
                          </>
                        ) : (
                          "—"
                        )}
                      </td>
                      {canOperate && (
                        <td>
                          {(t.status === "succeeded" || t.status === "failed") && (
                            <button
                              type="button"
                              className="secondary"
                              onClick={() => {
                                setNotice(null);
                                setRollingBack(t);
                              }}
                            >
                              Rollback
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        );
      })}

      {aborting && (
        <Dialog title={`Abort ${c.name}`} onClose={() => setAborting(false)}>
          <p>
            Instances not yet upgraded are skipped; upgrades already running finish. Upgraded instances keep
            the new version (roll them back one by one if needed).
          </p>
          <div className="toolbar" style={{ marginBottom: 0 }}>
            <button type="button" className="secondary" onClick={() => setAborting(false)}>
              Keep running
            </button>
            <button
              type="button"
              className="danger"
              disabled={abort.isPending}
              onClick={() => abort.mutate({ campaignId }, { onSuccess: () => setAborting(false) })}
            >
              Abort campaign
            </button>
          </div>
        </Dialog>
      )}
      {rollingBack && (
        <RollbackDialog
          target={rollingBack}
          onClose={() => setRollingBack(null)}
          onDone={() => {
            setNotice(`Rollback of ${rollingBack.instanceName} queued.`);
            setRollingBack(null);
            void refresh();
          }}
        />
      )}
    </>
  );
}

function RollbackDialog(props: { target: Target; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const t = props.target;
  const rollback = useMutation(trpc.campaigns.rollbackInstance.mutationOptions({ onSuccess: props.onDone }));
  return (
    <Dialog title={`Roll back ${t.instanceName}`} onClose={props.onClose}>
      <p>
        {t.instanceName} goes back to the version it ran before its upgrade
        {t.fromVersion ? ` (${t.fromVersion})` : ""}. If the release rolled back from cannot be rolled back on
        its schema, the backup taken before the upgrade is restored first: changes since then are lost.
      </p>
      {rollback.error && <QueryError error={rollback.error} />}
      <div className="toolbar" style={{ marginBottom: 0 }}>
        <button type="button" className="secondary" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={rollback.isPending}
          onClick={() => rollback.mutate({ orgId: t.orgId, instanceId: t.instanceId })}
        >
          {rollback.isPending ? "Queuing…" : "Roll back"}
        </button>
      </div>
    </Dialog>
  );
}
