"use client";

import {
  DEPLOYMENT_PLATFORM_LABELS,
  DEPLOYMENT_PLATFORMS,
  LICENSE_FEATURE_LABELS,
  LICENSE_FEATURES,
  type DeploymentPlatform,
  type LicenseFeature,
} from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { formatDateTime, formatMegabytes } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

const LIVE_MS = 2000;
const FIELDS = ["deploymentName", "platform", "contactName", "contactEmail", "seats", "licenseDays"] as const;

/**
 * Moving a Dedicated instance to a customer-managed deployment: the request form (org admins, SREs, staff admins),
 * the operation's progress, then the export's download links and the new deployment. SaaS orgs see why they cannot.
 */
export function MigrationPanel(props: {
  orgId: string;
  instanceId: string;
  /** Org admins, SREs and staff admins (the server checks again). */
  canAdmin: boolean;
  onChanged: () => unknown;
}) {
  const { orgId, instanceId, canAdmin } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery({
    ...trpc.deployments.migrationStatus.queryOptions({ orgId, instanceId }),
    refetchInterval: (q) => {
      const s = q.state.data?.operation?.status;
      return s === "queued" || s === "running" ? LIVE_MS : false;
    },
  });
  const [name, setName] = useState("");
  const [platform, setPlatform] = useState<DeploymentPlatform>("aws");
  const [contactName, setContactName] = useState("");
  const [contactEmail, setContactEmail] = useState("");
  const [seats, setSeats] = useState(50);
  const [licenseDays, setLicenseDays] = useState(365);
  const [features, setFeatures] = useState<LicenseFeature[]>([...LICENSE_FEATURES]);
  const [confirming, setConfirming] = useState(false);
  const migrate = useMutation(
    trpc.deployments.migrateFromDedicated.mutationOptions({
      onSuccess: () => setConfirming(false),
      onSettled: async () => {
        await qc.invalidateQueries({
          queryKey: trpc.deployments.migrationStatus.queryKey({ orgId, instanceId }),
        });
        await props.onChanged();
      },
    }),
  );
  const errors = splitFieldErrors(migrate.error, FIELDS);

  if (status.error) return <QueryError error={status.error} />;
  const s = status.data;
  if (!s) return null;
  const op = s.operation;
  const running = op?.status === "queued" || op?.status === "running";
  // Nothing to show to someone who cannot act, when there is no migration.
  if (!op && !canAdmin) return null;

  return (
    <section aria-labelledby="migration-heading" data-testid="migration-panel">
      <h2 id="migration-heading">Migrate to customer-managed</h2>
      {op && (
        <div role="status">
          <p>
            Migration to <strong>{op.deploymentName ?? "a customer-managed deployment"}</strong>:{" "}
            {op.status === "succeeded" ? "done" : op.status}
            {running && op.currentStep ? ` (${op.currentStep}, ${op.progress}%)` : ""}
            {op.finishedAt ? ` at ${formatDateTime(op.finishedAt)}` : ""}.
          </p>
          {running && (
            <div
              role="progressbar"
              aria-label="Migration progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={op.progress}
              className="progress"
            >
              <div style={{ width: `${op.progress}%` }} />
            </div>
          )}
          {op.error && <p className="error">{op.error}</p>}
        </div>
      )}
      {s.export && (
        <>
          <p>
            Export package (links valid until {formatDateTime(new Date(s.export.expiresAt))}). Restore the
            database as README.txt explains; copy the bucket as bucket-handoff.json describes.
          </p>
          <ul aria-label="Export files">
            {s.export.files.map((f) => (
              <li key={f.name}>
                {f.url ? (
                  <a href={f.url} rel="noreferrer" download={f.name}>
                    {f.name}
                  </a>
                ) : (
                  f.name
                )}{" "}
                ({formatMegabytes(f.bytes)})
              </li>
            ))}
          </ul>
          {!s.export.files.some((f) => f.url) && (
            <p>Only org admins and provider staff see the download links.</p>
          )}
        </>
      )}
      {s.deploymentId && (
        <p>
          <Link href={`/orgs/${orgId}/deployments/${s.deploymentId}`}>
            Open the customer-managed deployment
          </Link>{" "}
          for its license and install templates.
        </p>
      )}
      {!op || op.status === "failed" || op.status === "cancelled" ? (
        s.refusal ? (
          <p data-testid="migration-refusal">{s.refusal}</p>
        ) : canAdmin ? (
          <form
            aria-label="Migrate to customer-managed"
            onSubmit={(e) => {
              e.preventDefault();
              if (!confirming) {
                setConfirming(true);
                return;
              }
              migrate.mutate({
                orgId,
                instanceId,
                deploymentName: name,
                platform,
                contactName,
                contactEmail,
                seats,
                features,
                licenseDays,
              });
            }}
          >
            <p>
              Takes a final verified backup, exports the database, the bucket handoff plan and the
              configuration (without secrets), registers the customer-managed deployment with a license, then
              stops this instance; its data is removed after the retention period.
            </p>
            <Field label="Deployment name" error={errors.fields.deploymentName}>
              {(c) => <input {...c} required value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field label="Runs on" error={errors.fields.platform}>
              {(c) => (
                <select
                  {...c}
                  value={platform}
                  onChange={(e) => setPlatform(e.target.value as DeploymentPlatform)}
                >
                  {DEPLOYMENT_PLATFORMS.map((p) => (
                    <option key={p} value={p}>
                      {DEPLOYMENT_PLATFORM_LABELS[p]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Contact name" error={errors.fields.contactName}>
              {(c) => (
                <input {...c} required value={contactName} onChange={(e) => setContactName(e.target.value)} />
              )}
            </Field>
            <Field label="Contact e-mail" error={errors.fields.contactEmail}>
              {(c) => (
                <input
                  {...c}
                  type="email"
                  required
                  value={contactEmail}
                  onChange={(e) => setContactEmail(e.target.value)}
                />
              )}
            </Field>
            <Field label="Seats" error={errors.fields.seats}>
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={1}
                  value={seats}
                  onChange={(e) => setSeats(Number(e.target.value))}
                />
              )}
            </Field>
            <Field label="License valid for (days)" error={errors.fields.licenseDays}>
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={1}
                  max={1095}
                  value={licenseDays}
                  onChange={(e) => setLicenseDays(Number(e.target.value))}
                />
              )}
            </Field>
            <fieldset>
              <legend>Licensed features</legend>
              {LICENSE_FEATURES.map((f) => (
                <label key={f}>
                  <input
                    type="checkbox"
                    checked={features.includes(f)}
                    onChange={(e) =>
                      setFeatures((prev) => (e.target.checked ? [...prev, f] : prev.filter((x) => x !== f)))
                    }
                  />{" "}
                  {LICENSE_FEATURE_LABELS[f]}
                </label>
              ))}
            </fieldset>
            {errors.other && <p className="error">{errors.other}</p>}
            <button type="submit" disabled={migrate.isPending}>
              {confirming ? "Confirm: migrate and stop this instance" : "Migrate to customer-managed"}
            </button>
            {confirming && (
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            )}
          </form>
        ) : null
      ) : null}
    </section>
  );
}
