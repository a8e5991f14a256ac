"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import {
  BACKUP_INTERVALS,
  BACKUP_KIND_LABELS,
  policyViolations,
  ZBackupPolicy,
  ZSubdomain,
  type BackupLimits,
  type InstanceStatus,
} from "@cp/core";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Dialog } from "~/components/dialog";
import { Field, splitFieldErrors } from "~/components/field-errors";
import {
  formatAge,
  formatDateTime,
  formatDuration,
  formatMegabytes,
  utcTimeOfDayToLocal,
} from "~/components/format";
import { KeysetPager, useKeysetPages } from "~/components/keyset-pager";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

type Backup = inferRouterOutputs<AppRouter>["backups"]["list"]["items"][number];

/** While a backup is being taken or verified the list follows it; otherwise it is fetched on demand. */
const LIVE_MS = 2000;
const PAGE_SIZE = 10;

const inFlight = (b: Backup) =>
  b.status === "queued" ||
  b.status === "running" ||
  (b.status === "completed" && (b.verification === "pending" || b.verification === "running"));

const STATUS_BADGES: Record<Backup["status"], { label: string; tone: string }> = {
  queued: { label: "Queued", tone: "warn" },
  running: { label: "Running", tone: "warn" },
  completed: { label: "Completed", tone: "ok" },
  failed: { label: "Failed", tone: "bad" },
};

/** Re-renders every half minute so "3 h ago" stays true on a page left open. */
function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function BackupsPanel(props: {
  orgId: string;
  instanceId: string;
  instance: { name: string; status: InstanceStatus; url: string | null };
  /** Org admins, SREs and staff admins: change the policy, take, verify, restore and clone backups. */
  canAdmin: boolean;
  /** The instance's other queries (its operations) change when backups are queued. */
  onChanged: () => unknown;
}) {
  const { orgId, instanceId, instance, canAdmin } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const now = useNow();
  const pages = useKeysetPages();
  const [notice, setNotice] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [cloning, setCloning] = useState<Backup | null>(null);

  const list = useQuery({
    ...trpc.backups.list.queryOptions({ orgId, instanceId, limit: PAGE_SIZE, cursor: pages.cursor }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some(inFlight) ? LIVE_MS : false),
  });
  const refresh = () => {
    void props.onChanged();
    return qc.invalidateQueries({ queryKey: trpc.backups.pathKey() });
  };
  const create = useMutation(
    trpc.backups.create.mutationOptions({
      onSuccess: () => {
        pages.reset();
        setNotice("Backup queued; it is verified as soon as it completes.");
      },
      onSettled: refresh,
    }),
  );
  const verify = useMutation(
    trpc.backups.verify.mutationOptions({
      onSuccess: () => setNotice("Verification queued."),
      onSettled: refresh,
    }),
  );

  const gone = instance.status === "deleted" || instance.status === "deleting";
  const act = canAdmin && !gone;
  const actionError = create.error ?? verify.error;

  return (
    <section className="panel" aria-labelledby="backups-title">
      <h2 id="backups-title" style={{ marginTop: 0 }}>
        Backups
      </h2>
      <PolicySection
        orgId={orgId}
        instanceId={instanceId}
        canEdit={act}
        running={Boolean(instance.url) && !gone}
        now={now}
      />

      {act && (
        <div className="toolbar" style={{ marginTop: "1rem" }}>
          <button
            type="button"
            disabled={create.isPending || !instance.url}
            title={instance.url ? undefined : "Available once the instance is running"}
            onClick={() => {
              setNotice(null);
              verify.reset();
              create.mutate({ orgId, instanceId });
            }}
          >
            {create.isPending ? "Queuing…" : "Back up now"}
          </button>
          {!instance.url && <span className="muted">Backups can be taken once the instance is running.</span>}
        </div>
      )}
      {actionError && <QueryError error={actionError} />}
      {notice && !actionError && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}

      {list.error && <QueryError error={list.error} />}
      {!list.data && !list.error && <p aria-busy="true">Loading backups…</p>}
      {list.data && (
        <>
          <table>
            <caption>Backups of {instance.name}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Taken</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Verification</th>
                <th scope="col">Size</th>
                <th scope="col">Duration</th>
                <th scope="col">Expires</th>
                {act && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.items.length === 0 && (
                <tr>
                  <td colSpan={act ? 8 : 7} className="empty">
                    No backups yet.
                  </td>
                </tr>
              )}
              {list.data.items.map((b) => {
                const usable = b.status === "completed" && b.verification !== "failed";
                return (
                  <tr key={b.id} data-testid={`backup-${b.id}`}>
                    <td title={formatDateTime(b.createdAt)}>{formatAge(b.createdAt, now)}</td>
                    <td>{BACKUP_KIND_LABELS[b.kind]}</td>
                    <td>
                      <span className={`badge ${STATUS_BADGES[b.status].tone}`}>
                        {STATUS_BADGES[b.status].label}
                      </span>
                      {b.error && <div className="error">{b.error}</div>}
                    </td>
                    <td>
                      <VerificationCell backup={b} />
                    </td>
                    <td>{formatMegabytes(b.sizeBytes)}</td>
                    <td>{formatDuration(b.durationMs)}</td>
                    <td title={b.expiresAt ? formatDateTime(b.expiresAt) : undefined}>
                      {b.expiresAt ? formatAge(b.expiresAt, now) : "—"}
                    </td>
                    {act && (
                      <td>
                        {b.status === "completed" && (
                          <div className="toolbar" style={{ marginBottom: 0, gap: "0.4rem" }}>
                            <button
                              type="button"
                              className="secondary"
                              disabled={
                                verify.isPending ||
                                b.verification === "pending" ||
                                b.verification === "running"
                              }
                              onClick={() => {
                                setNotice(null);
                                create.reset();
                                verify.mutate({ orgId, backupId: b.id });
                              }}
                            >
                              Verify again
                            </button>
                            {usable && (
                              <>
                                <button type="button" className="secondary" onClick={() => setRestoring(b)}>
                                  Restore…
                                </button>
                                <button type="button" className="secondary" onClick={() => setCloning(b)}>
                                  Clone to new instance…
                                </button>
                              </>
                            )}
                          </div>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <KeysetPager
            pages={pages}
            nextCursor={list.data.nextCursor}
            backLabel="Newer backups"
            forwardLabel="Older backups"
          />
        </>
      )}

      {restoring && (
        <RestoreDialog
          orgId={orgId}
          backup={restoring}
          instanceName={instance.name}
          now={now}
          onClose={() => setRestoring(null)}
          onDone={() => {
            setRestoring(null);
            pages.reset();
            setNotice(
              `Restore queued: ${instance.name} is backed up first, then restored from the backup taken ${formatDateTime(restoring.completedAt ?? restoring.createdAt)}.`,
            );
            void refresh();
          }}
        />
      )}
      {cloning && (
        <CloneDialog
          orgId={orgId}
          backup={cloning}
          instanceName={instance.name}
          onClose={() => setCloning(null)}
          onDone={() => void refresh()}
        />
      )}
    </section>
  );
}

function VerificationCell({ backup: b }: { backup: Backup }) {
  if (b.status !== "completed") return <span className="muted">—</span>;
  switch (b.verification) {
    case "pending":
    case "running":
      return (
        <span
          className="badge warn"
          title={b.verification === "pending" ? "Waiting for its turn" : "Running"}
        >
          Verifying…
        </span>
      );
    case "verified":
      return (
        <>
          <span className="badge ok" title={`Verified ${formatDateTime(b.verifiedAt)}`}>
            Verified
          </span>{" "}
          <span className="muted">
            {b.verifiedTables === 0
              ? "restores; rows not compared on this cloud"
              : `${b.verifiedTables ?? b.tableCount ?? "?"} tables${
                  b.verifiedRows !== null ? `, ${b.verifiedRows.toLocaleString()} rows` : ""
                } checked`}
          </span>
        </>
      );
    case "failed":
    case "error":
      return (
        <>
          <span className="badge bad">
            {b.verification === "failed" ? "Verification failed" : "Verification could not run"}
          </span>
          {b.verifyProblems.length > 0 && (
            <ul
              className="error"
              aria-label="Verification problems"
              style={{ margin: "0.35rem 0 0", paddingLeft: "1.1rem" }}
            >
              {b.verifyProblems.map((p, i) => (
                <li key={i}>{p}</li>
              ))}
            </ul>
          )}
        </>
      );
  }
}

/** "03:00, 09:00, 15:00 and 21:00": every slot of a day, from the start time. */
function slotsOfDay(startTime: string, intervalHours: number): string[] {
  const [h, m] = startTime.split(":").map(Number) as [number, number];
  const first = (h * 60 + m) % (intervalHours * 60);
  const out: string[] = [];
  for (let t = first; t < 24 * 60; t += intervalHours * 60) {
    out.push(`${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`);
  }
  return out;
}

const andList = (xs: string[]) =>
  xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`;

function describeSchedule(startTime: string, intervalHours: number): { utc: string; local: string } {
  const slots = slotsOfDay(startTime, intervalHours);
  const local = slots.map((s) => utcTimeOfDayToLocal(s) ?? s);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return {
    utc: `Every ${intervalHours} hours at ${andList(slots)} UTC`,
    local: `${andList(local)} your time (${zone})`,
  };
}

function PolicySection(props: {
  orgId: string;
  instanceId: string;
  canEdit: boolean;
  running: boolean;
  now: number;
}) {
  const trpc = useTRPC();
  const policy = useQuery(
    trpc.backups.policy.queryOptions({ orgId: props.orgId, instanceId: props.instanceId }),
  );
  const [saved, setSaved] = useState(false);
  if (policy.error) return <QueryError error={policy.error} />;
  if (!policy.data) return <p aria-busy="true">Loading the backup policy…</p>;
  const { policy: p, limits, nextBackupAt } = policy.data;
  const schedule = describeSchedule(p.startTime, p.intervalHours);
  return (
    <>
      <table>
        <caption>Backup policy</caption>
        <tbody>
          <tr>
            <th scope="row">Schedule</th>
            <td data-testid="backup-schedule">
              {schedule.utc} <span className="muted">({schedule.local})</span>
            </td>
          </tr>
          <tr>
            <th scope="row">Retention</th>
            <td>{p.retentionDays} days</td>
          </tr>
          <tr>
            <th scope="row">Next backup</th>
            <td>
              {nextBackupAt
                ? `${formatDateTime(nextBackupAt)} (${formatAge(nextBackupAt, props.now)})`
                : "None: the instance is deprovisioned"}
              {nextBackupAt && !props.running && (
                <span className="muted"> · scheduled backups run once the instance is running</span>
              )}
            </td>
          </tr>
          <tr>
            <th scope="row">Organization limits</th>
            <td className="muted">
              Retention between {limits.retentionMinDays} and {limits.retentionMaxDays} days; at most every{" "}
              {limits.minIntervalHours} hours. Provider staff set these.
            </td>
          </tr>
        </tbody>
      </table>
      {props.canEdit && (
        <PolicyForm
          key={`${p.startTime}/${p.intervalHours}/${p.retentionDays}`}
          orgId={props.orgId}
          instanceId={props.instanceId}
          current={p}
          limits={limits}
          onEdit={() => setSaved(false)}
          onSaved={() => setSaved(true)}
        />
      )}
      {saved && (
        <p role="status" className="notice">
          Backup policy saved.
        </p>
      )}
    </>
  );
}

const POLICY_FIELDS = ["startTime", "intervalHours", "retentionDays"] as const;
type PolicyField = (typeof POLICY_FIELDS)[number];

function PolicyForm(props: {
  orgId: string;
  instanceId: string;
  current: { startTime: string; intervalHours: number; retentionDays: number };
  limits: { retentionMinDays: number; retentionMaxDays: number; minIntervalHours: number };
  onEdit: () => void;
  onSaved: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [startTime, setStartTime] = useState(props.current.startTime);
  const [intervalHours, setIntervalHours] = useState(props.current.intervalHours);
  const [retention, setRetention] = useState(String(props.current.retentionDays));
  const save = useMutation(
    trpc.backups.updatePolicy.mutationOptions({
      onSuccess: () => {
        props.onSaved();
        return qc.invalidateQueries({ queryKey: trpc.backups.policy.pathKey() });
      },
    }),
  );
  const draft = {
    startTime: startTime.trim(),
    intervalHours,
    retentionDays: retention.trim() === "" ? Number.NaN : Number(retention),
  };
  // The same checks the server makes, so most mistakes are caught while typing, with the server's words.
  const local: Partial<Record<PolicyField, string>> = {};
  const parsed = ZBackupPolicy.safeParse(draft);
  if (!parsed.success) {
    for (const i of parsed.error.issues) local[String(i.path[0]) as PolicyField] ??= i.message;
  } else {
    for (const v of policyViolations(parsed.data, {
      ...props.limits,
      minIntervalHours: props.limits.minIntervalHours as BackupLimits["minIntervalHours"],
    })) {
      const at = v.indexOf(": ");
      local[v.slice(0, at) as PolicyField] ??= v.slice(at + 2);
    }
  }
  const server = splitFieldErrors(save.error, POLICY_FIELDS, "policy");
  const errorOf = (f: PolicyField) => server.fields[f] ?? local[f];
  const changed =
    draft.startTime !== props.current.startTime ||
    draft.intervalHours !== props.current.intervalHours ||
    draft.retentionDays !== props.current.retentionDays;
  const edit = (fn: () => void) => {
    save.reset();
    props.onEdit();
    fn();
  };
  const startLocal = local.startTime ? null : utcTimeOfDayToLocal(draft.startTime);

  return (
    <form
      className="inline"
      aria-label="Backup policy"
      style={{ marginTop: "1rem", alignItems: "flex-start" }}
      onSubmit={(e) => {
        e.preventDefault();
        if (parsed.success)
          save.mutate({ orgId: props.orgId, instanceId: props.instanceId, policy: parsed.data });
      }}
    >
      <Field
        label="Start time (UTC)"
        error={errorOf("startTime")}
        hint={startLocal ? `${startLocal} your time` : null}
      >
        {(c) => (
          <input
            {...c}
            value={startTime}
            placeholder="03:00"
            inputMode="numeric"
            style={{ width: "7rem" }}
            onChange={(e) => edit(() => setStartTime(e.target.value))}
          />
        )}
      </Field>
      <Field label="Every" error={errorOf("intervalHours")}>
        {(c) => (
          <select
            {...c}
            value={intervalHours}
            onChange={(e) => edit(() => setIntervalHours(Number(e.target.value)))}
          >
            {BACKUP_INTERVALS.map((h) => (
              <option key={h} value={h}>
                {h} hours
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Keep for (days)" error={errorOf("retentionDays")}>
        {(c) => (
          <input
            {...c}
            type="number"
            value={retention}
            style={{ width: "7rem" }}
            onChange={(e) => edit(() => setRetention(e.target.value))}
          />
        )}
      </Field>
      <button
        type="submit"
        style={{ marginTop: "1.3rem" }}
        disabled={save.isPending || !changed || !parsed.success || Object.keys(local).length > 0}
      >
        Save policy
      </button>
      {server.other && <QueryError error={{ message: server.other, data: save.error?.data }} />}
    </form>
  );
}

function RestoreDialog(props: {
  orgId: string;
  backup: Backup;
  instanceName: string;
  now: number;
  onClose: () => void;
  onDone: () => void;
}) {
  const { backup: b, instanceName } = props;
  const trpc = useTRPC();
  const [confirmName, setConfirmName] = useState("");
  const restore = useMutation(trpc.backups.restore.mutationOptions({ onSuccess: props.onDone }));
  const errors = splitFieldErrors(restore.error, ["confirmName"]);
  const takenAt = b.completedAt ?? b.createdAt;
  return (
    <Dialog title={`Restore ${instanceName} from a backup`} onClose={props.onClose}>
      <p>
        The database of <strong>{instanceName}</strong> is replaced with the backup taken{" "}
        {formatDateTime(takenAt)} ({formatAge(takenAt, props.now)}). Changes made since then are lost from the
        instance.
      </p>
      <p>
        Before anything is replaced, an automatic backup of the database as it is now is taken. It appears in
        the list as “{BACKUP_KIND_LABELS.pre_restore}”; restore that one to undo this restore. The instance
        shows as Restoring until it is done.
      </p>
      {b.verification !== "verified" && (
        <p className="error">
          {b.verification === "error"
            ? "This backup's verification could not run; it has not been checked against what was dumped."
            : "This backup has not been verified yet."}
        </p>
      )}
      <form
        aria-label="Confirm the restore"
        onSubmit={(e) => {
          e.preventDefault();
          restore.mutate({ orgId: props.orgId, backupId: b.id, confirmName });
        }}
      >
        <Field label={`Type ${instanceName} to confirm`} error={errors.fields.confirmName}>
          {(c) => (
            <input
              {...c}
              value={confirmName}
              autoComplete="off"
              onChange={(e) => {
                restore.reset();
                setConfirmName(e.target.value);
              }}
            />
          )}
        </Field>
        {errors.other && <QueryError error={{ message: errors.other, data: restore.error?.data }} />}
        <div className="toolbar" style={{ marginTop: "1rem", marginBottom: 0 }}>
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="danger"
            disabled={restore.isPending || confirmName.trim() !== instanceName}
          >
            {restore.isPending ? "Queuing…" : "Restore"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const CLONE_FIELDS = ["name", "subdomain"] as const;

function CloneDialog(props: {
  orgId: string;
  backup: Backup;
  instanceName: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState(`${props.instanceName} copy`.slice(0, 60));
  const [subdomain, setSubdomain] = useState("");
  const clone = useMutation(
    trpc.backups.clone.mutationOptions({
      onSuccess: (r) => {
        props.onDone();
        router.push(`/orgs/${props.orgId}/instances/${r.instanceId}`);
      },
    }),
  );
  const local: Partial<Record<(typeof CLONE_FIELDS)[number], string>> = {};
  const trimmed = name.trim();
  if (trimmed.length < 3) local.name = "must be at least 3 characters";
  else if (trimmed.length > 60) local.name = "must be at most 60 characters";
  const sub = ZSubdomain.safeParse(subdomain);
  // An empty subdomain is not yet a mistake; the button waits for it.
  if (!sub.success && subdomain !== "") local.subdomain = sub.error.issues[0]?.message;
  const server = splitFieldErrors(clone.error, CLONE_FIELDS);
  const errorOf = (f: (typeof CLONE_FIELDS)[number]) => server.fields[f] ?? local[f];
  const takenAt = props.backup.completedAt ?? props.backup.createdAt;
  return (
    <Dialog title="Clone to a new instance" onClose={props.onClose}>
      <p>
        A new instance in this organization, made from the backup of {props.instanceName} taken{" "}
        {formatDateTime(takenAt)}: the same cloud, region, size, MySQL version and sign-in, with
        provider-hosted storage holding a copy of the backup&apos;s bucket objects. It counts towards your
        organization&apos;s quota; {props.instanceName} is not changed.
      </p>
      <form
        className="inline"
        aria-label="New instance from the backup"
        onSubmit={(e) => {
          e.preventDefault();
          if (sub.success)
            clone.mutate({
              orgId: props.orgId,
              backupId: props.backup.id,
              name: trimmed,
              subdomain: sub.data,
            });
        }}
      >
        <Field label="Instance name" error={errorOf("name")}>
          {(c) => (
            <input
              {...c}
              value={name}
              onChange={(e) => {
                clone.reset();
                setName(e.target.value);
              }}
            />
          )}
        </Field>
        <Field label="Subdomain" error={errorOf("subdomain")}>
          {(c) => (
            <input
              {...c}
              value={subdomain}
              autoComplete="off"
              onChange={(e) => {
                clone.reset();
                setSubdomain(e.target.value);
              }}
            />
          )}
        </Field>
        {server.other && <QueryError error={{ message: server.other, data: clone.error?.data }} />}
        <div className="toolbar" style={{ width: "100%", marginBottom: 0 }}>
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            disabled={clone.isPending || !sub.success || Boolean(local.name) || Boolean(local.subdomain)}
          >
            {clone.isPending ? "Creating…" : "Create the clone"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
