"use client";

import { CLOUD_LABELS } from "@cp/core";
import { skipToken, useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { QueryError } from "~/components/query-error";
import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { formatInViewerZone, viewerTimeZone, withoutFieldName } from "~/components/releases";
import { useTRPC } from "~/trpc/react";

type Preview = inferRouterOutputs<AppRouter>["campaigns"]["preview"];

const FIELDS = [
  "name",
  "targetVersion",
  "selector",
  "selector.clouds",
  "selector.regions",
  "selector.orgIds",
  "selector.versionRange",
  "selector.versionRange.min",
  "selector.versionRange.max",
  "selector.channel",
  "selector.instanceIds",
  "strategy",
  "strategy.canary",
  "strategy.waves",
  "strategy.maxConcurrent",
  "strategy.failureThreshold",
  "gate",
  "gate.soakSeconds",
  "gate.minRequests",
  "urgentReason",
] as const;

/** The clouds a campaign selects on (no instance runs on Azure). */
const CAMPAIGN_CLOUDS = ["aws", "gcp", "local"] as const;
type CampaignCloud = (typeof CAMPAIGN_CLOUDS)[number];

/** A comma/space/newline separated list, without empties. */
const list = (s: string) => s.split(/[\s,]+/).filter(Boolean);

const intOrNaN = (s: string) => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN);

/**
 * A new upgrade campaign: what to upgrade (target version and a selector), how (canary, waves, concurrency, failure
 * threshold, health gate) and whether it ignores maintenance windows (urgent, with a reason). "Preview" shows the
 * planned schedule the server computes from the same input; "Create" saves it as a draft and opens its page.
 */
export function CampaignForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const releases = useQuery(trpc.releases.list.queryOptions({}));
  const orgs = useQuery(trpc.orgs.list.queryOptions({}));

  const [name, setName] = useState("");
  const [targetVersion, setTargetVersion] = useState("");
  const [clouds, setClouds] = useState<CampaignCloud[]>([]);
  const [regions, setRegions] = useState("");
  const [orgIds, setOrgIds] = useState<string[]>([]);
  const [versionMin, setVersionMin] = useState("");
  const [versionMax, setVersionMax] = useState("");
  const [channel, setChannel] = useState<"" | "stable" | "beta">("");
  const [instanceIds, setInstanceIds] = useState("");
  const [canary, setCanary] = useState("1");
  const [wavesBy, setWavesBy] = useState<"percent" | "count">("percent");
  const [waves, setWaves] = useState("50,100");
  const [maxConcurrent, setMaxConcurrent] = useState("3");
  const [failureThreshold, setFailureThreshold] = useState("1");
  const [gateEnabled, setGateEnabled] = useState(true);
  const [soakSeconds, setSoakSeconds] = useState("60");
  const [minRequests, setMinRequests] = useState("20");
  const [urgent, setUrgent] = useState(false);
  const [urgentReason, setUrgentReason] = useState("");

  // Checked here so a typo is named at once; the server checks everything again and its word is final.
  const local: Partial<Record<(typeof FIELDS)[number], string>> = {};
  const waveNumbers = list(waves).map(intOrNaN);
  if (waveNumbers.length === 0) local["strategy.waves"] = "give at least one wave, e.g. 50,100";
  else if (waveNumbers.some((n) => !Number.isInteger(n) || n < 1))
    local["strategy.waves"] = "use whole numbers separated by commas, e.g. 50,100";
  else if (wavesBy === "percent" && waveNumbers.some((n) => n > 100))
    local["strategy.waves"] = "a percent is at most 100";
  const num = (field: (typeof FIELDS)[number], s: string, min: number) => {
    const n = intOrNaN(s);
    if (!Number.isInteger(n) || n < min) local[field] = `a whole number, at least ${min}`;
    return n;
  };
  const draft = {
    targetVersion,
    selector: {
      ...(clouds.length ? { clouds } : {}),
      ...(list(regions).length ? { regions: list(regions) } : {}),
      ...(orgIds.length ? { orgIds } : {}),
      ...(versionMin.trim() || versionMax.trim()
        ? {
            versionRange: {
              ...(versionMin.trim() ? { min: versionMin.trim() } : {}),
              ...(versionMax.trim() ? { max: versionMax.trim() } : {}),
            },
          }
        : {}),
      ...(channel ? { channel } : {}),
      ...(list(instanceIds).length ? { instanceIds: list(instanceIds) } : {}),
    },
    strategy: {
      canary: num("strategy.canary", canary, 0),
      waves: waveNumbers.map((n) => (wavesBy === "percent" ? { percent: n } : { count: n })),
      maxConcurrent: num("strategy.maxConcurrent", maxConcurrent, 1),
      failureThreshold: num("strategy.failureThreshold", failureThreshold, 1),
    },
    gate: {
      enabled: gateEnabled,
      soakSeconds: num("gate.soakSeconds", soakSeconds, 0),
      minRequests: num("gate.minRequests", minRequests, 0),
    },
    urgent,
  };
  if (urgent && urgentReason.trim() === "")
    local.urgentReason = "an urgent campaign ignores maintenance windows: say why";
  const valid = targetVersion !== "" && Object.keys(local).length === 0;

  // The preview is of what the form said when "Preview" was pressed; editing afterwards marks it stale.
  const [previewed, setPreviewed] = useState<typeof draft | null>(null);
  const preview = useQuery({
    ...trpc.campaigns.preview.queryOptions(previewed ?? skipToken),
    retry: false,
  });
  const stale = previewed !== null && JSON.stringify(previewed) !== JSON.stringify(draft);

  const create = useMutation(
    trpc.campaigns.create.mutationOptions({
      onSuccess: (c) => router.push(`/fleet/campaigns/${c.id}`),
    }),
  );
  const error = create.error ?? preview.error;
  const server = splitFieldErrors(error, FIELDS);
  const errorOf = (f: (typeof FIELDS)[number]) => withoutFieldName(f, server.fields[f] ?? local[f]);
  const edit = (fn: () => void) => {
    create.reset();
    fn();
  };

  const candidates = (releases.data ?? []).filter((r) => !r.withdrawnAt);
  const zone = viewerTimeZone();

  return (
    <>
      <h1>New upgrade campaign</h1>
      {releases.error && <QueryError error={releases.error} />}
      {orgs.error && <QueryError error={orgs.error} />}
      <form
        aria-label="New campaign"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) create.mutate({ ...draft, name: name.trim(), ...(urgent ? { urgentReason } : {}) });
        }}
      >
        <fieldset>
          <legend>Campaign</legend>
          <div className="grid">
            <Field label="Name" error={errorOf("name")}>
              {(c) => <input {...c} value={name} onChange={(e) => edit(() => setName(e.target.value))} />}
            </Field>
            <Field label="Target version" error={errorOf("targetVersion")}>
              {(c) => (
                <select
                  {...c}
                  value={targetVersion}
                  onChange={(e) => edit(() => setTargetVersion(e.target.value))}
                >
                  <option value="">Choose…</option>
                  {candidates.map((r) => (
                    <option key={r.version} value={r.version}>
                      {r.version} ({r.channel}
                      {r.noRollback ? ", no rollback" : ""})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Instances</legend>
          <p className="muted" style={{ marginTop: 0 }}>
            Every condition given must hold; leave a field empty to not filter by it. Deleted instances and
            instances already on the target are never included.
          </p>
          <div role="group" aria-label="Clouds" className="toolbar">
            {CAMPAIGN_CLOUDS.map((cl) => (
              <label key={cl} className="choice">
                <input
                  type="checkbox"
                  checked={clouds.includes(cl)}
                  onChange={(e) =>
                    edit(() =>
                      setClouds((prev) => (e.target.checked ? [...prev, cl] : prev.filter((x) => x !== cl))),
                    )
                  }
                />{" "}
                {CLOUD_LABELS[cl]}
              </label>
            ))}
          </div>
          {errorOf("selector.clouds") && <p className="error">{errorOf("selector.clouds")}</p>}
          <div className="grid">
            <Field label="Regions" error={errorOf("selector.regions")} hint="Comma separated, e.g. eu-west-1">
              {(c) => (
                <input {...c} value={regions} onChange={(e) => edit(() => setRegions(e.target.value))} />
              )}
            </Field>
            <Field label="Organizations" error={errorOf("selector.orgIds")} hint="None selected: all">
              {(c) => (
                <select
                  {...c}
                  multiple
                  size={Math.min(5, Math.max(2, orgs.data?.length ?? 2))}
                  value={orgIds}
                  onChange={(e) =>
                    edit(() => setOrgIds(Array.from(e.target.selectedOptions, (o) => o.value)))
                  }
                >
                  {(orgs.data ?? []).map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label="Current version from"
              error={errorOf("selector.versionRange.min") ?? errorOf("selector.versionRange")}
              hint="Inclusive, e.g. 0.60.0"
            >
              {(c) => (
                <input
                  {...c}
                  value={versionMin}
                  onChange={(e) => edit(() => setVersionMin(e.target.value))}
                />
              )}
            </Field>
            <Field label="Current version to" error={errorOf("selector.versionRange.max")} hint="Inclusive">
              {(c) => (
                <input
                  {...c}
                  value={versionMax}
                  onChange={(e) => edit(() => setVersionMax(e.target.value))}
                />
              )}
            </Field>
            <Field label="Current channel" error={errorOf("selector.channel")}>
              {(c) => (
                <select
                  {...c}
                  value={channel}
                  onChange={(e) => edit(() => setChannel(e.target.value as "" | "stable" | "beta"))}
                >
                  <option value="">Any</option>
                  <option value="stable">stable</option>
                  <option value="beta">beta</option>
                </select>
              )}
            </Field>
            <Field
              label="Instance ids"
              error={errorOf("selector.instanceIds")}
              hint="Optional explicit list, separated by commas or spaces"
            >
              {(c) => (
                <textarea
                  {...c}
                  rows={2}
                  value={instanceIds}
                  onChange={(e) => edit(() => setInstanceIds(e.target.value))}
                />
              )}
            </Field>
          </div>
          {(server.fields.selector ?? null) && <p className="error">{server.fields.selector}</p>}
        </fieldset>

        <fieldset>
          <legend>Strategy</legend>
          <div className="grid">
            <Field label="Canary instances" error={errorOf("strategy.canary")} hint="0: no canary wave">
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={0}
                  value={canary}
                  onChange={(e) => edit(() => setCanary(e.target.value))}
                />
              )}
            </Field>
            <Field label="Waves by" error={null}>
              {(c) => (
                <select
                  {...c}
                  value={wavesBy}
                  onChange={(e) => edit(() => setWavesBy(e.target.value as "percent" | "count"))}
                >
                  <option value="percent">percent of the rest</option>
                  <option value="count">number of instances</option>
                </select>
              )}
            </Field>
            <Field
              label="Waves"
              error={errorOf("strategy.waves")}
              hint="Comma separated, e.g. 50,100; the last wave takes the rest"
            >
              {(c) => <input {...c} value={waves} onChange={(e) => edit(() => setWaves(e.target.value))} />}
            </Field>
            <Field label="Max concurrent upgrades" error={errorOf("strategy.maxConcurrent")}>
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={1}
                  value={maxConcurrent}
                  onChange={(e) => edit(() => setMaxConcurrent(e.target.value))}
                />
              )}
            </Field>
            <Field
              label="Failure threshold"
              error={errorOf("strategy.failureThreshold")}
              hint="Failed instances that pause the campaign"
            >
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={1}
                  value={failureThreshold}
                  onChange={(e) => edit(() => setFailureThreshold(e.target.value))}
                />
              )}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Health gate</legend>
          <label className="choice">
            <input
              type="checkbox"
              checked={gateEnabled}
              onChange={(e) => edit(() => setGateEnabled(e.target.checked))}
            />{" "}
            Gate each upgrade: healthy, and no more errors during the soak than before it
          </label>
          <div className="grid">
            <Field label="Soak (seconds)" error={errorOf("gate.soakSeconds")}>
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={0}
                  disabled={!gateEnabled}
                  value={soakSeconds}
                  onChange={(e) => edit(() => setSoakSeconds(e.target.value))}
                />
              )}
            </Field>
            <Field label="Minimum requests during the soak" error={errorOf("gate.minRequests")}>
              {(c) => (
                <input
                  {...c}
                  type="number"
                  min={0}
                  disabled={!gateEnabled}
                  value={minRequests}
                  onChange={(e) => edit(() => setMinRequests(e.target.value))}
                />
              )}
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Timing</legend>
          <label className="choice">
            <input
              type="checkbox"
              checked={urgent}
              onChange={(e) => edit(() => setUrgent(e.target.checked))}
            />{" "}
            Urgent: ignore maintenance windows and upgrade as soon as the campaign starts
          </label>
          {urgent && (
            <Field
              label="Reason for urgency"
              error={errorOf("urgentReason")}
              hint="Recorded in the audit log"
            >
              {(c) => (
                <textarea
                  {...c}
                  rows={2}
                  value={urgentReason}
                  onChange={(e) => edit(() => setUrgentReason(e.target.value))}
                />
              )}
            </Field>
          )}
        </fieldset>

        {server.other && <QueryError error={{ message: server.other, data: error?.data }} />}
        <div className="toolbar">
          <button
            type="button"
            className="secondary"
            disabled={!valid || preview.isFetching}
            onClick={() => {
              create.reset();
              setPreviewed(draft);
            }}
          >
            {preview.isFetching ? "Planning…" : "Preview"}
          </button>
          <button type="submit" disabled={!valid || name.trim() === "" || create.isPending}>
            {create.isPending ? "Creating…" : "Create"}
          </button>
        </div>
      </form>

      {preview.data && (
        <section className="panel" aria-labelledby="schedule-title" data-testid="campaign-preview">
          <h2 id="schedule-title" style={{ marginTop: 0 }}>
            Planned schedule{stale ? " (the form changed since; preview again)" : ""}
          </h2>
          <p className="muted" data-testid="preview-summary">
            {preview.data.instances} instance{preview.data.instances === 1 ? "" : "s"} in{" "}
            {preview.data.waves.length} wave{preview.data.waves.length === 1 ? "" : "s"}
            {preview.data.skipped.length > 0 ? `; ${preview.data.skipped.length} skipped` : ""}. Times in your
            time zone ({zone}).
            {previewed?.urgent
              ? " Urgent: each upgrade is planned as soon as its wave starts, outside maintenance windows."
              : " Each upgrade is planned in the instance's next maintenance window after the previous wave."}
          </p>
          <ScheduleWaves preview={preview.data} />
          {preview.data.skipped.length > 0 && (
            <table data-testid="preview-skipped">
              <caption>Not included</caption>
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {preview.data.skipped.map((s) => (
                  <tr key={s.instanceId} data-testid="preview-skipped-row" data-instance-id={s.instanceId}>
                    <td>
                      {s.name} <code className="muted">{s.instanceId}</code>
                    </td>
                    <td>{s.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}

function ScheduleWaves({ preview }: { preview: Preview }) {
  const byId = new Map(preview.targets.map((t) => [t.instanceId, t]));
  if (preview.waves.length === 0) return <p className="empty">No instance matches: nothing to upgrade.</p>;
  return (
    <>
      {preview.waves.map((w) => (
        <table key={w.wave} data-testid="preview-wave" data-wave={w.wave}>
          <caption>
            {w.wave === 0 ? "Wave 0" : `Wave ${w.wave}`} · {w.instances.length} instance
            {w.instances.length === 1 ? "" : "s"} · from {formatInViewerZone(w.startsAfter)}, expected done by{" "}
            {formatInViewerZone(w.expectedEnd)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Version path</th>
              <th scope="col">Planned</th>
              <th scope="col">Window ends</th>
            </tr>
          </thead>
          <tbody>
            {w.instances.map((i) => {
              const t = byId.get(i.instanceId);
              return (
                <tr key={i.instanceId} data-testid="preview-instance" data-instance-id={i.instanceId}>
                  <td>
                    {t ? (
                      <>
                        {t.name}
                        <div className="muted">
                          {t.orgName} · {CLOUD_LABELS[t.cloud as keyof typeof CLOUD_LABELS] ?? t.cloud} ·{" "}
                          {t.region}
                        </div>
                      </>
                    ) : (
                      <code>{i.instanceId}</code>
                    )}
                  </td>
                  <td>{t ? [t.fromVersion, ...t.hops].join(" → ") : "—"}</td>
                  <td>{formatInViewerZone(i.plannedAt)}</td>
                  <td>{i.windowEnd ? formatInViewerZone(i.windowEnd) : "— (urgent: no window)"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
    </>
  );
}
