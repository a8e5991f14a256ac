"use client";

import { CLOUD_LABELS, SIZE_IDS, SIZES, type SizeId } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { formatDateTime } from "~/components/format";
import { InstanceStatusBadges } from "~/components/instance-status";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";
import { AlertsPanel } from "./alerts-panel";
import { BackupsPanel } from "./backups-panel";
import { MaintenancePanel } from "./maintenance-panel";
import { MigrationPanel } from "./migration-panel";
import { SupportChannelPanel } from "./support-channel-panel";

const LIVE_MS = 1000;

export function InstanceView({
  orgId,
  instanceId,
  canAdmin,
  canHandleAlerts,
}: {
  orgId: string;
  instanceId: string;
  /** Org admins, SREs and staff admins (the server checks again on every call). */
  canAdmin: boolean;
  /** SREs and staff admins acknowledge and silence alerts. */
  canHandleAlerts: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ops = useQuery({
    ...trpc.instances.operations.queryOptions({ orgId, instanceId }),
    refetchInterval: (q) =>
      q.state.data?.some((o) => o.status === "queued" || o.status === "running") ? LIVE_MS : 10_000,
  });
  const active =
    ops.data?.find((o) => o.status === "running") ?? ops.data?.filter((o) => o.status === "queued").at(-1);
  const instance = useQuery({
    ...trpc.instances.get.queryOptions({ orgId, instanceId }),
    refetchInterval: active ? LIVE_MS : 15_000,
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.instances.pathKey() });
  // When an operation ends (or the next one starts), its outcome shows at once rather than at the next slow poll.
  const activeId = active?.id ?? null;
  const lastActive = useRef(activeId);
  useEffect(() => {
    if (lastActive.current && lastActive.current !== activeId) {
      void qc.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ orgId, instanceId }) });
    }
    lastActive.current = activeId;
  }, [activeId, qc, trpc, orgId, instanceId]);
  const cancel = useMutation(trpc.instances.cancel.mutationOptions({ onSettled: refresh }));
  const retry = useMutation(trpc.instances.retry.mutationOptions({ onSettled: refresh }));
  const undelete = useMutation(trpc.instances.undelete.mutationOptions({ onSettled: refresh }));
  const actionError = cancel.error ?? retry.error ?? undelete.error;

  if (instance.error) return <QueryError error={instance.error} />;
  if (!instance.data) return <p aria-busy="true">Loading…</p>;
  const i = instance.data;
  const can = (a: (typeof i.actions)[number]) => i.actions.includes(a);

  return (
    <>
      <h1>{i.name}</h1>
      <p>
        <InstanceStatusBadges
          status={i.status}
          healthStatus={i.healthStatus}
          healthCheckedAt={i.healthCheckedAt}
        />{" "}
        <span className="muted">
          {CLOUD_LABELS[i.cloud]} · {i.region} · {SIZES[i.size as SizeId]?.label ?? i.size} · MySQL{" "}
          {i.mysqlVersion} · version <span data-testid="instance-version">{i.version ?? "—"}</span>
        </span>
      </p>
      {i.statusReason && (
        <p role="status" data-testid="status-reason">
          {i.statusReason}
        </p>
      )}
      {i.url && i.status === "running" && (
        <p>
          URL:{" "}
          <a href={i.url} target="_blank" rel="noreferrer" data-testid="instance-url">
            {i.url}
          </a>
        </p>
      )}
      {actionError && <QueryError error={actionError} />}

      <AlertsPanel orgId={orgId} instanceId={instanceId} canHandle={canHandleAlerts} compact />
      <SupportChannelPanel orgId={orgId} instanceId={instanceId} />
      <p>
        <Link href={`/orgs/${orgId}/instances/${instanceId}/timeline`}>Timeline</Link>{" "}
        <span className="muted">
          operations, backups, alerts, support requests and channel posts in order
        </span>
      </p>

      {active && (
        <section className="panel" aria-labelledby="active-op-title">
          <h2 id="active-op-title">
            {active.kind} · {active.status === "queued" ? "waiting for its turn" : `${active.progress}%`}
          </h2>
          <div
            className="progress"
            role="progressbar"
            aria-label="Progress"
            aria-valuenow={active.progress}
            aria-valuemin={0}
            aria-valuemax={100}
          >
            <div style={{ width: `${active.progress}%` }} />
          </div>
          <ul className="step-list" aria-label="Steps">
            {active.steps.map((s) => (
              <li key={s.name}>
                {s.status === "done" ? "✓" : s.status === "failed" ? "✗" : "…"} {s.name}
              </li>
            ))}
          </ul>
          <LiveLog orgId={orgId} instanceId={instanceId} operationId={active.id} live />
          {can("cancel") && (
            <button
              type="button"
              className="secondary"
              disabled={cancel.isPending || Boolean(active.cancelRequestedAt)}
              onClick={() => cancel.mutate({ orgId, instanceId, operationId: active.id })}
            >
              {active.cancelRequestedAt ? "Cancelling…" : "Cancel"}
            </button>
          )}
        </section>
      )}

      <div className="toolbar">
        {can("retry") && (
          <button
            type="button"
            onClick={() => retry.mutate({ orgId, instanceId })}
            disabled={retry.isPending}
          >
            Retry
          </button>
        )}
        {can("undelete") && (
          <button
            type="button"
            onClick={() => undelete.mutate({ orgId, instanceId })}
            disabled={undelete.isPending}
          >
            Undelete
          </button>
        )}
      </div>

      {i.outputs && (
        <>
          <h2>Outputs</h2>
          <table>
            <caption>What the instance is made of</caption>
            <tbody>
              <tr>
                <th scope="row">URL</th>
                <td>{i.outputs.url}</td>
              </tr>
              <tr>
                <th scope="row">Database endpoint</th>
                <td>
                  <code>{i.outputs.databaseEndpoint}</code> (database <code>{i.outputs.databaseName}</code>)
                </td>
              </tr>
              <tr>
                <th scope="row">Bucket</th>
                <td>
                  <code>{i.outputs.bucket}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Rate limits</th>
                <td>
                  {i.config.reliability
                    ? `filestream ${i.config.reliability.rateLimits.filestream}/s, GraphQL ${i.config.reliability.rateLimits.graphql}/s; external Redis ${i.config.reliability.externalRedis ? "on" : "off"}`
                    : "—"}
                </td>
              </tr>
              <tr>
                <th scope="row">Sign-in</th>
                <td>
                  {i.config.sso?.mode === "oidc" ? `OIDC (${i.config.sso.issuer})` : "Provider-managed"}
                </td>
              </tr>
            </tbody>
          </table>
        </>
      )}

      {can("update") && (
        <UpdateForm
          orgId={orgId}
          instanceId={instanceId}
          current={{ size: i.size as SizeId, reliability: i.config.reliability }}
          onDone={refresh}
        />
      )}
      {can("deprovision") && (
        <DeprovisionForm orgId={orgId} instanceId={instanceId} name={i.name} onDone={refresh} />
      )}

      {i.status !== "deleted" && (
        <MaintenancePanel orgId={orgId} instanceId={instanceId} canEdit={canAdmin} />
      )}

      <BackupsPanel
        orgId={orgId}
        instanceId={instanceId}
        instance={{ name: i.name, status: i.status, url: i.url }}
        canAdmin={canAdmin}
        onChanged={refresh}
      />

      <MigrationPanel orgId={orgId} instanceId={instanceId} canAdmin={canAdmin} onChanged={refresh} />

      <h2 id="operations">Operations</h2>
      {ops.error && <QueryError error={ops.error} />}
      {ops.data && (
        <table>
          <caption>History of operations on {i.name}</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {ops.data.map((o) => (
              <tr key={o.id}>
                <td>{o.kind}</td>
                <td>
                  <span
                    className={`badge ${o.status === "succeeded" ? "ok" : o.status === "failed" ? "bad" : "warn"}`}
                  >
                    {o.status}
                  </span>
                </td>
                <td>
                  {o.attempts}/{o.maxAttempts}
                </td>
                <td>{formatDateTime(o.startedAt)}</td>
                <td>
                  {o.status === "queued" && o.notBefore > new Date()
                    ? `not before ${formatDateTime(o.notBefore)}`
                    : formatDateTime(o.finishedAt)}
                </td>
                <td>
                  {o.error ?? (o.status === "succeeded" ? "Done" : "")}
                  {o.startedAt && o.id !== active?.id && (
                    <LogDetails orgId={orgId} instanceId={instanceId} operationId={o.id} />
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

function LiveLog({
  orgId,
  instanceId,
  operationId,
  live,
}: {
  orgId: string;
  instanceId: string;
  operationId: string;
  live: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [lines, setLines] = useState<{ id: string; at: Date; level: string; message: string }[]>([]);
  const last = useRef<string | null>(null);
  useEffect(() => {
    setLines([]);
    last.current = null;
    let stopped = false;
    const tick = async () => {
      try {
        const more = await qc.fetchQuery(
          trpc.instances.operationLog.queryOptions(
            { orgId, instanceId, operationId, afterId: last.current },
            { staleTime: 0 },
          ),
        );
        if (stopped || more.length === 0) return;
        last.current = more.at(-1)?.id ?? last.current;
        setLines((prev) => [...prev, ...more].slice(-500));
      } catch {
        // the next tick tries again
      }
    };
    void tick();
    const timer = live ? setInterval(() => void tick(), LIVE_MS) : undefined;
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [qc, trpc, orgId, instanceId, operationId, live]);
  return (
    <div className="log" role="log" aria-label="Live log" aria-live="polite">
      {lines.length === 0
        ? "Waiting for the first log line…"
        : lines.map((l) => (
            <div key={l.id} className={l.level}>
              {l.at.toISOString().slice(11, 19)} {l.message}
            </div>
          ))}
    </div>
  );
}

function UpdateForm(props: {
  orgId: string;
  instanceId: string;
  current: {
    size: SizeId;
    reliability: { externalRedis: boolean; rateLimits: { filestream: number; graphql: number } } | null;
  };
  onDone: () => unknown;
}) {
  const trpc = useTRPC();
  const [size, setSize] = useState<SizeId>(props.current.size);
  const [redis, setRedis] = useState(props.current.reliability?.externalRedis ?? false);
  const [filestream, setFilestream] = useState(props.current.reliability?.rateLimits.filestream ?? 20);
  const [graphql, setGraphql] = useState(props.current.reliability?.rateLimits.graphql ?? 200);
  const update = useMutation(trpc.instances.update.mutationOptions({ onSuccess: () => void props.onDone() }));
  return (
    <section className="panel" aria-labelledby="update-title">
      <h2 id="update-title">Change settings</h2>
      <form
        className="inline"
        aria-label="Update the instance"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({
            orgId: props.orgId,
            instanceId: props.instanceId,
            patch: { size, reliability: { externalRedis: redis, rateLimits: { filestream, graphql } } },
          });
        }}
      >
        <label className="field">
          Size
          <select value={size} onChange={(e) => setSize(e.target.value as SizeId)}>
            {SIZE_IDS.map((s) => (
              <option key={s} value={s}>
                {SIZES[s].label} ({SIZES[s].vcpu} vCPU / {SIZES[s].memoryGiB} GB)
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Filestream limit (req/s)
          <input
            type="number"
            min={1}
            value={filestream}
            onChange={(e) => setFilestream(Number(e.target.value))}
          />
        </label>
        <label className="field">
          GraphQL limit (req/s)
          <input type="number" min={1} value={graphql} onChange={(e) => setGraphql(Number(e.target.value))} />
        </label>
        <label className="choice">
          <input type="checkbox" checked={redis} onChange={(e) => setRedis(e.target.checked)} /> External
          Redis
        </label>
        <button type="submit" disabled={update.isPending}>
          Apply changes
        </button>
      </form>
      {update.error && <QueryError error={update.error} />}
      {update.data && (
        <p role="status" className="notice">
          Update queued.
        </p>
      )}
    </section>
  );
}

function DeprovisionForm(props: { orgId: string; instanceId: string; name: string; onDone: () => unknown }) {
  const trpc = useTRPC();
  const [confirmName, setConfirmName] = useState("");
  const deprovision = useMutation(
    trpc.instances.deprovision.mutationOptions({ onSuccess: () => void props.onDone() }),
  );
  return (
    <section className="panel" aria-labelledby="deprovision-title">
      <h2 id="deprovision-title">Deprovision</h2>
      <p className="muted">
        Stops the instance. Its data is kept for the retention period, during which provider staff can bring
        it back; then every resource is removed.
      </p>
      <form
        className="inline"
        aria-label="Deprovision the instance"
        onSubmit={(e) => {
          e.preventDefault();
          deprovision.mutate({ orgId: props.orgId, instanceId: props.instanceId, confirmName });
        }}
      >
        <label className="field">
          Type {props.name} to confirm
          <input value={confirmName} onChange={(e) => setConfirmName(e.target.value)} />
        </label>
        <button
          type="submit"
          className="danger"
          disabled={deprovision.isPending || confirmName !== props.name}
        >
          Deprovision
        </button>
      </form>
      {deprovision.error && <QueryError error={deprovision.error} />}
    </section>
  );
}

/** A finished operation's log, fetched only when someone opens it. */
function LogDetails(props: { orgId: string; instanceId: string; operationId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Log</summary>
      {open && <LiveLog {...props} live={false} />}
    </details>
  );
}
