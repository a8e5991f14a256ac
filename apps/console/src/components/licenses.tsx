"use client";

// Licenses of customer-managed deployments: status badges, the license table with its actions (reveal for admins;
// issue, renew and revoke for SREs and staff admins) and the public key a deployment verifies licenses with.
import type { AppRouter, inferRouterOutputs } from "@cp/api";
import {
  LICENSE_FEATURE_LABELS,
  LICENSE_FEATURES,
  LICENSE_MAX_SEATS,
  LICENSE_MAX_YEARS,
  type LicenseFeature,
  type LicenseStatus,
} from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Dialog } from "~/components/dialog";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

type Out = inferRouterOutputs<AppRouter>;
export type DeploymentDetail = Out["deployments"]["get"];
type License = DeploymentDetail["licenses"][number];

const STATUS_LABELS: Record<LicenseStatus | "none", string> = {
  active: "Active",
  expiring: "Expiring",
  expired: "Expired",
  revoked: "Revoked",
  none: "No license",
};
const STATUS_CLASS: Record<LicenseStatus | "none", string> = {
  active: "ok",
  expiring: "warn",
  expired: "bad",
  revoked: "bad",
  none: "",
};

export function LicenseStatusBadge({ status }: { status: LicenseStatus | "none" }) {
  return (
    <span className={`badge ${STATUS_CLASS[status]}`} data-testid="license-status">
      {STATUS_LABELS[status]}
    </span>
  );
}

const featureLabel = (f: string) => LICENSE_FEATURE_LABELS[f as LicenseFeature] ?? f;

/** "YYYY-MM-DD" `days` from now, for date inputs. */
function dateInDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
/** A date input's day, as the end of that day in UTC (a license dated the 31st is valid through the 31st). */
function endOfDayUtc(day: string): Date {
  return new Date(`${day}T23:59:59Z`);
}
const maxDay = () => dateInDays(LICENSE_MAX_YEARS * 365);

/**
 * A deployment's licenses, newest first. Org admins and SREs/staff admins may reveal a token (audited); SREs and
 * staff admins issue, renew and revoke.
 */
export function LicensesPanel({
  orgId,
  deploymentId,
  canReveal,
  canManage,
}: {
  orgId: string;
  deploymentId: string;
  canReveal: boolean;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const deployment = useQuery(trpc.deployments.get.queryOptions({ orgId, deploymentId }));
  const [renewing, setRenewing] = useState<License | null>(null);
  const [revoking, setRevoking] = useState<License | null>(null);
  if (deployment.error) return <QueryError error={deployment.error} />;
  if (!deployment.data) return <p aria-busy="true">Loading…</p>;
  const licenses = deployment.data.licenses;
  return (
    <section className="panel" aria-labelledby={`licenses-${deploymentId}`}>
      <h2 id={`licenses-${deploymentId}`}>Licenses</h2>
      {licenses.length === 0 ? (
        <p className="muted" role="status">
          No license has been issued for this deployment yet
          {canManage ? ": issue one below." : "; your provider contact issues it."}
        </p>
      ) : (
        <table data-testid="licenses-table">
          <caption>Licenses of {deployment.data.name}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Issued</th>
              <th scope="col">Expires</th>
              <th scope="col">Seats</th>
              <th scope="col">Features</th>
              <th scope="col">Key</th>
              {(canReveal || canManage) && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {licenses.map((l) => (
              <tr key={l.id} data-testid="license-row" data-license-id={l.id}>
                <td>
                  <LicenseStatusBadge status={l.status} />
                  {l.renewsId && <div className="muted">Renewal</div>}
                  {l.revokedReason && <div className="muted">Revoked: {l.revokedReason}</div>}
                </td>
                <td>{formatDateTime(l.issuedAt)}</td>
                <td>{formatDateTime(l.expiresAt)}</td>
                <td>{l.seats.toLocaleString()}</td>
                <td>{l.features.length ? l.features.map(featureLabel).join(", ") : "—"}</td>
                <td>
                  <code>{l.keyId}</code>
                </td>
                {(canReveal || canManage) && (
                  <td>
                    <div style={{ display: "flex", gap: "0.35rem", flexWrap: "wrap" }}>
                      {canReveal && <RevealToken orgId={orgId} license={l} />}
                      {canManage && l.status !== "revoked" && (
                        <>
                          <button type="button" className="secondary" onClick={() => setRenewing(l)}>
                            Renew
                          </button>
                          <button type="button" className="secondary" onClick={() => setRevoking(l)}>
                            Revoke
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canManage && <IssueLicenseForm orgId={orgId} deploymentId={deploymentId} />}
      {renewing && (
        <RenewDialog
          orgId={orgId}
          deploymentId={deploymentId}
          license={renewing}
          onClose={() => setRenewing(null)}
        />
      )}
      {revoking && (
        <RevokeDialog
          orgId={orgId}
          deploymentId={deploymentId}
          license={revoking}
          onClose={() => setRevoking(null)}
        />
      )}
    </section>
  );
}

/** Shows the token on request (each reveal is audited); it is kept only in this component's state. */
function RevealToken({ orgId, license }: { orgId: string; license: License }) {
  const trpc = useTRPC();
  const reveal = useMutation(trpc.deployments.licenseToken.mutationOptions());
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState(false);
  return (
    <>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          setOpen(true);
          setCopied(false);
          reveal.mutate({ orgId, licenseId: license.id });
        }}
      >
        Show license
      </button>
      {open && (
        <Dialog
          title="License token"
          onClose={() => {
            setOpen(false);
            reveal.reset();
          }}
        >
          {reveal.error && <QueryError error={reveal.error} />}
          {reveal.isPending && <p aria-busy="true">Loading…</p>}
          {reveal.data && (
            <>
              <p className="muted">
                Put this into the deployment&apos;s configuration (the install templates already carry it).
                Treat it like a password: it identifies your deployment when it reports usage. Viewing it is
                recorded in the audit log.
              </p>
              <textarea
                readOnly
                aria-label="License token"
                data-testid="license-token"
                rows={6}
                style={{ width: "100%", fontFamily: "monospace", fontSize: "0.8rem" }}
                value={reveal.data.token}
                onFocus={(e) => e.currentTarget.select()}
              />
              <p>
                <button
                  type="button"
                  className="secondary"
                  onClick={() => {
                    void navigator.clipboard
                      ?.writeText(reveal.data.token)
                      .then(() => setCopied(true))
                      .catch(() => setCopied(false));
                  }}
                >
                  Copy
                </button>{" "}
                {copied && <span role="status">Copied.</span>}
              </p>
            </>
          )}
          <p>
            <button
              type="button"
              onClick={() => {
                setOpen(false);
                reveal.reset();
              }}
            >
              Close
            </button>
          </p>
        </Dialog>
      )}
    </>
  );
}

function useInvalidateDeployment(orgId: string, deploymentId: string) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.deployments.get.queryKey({ orgId, deploymentId }) }),
      qc.invalidateQueries({ queryKey: trpc.deployments.list.queryKey() }),
    ]);
}

function FeatureChecks({
  value,
  onChange,
  error,
}: {
  value: LicenseFeature[];
  onChange: (v: LicenseFeature[]) => void;
  error?: string | null;
}) {
  return (
    <fieldset className="field">
      <legend>Features</legend>
      <div style={{ display: "flex", gap: "0.75rem", flexWrap: "wrap" }}>
        {LICENSE_FEATURES.map((f) => (
          <label key={f} style={{ display: "inline-flex", gap: "0.25rem", alignItems: "center" }}>
            <input
              type="checkbox"
              checked={value.includes(f)}
              onChange={(e) => onChange(e.target.checked ? [...value, f] : value.filter((x) => x !== f))}
            />
            {LICENSE_FEATURE_LABELS[f]}
          </label>
        ))}
      </div>
      {error && (
        <span className="error" style={{ fontSize: "0.85rem" }}>
          {error}
        </span>
      )}
    </fieldset>
  );
}

const FEATURE_KEYS = ["features", ...LICENSE_FEATURES.map((_, i) => `features.${i}`)];

function IssueLicenseForm({ orgId, deploymentId }: { orgId: string; deploymentId: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployment(orgId, deploymentId);
  const [seats, setSeats] = useState(100);
  const [features, setFeatures] = useState<LicenseFeature[]>(["sso", "audit-logs"]);
  const [expires, setExpires] = useState(() => dateInDays(365));
  const [done, setDone] = useState<string | null>(null);
  const issue = useMutation(
    trpc.deployments.issueLicense.mutationOptions({
      onSuccess: (l) => {
        setDone(`License issued, valid until ${formatDateTime(l.expiresAt)}.`);
        void invalidate();
      },
    }),
  );
  const errors = splitFieldErrors(issue.error, ["seats", "expiresAt", ...FEATURE_KEYS]);
  const featureError = FEATURE_KEYS.map((k) => errors.fields[k]).find(Boolean) ?? null;
  return (
    <form
      aria-label="Issue a license"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        issue.mutate({ deploymentId, seats, features, expiresAt: endOfDayUtc(expires) });
      }}
    >
      <h3>Issue a license</h3>
      <div className="inline" style={{ alignItems: "flex-start" }}>
        <Field label="Seats" error={errors.fields.seats} hint={`1 to ${LICENSE_MAX_SEATS.toLocaleString()}`}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={LICENSE_MAX_SEATS}
              required
              value={seats}
              onChange={(e) => setSeats(Number(e.target.value))}
            />
          )}
        </Field>
        <Field
          label="Expires on"
          error={errors.fields.expiresAt}
          hint={`At most ${LICENSE_MAX_YEARS} years out`}
        >
          {(p) => (
            <input
              {...p}
              type="date"
              required
              min={dateInDays(1)}
              max={maxDay()}
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
            />
          )}
        </Field>
      </div>
      <FeatureChecks value={features} onChange={setFeatures} error={featureError} />
      <button type="submit" disabled={issue.isPending}>
        Issue license
      </button>
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
  );
}

function RenewDialog({
  orgId,
  deploymentId,
  license,
  onClose,
}: {
  orgId: string;
  deploymentId: string;
  license: License;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployment(orgId, deploymentId);
  const base = Math.max(license.expiresAt.getTime(), Date.now());
  const [expires, setExpires] = useState(() => new Date(base + 365 * 86_400_000).toISOString().slice(0, 10));
  const [seats, setSeats] = useState(license.seats);
  const [features, setFeatures] = useState<LicenseFeature[]>(
    license.features.filter((f): f is LicenseFeature => (LICENSE_FEATURES as readonly string[]).includes(f)),
  );
  const renew = useMutation(
    trpc.deployments.renewLicense.mutationOptions({
      onSuccess: () => {
        void invalidate();
        onClose();
      },
    }),
  );
  const errors = splitFieldErrors(renew.error, ["seats", "expiresAt", ...FEATURE_KEYS]);
  const featureError = FEATURE_KEYS.map((k) => errors.fields[k]).find(Boolean) ?? null;
  return (
    <Dialog title="Renew license" onClose={onClose}>
      <form
        aria-label="Renew the license"
        onSubmit={(e) => {
          e.preventDefault();
          renew.mutate({ licenseId: license.id, expiresAt: endOfDayUtc(expires), seats, features });
        }}
      >
        <p className="muted">
          A renewal is a new license. The current one stays valid until {formatDateTime(license.expiresAt)},
          so the deployment can switch over without a gap.
        </p>
        <Field label="New expiry" error={errors.fields.expiresAt}>
          {(p) => (
            <input
              {...p}
              type="date"
              required
              max={maxDay()}
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
            />
          )}
        </Field>
        <Field label="Seats" error={errors.fields.seats}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={LICENSE_MAX_SEATS}
              required
              value={seats}
              onChange={(e) => setSeats(Number(e.target.value))}
            />
          )}
        </Field>
        <FeatureChecks value={features} onChange={setFeatures} error={featureError} />
        {errors.other && (
          <p role="alert" className="error">
            {errors.other}
          </p>
        )}
        <p style={{ display: "flex", gap: "0.5rem" }}>
          <button type="submit" disabled={renew.isPending}>
            Renew
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

function RevokeDialog({
  orgId,
  deploymentId,
  license,
  onClose,
}: {
  orgId: string;
  deploymentId: string;
  license: License;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployment(orgId, deploymentId);
  const [reason, setReason] = useState("");
  const revoke = useMutation(
    trpc.deployments.revokeLicense.mutationOptions({
      onSuccess: () => {
        void invalidate();
        onClose();
      },
    }),
  );
  const errors = splitFieldErrors(revoke.error, ["reason"]);
  return (
    <Dialog title="Revoke license" onClose={onClose}>
      <form
        aria-label="Revoke the license"
        onSubmit={(e) => {
          e.preventDefault();
          revoke.mutate({ licenseId: license.id, reason });
        }}
      >
        <p>
          The deployment&apos;s usage reports are refused from now on, and the license cannot be renewed. The
          customer&apos;s admins see the reason.
        </p>
        <Field label="Reason" error={errors.fields.reason}>
          {(p) => (
            <textarea
              {...p}
              required
              minLength={3}
              rows={3}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          )}
        </Field>
        {errors.other && (
          <p role="alert" className="error">
            {errors.other}
          </p>
        )}
        <p style={{ display: "flex", gap: "0.5rem" }}>
          <button type="submit" disabled={revoke.isPending}>
            Revoke license
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** The public key(s) licenses verify against, and where the JWKS is published. */
export function LicensePublicKeyPanel() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.deployments.publicKeys.queryOptions());
  const [origin, setOrigin] = useState("");
  // The console's own address is the browser's to know (it may sit behind a proxy).
  useEffect(() => setOrigin(window.location.origin), []);
  const jwksUrl = `${origin}/api/licenses/jwks`;
  return (
    <section className="panel" aria-labelledby="license-public-key-title">
      <h2 id="license-public-key-title">License public key</h2>
      <p>
        Verify licenses offline with this public key: a license is an EdDSA (Ed25519) JWT whose header names
        its key (<code>kid</code>). The keys are published as a JWKS at{" "}
        <a href="/api/licenses/jwks" data-testid="license-jwks-url">
          <code>{jwksUrl}</code>
        </a>
        .
      </p>
      {keys.error && <QueryError error={keys.error} />}
      {keys.data?.keys.map((k) => (
        <details key={k.kid} open={k.signing}>
          <summary>
            Key <code>{k.kid}</code> {k.signing ? "(signs new licenses)" : "(verifies earlier licenses)"}
          </summary>
          <pre className="log" data-testid="license-public-key">
            {k.pem}
          </pre>
          <pre className="log">{JSON.stringify(k.jwk, null, 2)}</pre>
        </details>
      ))}
    </section>
  );
}
