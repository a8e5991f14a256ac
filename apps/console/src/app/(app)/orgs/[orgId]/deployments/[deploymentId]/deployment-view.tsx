"use client";

import { DEPLOYMENT_PLATFORM_LABELS, type DeploymentPlatform } from "@cp/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatAge, formatDateTime } from "~/components/format";
import { LicensePublicKeyPanel, LicensesPanel, LicenseStatusBadge } from "~/components/licenses";
import { QueryError } from "~/components/query-error";
import { DeploymentUsagePanel } from "~/components/usage";
import { useTRPC } from "~/trpc/react";

const TEMPLATE_PLATFORMS = [
  "aws",
  "gcp",
  "azure",
  "bare_metal",
] as const satisfies readonly DeploymentPlatform[];
const TEMPLATE_LABELS: Record<(typeof TEMPLATE_PLATFORMS)[number], string> = {
  aws: "AWS template (Pulumi)",
  gcp: "Google Cloud template (Pulumi)",
  azure: "Azure template (Pulumi)",
  bare_metal: "Bare-metal bundle (Helm values and README)",
};
const SIZES = [
  { value: "minimum", label: "Minimum (4 vCPU / 8 GB nodes)" },
  { value: "recommended", label: "Recommended (8 vCPU / 32 GB nodes)" },
] as const;

export function DeploymentView({
  orgId,
  deploymentId,
  canReveal,
  canManage,
  canDownload,
}: {
  orgId: string;
  deploymentId: string;
  /** Org admins and SREs/staff admins see the token. */
  canReveal: boolean;
  /** SREs and staff admins issue, renew and revoke. */
  canManage: boolean;
  /** Install templates carry the license: org admins and staff download them. */
  canDownload: boolean;
}) {
  const trpc = useTRPC();
  const deployment = useQuery(trpc.deployments.get.queryOptions({ orgId, deploymentId }));
  if (deployment.error) return <QueryError error={deployment.error} />;
  if (!deployment.data) return <p aria-busy="true">Loading…</p>;
  const d = deployment.data;
  const usable = d.licenses.some((l) => l.status === "active" || l.status === "expiring");
  return (
    <>
      <p>
        <Link href={`/orgs/${orgId}/deployments`}>← Deployments</Link>
      </p>
      <h1>{d.name}</h1>
      <dl
        data-testid="deployment-facts"
        style={{ display: "grid", gridTemplateColumns: "max-content 1fr", gap: "0.25rem 1rem" }}
      >
        <dt>Platform</dt>
        <dd>{DEPLOYMENT_PLATFORM_LABELS[d.platform]}</dd>
        <dt>Version</dt>
        <dd>
          <code data-testid="deployment-version">{d.version}</code>
        </dd>
        <dt>Last report</dt>
        <dd data-testid="deployment-last-report">
          {d.lastReportAt ? `${d.lastReportDay ?? ""} (received ${formatAge(d.lastReportAt)})` : "Never"}
        </dd>
        <dt>License</dt>
        <dd>
          <LicenseStatusBadge status={d.licenseStatus} />
          {d.licenseExpiresAt && <span className="muted"> until {formatDateTime(d.licenseExpiresAt)}</span>}
        </dd>
        <dt>Contact</dt>
        <dd>
          {d.contactName} &lt;{d.contactEmail}&gt;
        </dd>
        <dt>Registered</dt>
        <dd>{formatDateTime(d.createdAt)}</dd>
      </dl>

      <LicensesPanel orgId={orgId} deploymentId={deploymentId} canReveal={canReveal} canManage={canManage} />

      {canDownload && <TemplateDownloads deploymentId={deploymentId} platform={d.platform} usable={usable} />}

      <DeploymentUsagePanel orgId={orgId} deploymentId={deploymentId} />

      <LicensePublicKeyPanel />
    </>
  );
}

/** Install templates with the deployment's license filled in (built by the template route, audited there). */
function TemplateDownloads({
  deploymentId,
  platform,
  usable,
}: {
  deploymentId: string;
  platform: DeploymentPlatform;
  usable: boolean;
}) {
  const [size, setSize] = useState<(typeof SIZES)[number]["value"]>("recommended");
  // The deployment's own cloud first; the others stay offered for a move.
  const order = [...TEMPLATE_PLATFORMS].sort((a, b) => Number(b === platform) - Number(a === platform));
  return (
    <section className="panel" aria-labelledby="templates-title">
      <h2 id="templates-title">Install templates</h2>
      {!usable ? (
        <p className="muted" role="status">
          The templates carry the deployment&apos;s license: they are offered once it has a valid one.
        </p>
      ) : (
        <>
          <p>
            Pulumi programs that stand up what the deployment needs (Kubernetes cluster, MySQL with backups, a
            bucket with audit logging, optional Redis), with this deployment&apos;s license filled in. Keep
            the download private: it contains the license.
          </p>
          <label className="field">
            Node size
            <select value={size} onChange={(e) => setSize(e.target.value as typeof size)}>
              {SIZES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </label>
          <ul>
            {order.map((p) => (
              <li key={p}>
                <a
                  href={`/api/deployments/${deploymentId}/template?platform=${p}&size=${size}`}
                  download
                  data-testid={`template-download-${p}`}
                >
                  Download the {TEMPLATE_LABELS[p]}
                </a>
                {p === platform && <span className="muted"> (this deployment&apos;s platform)</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
