"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Dialog } from "~/components/dialog";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { SupportStateBadge, withoutFieldName } from "~/components/releases";
import { useTRPC } from "~/trpc/react";

type Release = inferRouterOutputs<AppRouter>["releases"]["list"][number];

/**
 * The release catalog, newest first, withdrawn releases included (they stay in the list, marked, since instances may
 * still run them). Staff admins (`canEdit`; the server checks again) add releases and withdraw them.
 */
export function ReleasesView({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const releases = useQuery(trpc.releases.list.queryOptions({ includeWithdrawn: true }));
  const [adding, setAdding] = useState(false);
  const [withdrawing, setWithdrawing] = useState<Release | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <h1>Releases</h1>
      <p className="muted">
        The versions instances can run. New orders pick from supported, released, non-withdrawn versions;
        campaigns upgrade the fleet to them.
      </p>
      {canEdit && (
        <div className="toolbar">
          <button
            type="button"
            onClick={() => {
              setNotice(null);
              setAdding((a) => !a);
            }}
            aria-expanded={adding}
          >
            Add release
          </button>
        </div>
      )}
      {canEdit && adding && (
        <AddReleaseForm
          onDone={(version) => {
            setAdding(false);
            setNotice(`Release ${version} added.`);
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {releases.error && <QueryError error={releases.error} />}
      {!releases.data && !releases.error && <p aria-busy="true">Loading…</p>}
      {releases.data && (
        <table data-testid="releases-table">
          <caption>Release catalog, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Channel</th>
              <th scope="col">Released</th>
              <th scope="col">Requires</th>
              <th scope="col">End of support</th>
              <th scope="col">Rollback</th>
              <th scope="col">Instances</th>
              {canEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {releases.data.length === 0 && (
              <tr>
                <td colSpan={canEdit ? 8 : 7} className="empty">
                  No releases yet.
                </td>
              </tr>
            )}
            {releases.data.map((r) => (
              <tr
                key={r.version}
                data-testid="release-row"
                data-version={r.version}
                className={r.withdrawnAt ? "muted" : undefined}
              >
                <td>
                  <strong>{r.version}</strong>
                  {r.withdrawnAt && (
                    <div>
                      <span className="badge bad" title={formatDateTime(r.withdrawnAt)}>
                        Withdrawn
                      </span>{" "}
                      {r.withdrawnReason && <span className="muted">{r.withdrawnReason}</span>}
                    </div>
                  )}
                  {r.notes && <div className="muted">{r.notes}</div>}
                </td>
                <td>
                  <span className={`badge ${r.channel === "beta" ? "warn" : ""}`}>{r.channel}</span>
                </td>
                <td>{formatDateTime(r.releasedAt)}</td>
                <td>{r.requiresVersion ?? "—"}</td>
                <td>
                  {r.endOfSupportAt ? formatDateTime(r.endOfSupportAt) : "—"}{" "}
                  <SupportStateBadge state={r.supportState} />
                </td>
                <td>
                  {r.noRollback ? (
                    <span
                      className="badge warn"
                      title="Its schema change is not backward compatible: a rollback restores the backup taken before the upgrade"
                    >
                      No rollback
                    </span>
                  ) : (
                    <span className="muted">Rollback possible</span>
                  )}
                </td>
                <td>{r.instanceCount}</td>
                {canEdit && (
                  <td>
                    {!r.withdrawnAt && (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => {
                          setNotice(null);
                          setWithdrawing(r);
                        }}
                      >
                        Withdraw
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {withdrawing && (
        <WithdrawDialog
          release={withdrawing}
          onClose={() => setWithdrawing(null)}
          onDone={() => {
            setNotice(`Release ${withdrawing.version} withdrawn.`);
            setWithdrawing(null);
          }}
        />
      )}
    </>
  );
}

const ADD_FIELDS = [
  "version",
  "releasedAt",
  "channel",
  "requiresVersion",
  "endOfSupportAt",
  "noRollback",
  "notes",
] as const;
type AddField = (typeof ADD_FIELDS)[number];

/** "YYYY-MM-DD" from a date input as midnight UTC: catalog dates are days, the same for everyone. */
const dayToDate = (day: string) => new Date(`${day}T00:00:00.000Z`);

function AddReleaseForm(props: { onDone: (version: string) => void; onCancel: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [version, setVersion] = useState("");
  const [releasedAt, setReleasedAt] = useState("");
  const [channel, setChannel] = useState<"stable" | "beta">("stable");
  const [requiresVersion, setRequiresVersion] = useState("");
  const [endOfSupportAt, setEndOfSupportAt] = useState("");
  const [noRollback, setNoRollback] = useState(false);
  const [notes, setNotes] = useState("");
  const create = useMutation(
    trpc.releases.create.mutationOptions({
      onSuccess: (_r, input) => {
        props.onDone(input.version);
        return qc.invalidateQueries({ queryKey: trpc.releases.pathKey() });
      },
    }),
  );
  const errors = splitFieldErrors(create.error, ADD_FIELDS);
  const errorOf = (f: AddField) => withoutFieldName(f, errors.fields[f]);
  const edit = (fn: () => void) => {
    create.reset();
    fn();
  };

  return (
    <section className="panel" aria-labelledby="add-release-title">
      <h2 id="add-release-title" style={{ marginTop: 0 }}>
        Add a release
      </h2>
      <form
        className="inline"
        aria-label="Add a release"
        style={{ alignItems: "flex-start" }}
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({
            version: version.trim(),
            channel,
            notes: notes.trim(),
            noRollback,
            requiresVersion: requiresVersion.trim() || null,
            endOfSupportAt: endOfSupportAt ? dayToDate(endOfSupportAt) : null,
            ...(releasedAt ? { releasedAt: dayToDate(releasedAt) } : {}),
          });
        }}
      >
        <Field label="Version" error={errorOf("version")} hint="MAJOR.MINOR.PATCH, e.g. 0.66.0">
          {(c) => (
            <input
              {...c}
              value={version}
              autoComplete="off"
              style={{ width: "9rem" }}
              onChange={(e) => edit(() => setVersion(e.target.value))}
            />
          )}
        </Field>
        <Field label="Channel" error={errorOf("channel")}>
          {(c) => (
            <select
              {...c}
              value={channel}
              onChange={(e) => edit(() => setChannel(e.target.value as "stable" | "beta"))}
            >
              <option value="stable">stable</option>
              <option value="beta">beta</option>
            </select>
          )}
        </Field>
        <Field label="Release date (UTC)" error={errorOf("releasedAt")} hint="Empty: now">
          {(c) => (
            <input
              {...c}
              type="date"
              value={releasedAt}
              onChange={(e) => edit(() => setReleasedAt(e.target.value))}
            />
          )}
        </Field>
        <Field label="Requires version" error={errorOf("requiresVersion")} hint="Optional required step">
          {(c) => (
            <input
              {...c}
              value={requiresVersion}
              autoComplete="off"
              style={{ width: "9rem" }}
              onChange={(e) => edit(() => setRequiresVersion(e.target.value))}
            />
          )}
        </Field>
        <Field label="End of support (UTC)" error={errorOf("endOfSupportAt")} hint="Optional">
          {(c) => (
            <input
              {...c}
              type="date"
              value={endOfSupportAt}
              onChange={(e) => edit(() => setEndOfSupportAt(e.target.value))}
            />
          )}
        </Field>
        <Field label="Notes" error={errorOf("notes")}>
          {(c) => (
            <input
              {...c}
              value={notes}
              style={{ width: "20rem" }}
              onChange={(e) => edit(() => setNotes(e.target.value))}
            />
          )}
        </Field>
        <label className="choice" style={{ marginTop: "1.3rem" }}>
          <input
            type="checkbox"
            checked={noRollback}
            onChange={(e) => edit(() => setNoRollback(e.target.checked))}
          />{" "}
          No rollback (schema change not backward compatible)
        </label>
        {errorOf("noRollback") && <p className="error">{errorOf("noRollback")}</p>}
        {errors.other && <QueryError error={{ message: errors.other, data: create.error?.data }} />}
        <div className="toolbar" style={{ width: "100%", marginBottom: 0 }}>
          <button type="button" className="secondary" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" disabled={create.isPending || version.trim() === ""}>
            {create.isPending ? "Adding…" : "Add release"}
          </button>
        </div>
      </form>
    </section>
  );
}

function WithdrawDialog(props: { release: Release; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [reason, setReason] = useState("");
  const withdraw = useMutation(
    trpc.releases.withdraw.mutationOptions({
      onSuccess: () => {
        props.onDone();
        return qc.invalidateQueries({ queryKey: trpc.releases.pathKey() });
      },
    }),
  );
  const errors = splitFieldErrors(withdraw.error, ["reason"]);
  const r = props.release;
  return (
    <Dialog title={`Withdraw ${r.version}`} onClose={props.onClose}>
      <p>
        A withdrawn release can no longer be ordered or targeted by a campaign. The {r.instanceCount} instance
        {r.instanceCount === 1 ? "" : "s"} on it keep running it.
      </p>
      <form
        aria-label="Withdraw the release"
        onSubmit={(e) => {
          e.preventDefault();
          withdraw.mutate({ version: r.version, reason: reason.trim() });
        }}
      >
        <Field label="Reason" error={withoutFieldName("reason", errors.fields.reason)}>
          {(c) => (
            <textarea
              {...c}
              rows={3}
              value={reason}
              style={{ width: "100%" }}
              onChange={(e) => {
                withdraw.reset();
                setReason(e.target.value);
              }}
            />
          )}
        </Field>
        {errors.other && <QueryError error={{ message: errors.other, data: withdraw.error?.data }} />}
        <div className="toolbar" style={{ marginTop: "1rem", marginBottom: 0 }}>
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={withdraw.isPending || reason.trim() === ""}>
            {withdraw.isPending ? "Withdrawing…" : "Withdraw"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
