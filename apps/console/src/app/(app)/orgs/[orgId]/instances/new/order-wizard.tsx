"use client";

import {
  DEFAULT_RATE_LIMITS,
  PARTY_LABELS,
  REGIONS,
  RESPONSIBILITY_MATRIX,
  SIZE_IDS,
  SIZES,
  ZOrderInput,
  type OrderableCloud,
  type OrderInput,
  type SizeId,
} from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

const STEPS = [
  "Cloud and region",
  "Size and database",
  "Storage",
  "Sign-in",
  "Reliability",
  "Name",
  "Summary",
] as const;

interface Draft {
  cloud: OrderableCloud | "";
  region: string;
  size: SizeId;
  mysqlVersion: "5.7" | "8.0";
  storageMode: "provider" | "byob";
  bucket: string;
  bucketRegion: string;
  kmsKeyId: string;
  endpoint: string;
  accessKind: "role" | "keys" | "serviceAccount";
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  serviceAccount: string;
  ssoMode: "provider" | "oidc";
  issuer: string;
  clientId: string;
  clientSecret: string;
  flow: "pkce" | "implicit";
  externalRedis: boolean;
  filestream: number;
  graphql: number;
  name: string;
  subdomain: string;
  ipAllowlist: string;
}

const INITIAL: Draft = {
  cloud: "",
  region: "",
  size: "recommended",
  mysqlVersion: "8.0",
  storageMode: "provider",
  bucket: "",
  bucketRegion: "",
  kmsKeyId: "",
  endpoint: "",
  accessKind: "keys",
  roleArn: "",
  accessKeyId: "",
  secretAccessKey: "",
  serviceAccount: "",
  ssoMode: "provider",
  issuer: "",
  clientId: "",
  clientSecret: "",
  flow: "pkce",
  externalRedis: false,
  filestream: DEFAULT_RATE_LIMITS.filestream,
  graphql: DEFAULT_RATE_LIMITS.graphql,
  name: "",
  subdomain: "",
  ipAllowlist: "",
};

function toStorage(d: Draft): OrderInput["storage"] {
  if (d.storageMode === "provider") return { mode: "provider" };
  const access =
    d.accessKind === "role"
      ? { kind: "role" as const, roleArn: d.roleArn }
      : d.accessKind === "keys"
        ? { kind: "keys" as const, accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey }
        : { kind: "serviceAccount" as const, email: d.serviceAccount };
  return {
    mode: "byob",
    bucket: d.bucket,
    region: d.bucketRegion || d.region,
    ...(d.kmsKeyId ? { kmsKeyId: d.kmsKeyId } : {}),
    ...(d.endpoint ? { endpoint: d.endpoint } : {}),
    access,
  };
}

function toSso(d: Draft): OrderInput["sso"] {
  return d.ssoMode === "provider"
    ? { mode: "provider" }
    : { mode: "oidc", issuer: d.issuer, clientId: d.clientId, clientSecret: d.clientSecret, flow: d.flow };
}

function toOrder(d: Draft) {
  return {
    cloud: d.cloud,
    region: d.region,
    size: d.size,
    mysqlVersion: d.mysqlVersion,
    storage: toStorage(d),
    sso: toSso(d),
    reliability: {
      externalRedis: d.externalRedis,
      rateLimits: { filestream: d.filestream, graphql: d.graphql },
    },
    name: d.name,
    subdomain: d.subdomain,
    ipAllowlist: d.ipAllowlist.split(/[\s,]+/).filter(Boolean),
  };
}

/** Which steps own which fields, to send the user back to the right step. */
const FIELD_STEP: Record<string, number> = {
  cloud: 0,
  region: 0,
  size: 1,
  mysqlVersion: 1,
  storage: 2,
  sso: 3,
  reliability: 4,
  name: 5,
  subdomain: 5,
  ipAllowlist: 5,
};

export function OrderWizard({ orgId, isStaff }: { orgId: string; isStaff: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const clouds = useQuery(trpc.instances.clouds.queryOptions());
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }));
  const [step, setStep] = useState(0);
  const [d, setD] = useState<Draft>(INITIAL);
  const [acceptWarnings, setAcceptWarnings] = useState(false);
  const idempotencyKey = useMemo(() => crypto.randomUUID(), []);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((prev) => ({ ...prev, [k]: v }));

  const parsed = ZOrderInput.safeParse(toOrder(d));
  const issuesFor = (s: number) =>
    parsed.success ? [] : parsed.error.issues.filter((i) => FIELD_STEP[String(i.path[0])] === s);
  const stepIssues = issuesFor(step);

  const bucketCheck = useMutation(trpc.instances.checkBucket.mutationOptions());
  const qc = useQueryClient();
  // The issuer check only reads: a query, run on demand.
  const issuerCheck = useMutation({
    mutationFn: (sso: OrderInput["sso"]) =>
      qc.fetchQuery(trpc.instances.checkIssuer.queryOptions({ orgId, sso }, { staleTime: 0 })),
  });
  const order = useMutation(
    trpc.instances.order.mutationOptions({
      onSuccess: (r) => router.push(`/orgs/${orgId}/instances/${r.instanceId}`),
    }),
  );

  const quotaReached = org.data ? org.data.instanceCount >= org.data.instanceQuota : false;
  const dedicated = RESPONSIBILITY_MATRIX.map((r) => ({ area: r.area, cell: r.dedicated }));

  return (
    <>
      <h1>Order a dedicated instance</h1>
      {quotaReached && org.data && (
        <p role="alert" className="error">
          {org.data.name} has reached its quota of {org.data.instanceQuota} dedicated instances. Deprovision
          one, or ask provider staff to raise the quota.
        </p>
      )}
      <ol className="steps" aria-label="Order steps">
        {STEPS.map((s, i) => (
          <li
            key={s}
            aria-current={i === step ? "step" : undefined}
            className={i === step ? "current" : i < step ? "done" : ""}
          >
            {s}
          </li>
        ))}
      </ol>
      <section className="panel" aria-labelledby="step-title">
        <h2 id="step-title">{STEPS[step]}</h2>

        {step === 0 && (
          <>
            <fieldset>
              <legend>Cloud</legend>
              {clouds.error && <QueryError error={clouds.error} />}
              {clouds.data?.map((c) => (
                <label key={c.cloud} className="choice">
                  <input
                    type="radio"
                    name="cloud"
                    value={c.cloud}
                    disabled={!c.available}
                    checked={d.cloud === c.cloud}
                    onChange={() =>
                      setD((prev) => ({
                        ...prev,
                        cloud: c.cloud as OrderableCloud,
                        region: REGIONS[c.cloud as OrderableCloud]?.[0]?.code ?? "",
                      }))
                    }
                  />
                  {c.label}
                  {c.comingSoon ? (
                    <span className="badge">coming soon</span>
                  ) : (
                    !c.available && <span className="badge warn">not configured</span>
                  )}
                  {!c.available && !c.comingSoon && c.reason && <span className="muted"> — {c.reason}</span>}
                </label>
              ))}
            </fieldset>
            {d.cloud && (
              <label className="field">
                Region
                <select value={d.region} onChange={(e) => set("region", e.target.value)}>
                  {REGIONS[d.cloud].map((r) => (
                    <option key={r.code} value={r.code}>
                      {r.name} ({r.code})
                    </option>
                  ))}
                </select>
              </label>
            )}
          </>
        )}

        {step === 1 && (
          <>
            <fieldset>
              <legend>Size</legend>
              {SIZE_IDS.map((id) => {
                const s = SIZES[id];
                return (
                  <label key={id} className="choice">
                    <input
                      type="radio"
                      name="size"
                      checked={d.size === id}
                      onChange={() => set("size", id)}
                    />
                    <strong>{s.label}</strong> — {s.vcpu} vCPU / {s.memoryGiB} GB per node, {s.nodes} nodes,{" "}
                    {s.storageQuotaGiB} GB storage quota
                    {id === "recommended" && <span className="badge ok">recommended</span>}
                    {s.note && <span className="muted"> {s.note}</span>}
                  </label>
                );
              })}
            </fieldset>
            <fieldset>
              <legend>MySQL version</legend>
              {(["8.0", "5.7"] as const).map((v) => (
                <label key={v} className="choice">
                  <input
                    type="radio"
                    name="mysql"
                    checked={d.mysqlVersion === v}
                    onChange={() => set("mysqlVersion", v)}
                  />
                  MySQL {v}
                </label>
              ))}
            </fieldset>
          </>
        )}

        {step === 2 && (
          <>
            <fieldset>
              <legend>Object storage</legend>
              <label className="choice">
                <input
                  type="radio"
                  name="storage"
                  checked={d.storageMode === "provider"}
                  onChange={() => set("storageMode", "provider")}
                />
                Provider-hosted bucket (we create and run it, encrypted and versioned)
              </label>
              <label className="choice">
                <input
                  type="radio"
                  name="storage"
                  checked={d.storageMode === "byob"}
                  onChange={() => set("storageMode", "byob")}
                />
                Bring your own bucket (BYOB)
              </label>
            </fieldset>
            {d.storageMode === "byob" && (
              <div className="grid">
                <label className="field">
                  Bucket name
                  <input value={d.bucket} onChange={(e) => set("bucket", e.target.value)} />
                </label>
                <label className="field">
                  Bucket region
                  <input
                    value={d.bucketRegion}
                    placeholder={d.region}
                    onChange={(e) => set("bucketRegion", e.target.value)}
                  />
                </label>
                <label className="field">
                  KMS key (optional)
                  <input value={d.kmsKeyId} onChange={(e) => set("kmsKeyId", e.target.value)} />
                </label>
                <label className="field">
                  Endpoint (S3-compatible services only)
                  <input
                    value={d.endpoint}
                    placeholder="https://s3.example.com"
                    onChange={(e) => set("endpoint", e.target.value)}
                  />
                </label>
                <label className="field">
                  Access
                  <select
                    value={d.accessKind}
                    onChange={(e) => set("accessKind", e.target.value as Draft["accessKind"])}
                  >
                    {d.cloud !== "gcp" && <option value="role">Assumed IAM role</option>}
                    <option value="keys">Access keys</option>
                    {d.cloud === "gcp" && <option value="serviceAccount">Service account</option>}
                  </select>
                </label>
                {d.accessKind === "role" && (
                  <label className="field">
                    Role ARN
                    <input value={d.roleArn} onChange={(e) => set("roleArn", e.target.value)} />
                  </label>
                )}
                {d.accessKind === "keys" && (
                  <>
                    <label className="field">
                      Access key id
                      <input
                        value={d.accessKeyId}
                        onChange={(e) => set("accessKeyId", e.target.value)}
                        autoComplete="off"
                      />
                    </label>
                    <label className="field">
                      Secret access key
                      <input
                        type="password"
                        value={d.secretAccessKey}
                        onChange={(e) => set("secretAccessKey", e.target.value)}
                        autoComplete="off"
                      />
                    </label>
                  </>
                )}
                {d.accessKind === "serviceAccount" && (
                  <label className="field">
                    Service account e-mail
                    <input value={d.serviceAccount} onChange={(e) => set("serviceAccount", e.target.value)} />
                  </label>
                )}
                <div>
                  <button
                    type="button"
                    className="secondary"
                    disabled={!d.cloud || bucketCheck.isPending}
                    onClick={() =>
                      d.cloud && bucketCheck.mutate({ orgId, cloud: d.cloud, storage: toStorage(d) })
                    }
                  >
                    {bucketCheck.isPending ? "Checking…" : "Check bucket"}
                  </button>
                </div>
              </div>
            )}
            {bucketCheck.error && <QueryError error={bucketCheck.error} />}
            {bucketCheck.data && <Checklist title="Bucket checks" items={bucketCheck.data} />}
          </>
        )}

        {step === 3 && (
          <>
            <fieldset>
              <legend>How users sign in to the instance</legend>
              <label className="choice">
                <input
                  type="radio"
                  name="sso"
                  checked={d.ssoMode === "provider"}
                  onChange={() => set("ssoMode", "provider")}
                />
                Provider-managed (Auth0; SAML is available through it)
              </label>
              <label className="choice">
                <input
                  type="radio"
                  name="sso"
                  checked={d.ssoMode === "oidc"}
                  onChange={() => set("ssoMode", "oidc")}
                />
                Your OIDC provider
              </label>
            </fieldset>
            {d.ssoMode === "oidc" && (
              <div className="grid">
                <label className="field">
                  Issuer URL
                  <input
                    value={d.issuer}
                    placeholder="https://login.example.com"
                    onChange={(e) => set("issuer", e.target.value)}
                  />
                </label>
                <label className="field">
                  Client id
                  <input value={d.clientId} onChange={(e) => set("clientId", e.target.value)} />
                </label>
                <label className="field">
                  Client secret
                  <input
                    type="password"
                    value={d.clientSecret}
                    onChange={(e) => set("clientSecret", e.target.value)}
                    autoComplete="off"
                  />
                </label>
                <label className="field">
                  Flow
                  <select value={d.flow} onChange={(e) => set("flow", e.target.value as Draft["flow"])}>
                    <option value="pkce">Authorization code with PKCE</option>
                    <option value="implicit">Implicit</option>
                  </select>
                </label>
                <div>
                  <button
                    type="button"
                    className="secondary"
                    disabled={issuerCheck.isPending}
                    onClick={() => issuerCheck.mutate(toSso(d))}
                  >
                    {issuerCheck.isPending ? "Checking…" : "Check issuer"}
                  </button>
                </div>
              </div>
            )}
            {issuerCheck.error && <QueryError error={issuerCheck.error as { message: string }} />}
            {issuerCheck.data && <Checklist title="Issuer" items={issuerCheck.data.items} />}
          </>
        )}

        {step === 4 && (
          <div className="grid">
            <label className="choice">
              <input
                type="checkbox"
                checked={d.externalRedis}
                onChange={(e) => set("externalRedis", e.target.checked)}
              />
              External Redis cache
            </label>
            <label className="field">
              Filestream API rate limit (requests per second per key)
              <input
                type="number"
                min={1}
                value={d.filestream}
                onChange={(e) => set("filestream", Number(e.target.value))}
              />
            </label>
            <label className="field">
              GraphQL API rate limit (requests per second per key)
              <input
                type="number"
                min={1}
                value={d.graphql}
                onChange={(e) => set("graphql", Number(e.target.value))}
              />
            </label>
          </div>
        )}

        {step === 5 && (
          <div className="grid">
            <label className="field">
              Instance name
              <input value={d.name} onChange={(e) => set("name", e.target.value)} />
            </label>
            <label className="field">
              Subdomain
              <input value={d.subdomain} onChange={(e) => set("subdomain", e.target.value.toLowerCase())} />
            </label>
            <label className="field">
              IP allowlist (optional, CIDR blocks)
              <input
                value={d.ipAllowlist}
                placeholder="203.0.113.0/24"
                onChange={(e) => set("ipAllowlist", e.target.value)}
              />
            </label>
          </div>
        )}

        {step === 6 && parsed.success && (
          <>
            <table>
              <caption>Your order</caption>
              <tbody>
                <tr>
                  <th scope="row">Cloud and region</th>
                  <td>
                    {parsed.data.cloud} · {parsed.data.region}
                  </td>
                </tr>
                <tr>
                  <th scope="row">Size</th>
                  <td>
                    {SIZES[parsed.data.size].label}: {SIZES[parsed.data.size].vcpu} vCPU /{" "}
                    {SIZES[parsed.data.size].memoryGiB} GB × {SIZES[parsed.data.size].nodes} nodes,{" "}
                    {SIZES[parsed.data.size].storageQuotaGiB} GB storage quota
                  </td>
                </tr>
                <tr>
                  <th scope="row">Database</th>
                  <td>MySQL {parsed.data.mysqlVersion}</td>
                </tr>
                <tr>
                  <th scope="row">Storage</th>
                  <td>
                    {parsed.data.storage.mode === "byob"
                      ? `Your bucket ${parsed.data.storage.bucket}`
                      : "Provider-hosted bucket"}
                  </td>
                </tr>
                <tr>
                  <th scope="row">Sign-in</th>
                  <td>
                    {parsed.data.sso.mode === "oidc"
                      ? `OIDC: ${parsed.data.sso.issuer}`
                      : "Provider-managed (Auth0)"}
                  </td>
                </tr>
                <tr>
                  <th scope="row">Reliability</th>
                  <td>
                    External Redis {parsed.data.reliability.externalRedis ? "on" : "off"}; rate limits
                    filestream {parsed.data.reliability.rateLimits.filestream}/s, GraphQL{" "}
                    {parsed.data.reliability.rateLimits.graphql}/s
                  </td>
                </tr>
                <tr>
                  <th scope="row">Name</th>
                  <td>
                    {parsed.data.name} ({parsed.data.subdomain})
                  </td>
                </tr>
              </tbody>
            </table>
            <h3>Who runs what for a Dedicated instance</h3>
            <table>
              <caption>Shared responsibility: Dedicated</caption>
              <tbody>
                {dedicated.map((r) => (
                  <tr key={r.area}>
                    <th scope="row">{r.area}</th>
                    <td>
                      <span className="badge">{PARTY_LABELS[r.cell.party]}</span> {r.cell.detail}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {isStaff && (
              <label className="choice">
                <input
                  type="checkbox"
                  checked={acceptWarnings}
                  onChange={(e) => setAcceptWarnings(e.target.checked)}
                />
                As staff, accept checks that could not be verified
              </label>
            )}
            {order.error && <QueryError error={order.error} />}
          </>
        )}

        {stepIssues.length > 0 && step < 6 && (
          <ul className="error" aria-label="Fix these to continue">
            {stepIssues.map((i) => (
              <li key={`${i.path.join(".")}:${i.message}`}>
                {i.path.join(".")}: {i.message}
              </li>
            ))}
          </ul>
        )}

        <div className="toolbar" style={{ marginTop: "1rem" }}>
          {step > 0 && (
            <button type="button" className="secondary" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          {step < 6 && (
            <button type="button" disabled={stepIssues.length > 0} onClick={() => setStep(step + 1)}>
              Next
            </button>
          )}
          {step === 6 && (
            <button
              type="button"
              disabled={!parsed.success || order.isPending || quotaReached}
              onClick={() =>
                parsed.success &&
                order.mutate({
                  orgId,
                  order: parsed.data,
                  idempotencyKey,
                  acceptWarnings: isStaff && acceptWarnings,
                })
              }
            >
              {order.isPending ? "Placing order…" : "Place order"}
            </button>
          )}
        </div>
      </section>
    </>
  );
}

function Checklist({
  title,
  items,
}: {
  title: string;
  items: { id: string; label: string; status: string; message: string; fixHint: string | null }[];
}) {
  return (
    <table>
      <caption>{title}</caption>
      <tbody>
        {items.map((c) => (
          <tr key={c.id}>
            <th scope="row">{c.label}</th>
            <td>
              <span
                className={`badge ${c.status === "passed" ? "ok" : c.status === "failed" ? "bad" : "warn"}`}
              >
                {c.status === "unverifiable" ? "could not be verified" : c.status}
              </span>{" "}
              {c.message}
              {c.fixHint && c.status !== "passed" && <div className="muted">Fix: {c.fixHint}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
