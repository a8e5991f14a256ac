"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { CLOUD_LABELS, CLOUDS, HEALTH_STATUSES, type Cloud, type HealthStatus } from "@cp/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import {
  RANK_SEVERITIES,
  rowTint,
  SEVERITY_LABELS,
  SeverityBadge,
  severityOfRank,
  type RankSeverity,
} from "~/components/alert-severity";
import { formatAge } from "~/components/format";
import { InstanceStatusBadges } from "~/components/instance-status";
import { QueryError } from "~/components/query-error";
import { SelectFilter } from "~/components/select-filter";
import { useTRPC } from "~/trpc/react";

/** The view is live: counts and rows follow the alert evaluator within a few seconds. */
const LIVE_MS = 5000;

type Summary = inferRouterOutputs<AppRouter>["fleetHealth"]["summary"];
type Sort = "worst" | "name" | "org" | "checked";

interface Filters {
  q: string;
  severity: RankSeverity | "";
  health: HealthStatus | "";
  cloud: Cloud | "";
  region: string;
  version: string;
  orgId: string;
}
const NO_FILTERS: Filters = {
  q: "",
  severity: "",
  health: "",
  cloud: "",
  region: "",
  version: "",
  orgId: "",
};

export function FleetHealthView({ pageSize }: { pageSize: number }) {
  const trpc = useTRPC();
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [q, setQ] = useState("");
  const [sort, setSort] = useState<Sort>("worst");
  const [page, setPage] = useState(1);
  const set = (patch: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setPage(1);
  };
  const summary = useQuery({ ...trpc.fleetHealth.summary.queryOptions({}), refetchInterval: LIVE_MS });
  const input = {
    sort,
    page,
    pageSize,
    ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== "")),
  };
  const list = useQuery({
    ...trpc.fleetHealth.list.queryOptions(input),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });
  const s = summary.data;
  const filtered = Object.values(filters).some((v) => v !== "");

  return (
    <>
      <h1>Fleet health</h1>
      <p className="muted">
        Every live dedicated instance, coloured by its worst open alert. Updates every {LIVE_MS / 1000}{" "}
        seconds.
      </p>
      {summary.error && <QueryError error={summary.error} />}
      {s && <SummaryPanel summary={s} onFilter={set} />}

      <form
        className="toolbar"
        role="search"
        aria-label="Filter fleet health"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: q.trim() });
        }}
      >
        <label className="field">
          Search
          <input
            type="search"
            placeholder="instance, org, region"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </label>
        <SelectFilter
          label="Worst alert"
          value={filters.severity}
          options={RANK_SEVERITIES.map((sev) => ({ value: sev, label: SEVERITY_LABELS[sev] }))}
          onChange={(severity) => set({ severity })}
        />
        <SelectFilter
          label="Health"
          value={filters.health}
          options={HEALTH_STATUSES.map((h) => ({ value: h, label: h }))}
          onChange={(health) => set({ health })}
        />
        <SelectFilter
          label="Cloud"
          value={filters.cloud}
          options={CLOUDS.map((c) => ({ value: c, label: CLOUD_LABELS[c] }))}
          onChange={(cloud) => set({ cloud, region: "" })}
        />
        <SelectFilter
          label="Region"
          value={filters.region}
          options={(s?.byRegion ?? [])
            .filter((r) => !filters.cloud || r.cloud === filters.cloud)
            .map((r) => ({ value: r.region, label: r.region }))}
          onChange={(region) => set({ region })}
        />
        <SelectFilter
          label="Version"
          value={filters.version}
          options={(s?.byVersion ?? []).flatMap((v) =>
            v.version ? [{ value: v.version, label: v.version }] : [],
          )}
          onChange={(version) => set({ version })}
        />
        <SelectFilter
          label="Organization"
          value={filters.orgId}
          options={(s?.byOrg ?? []).map((o) => ({ value: o.orgId, label: o.orgName }))}
          onChange={(orgId) => set({ orgId })}
        />
        <label className="field">
          Sort
          <select
            value={sort}
            onChange={(e) => {
              setSort(e.target.value as Sort);
              setPage(1);
            }}
          >
            <option value="worst">Worst alert first</option>
            <option value="name">Instance</option>
            <option value="org">Organization</option>
            <option value="checked">Least recently probed</option>
          </select>
        </label>
        <button type="submit">Search</button>
        {filtered && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setQ("");
              setFilters(NO_FILTERS);
              setPage(1);
            }}
          >
            Clear filters
          </button>
        )}
      </form>

      {list.error && <QueryError error={list.error} />}
      {list.data && (
        <>
          <p className="muted" role="status">
            {list.data.total} instance{list.data.total === 1 ? "" : "s"} match · page {list.data.page} of{" "}
            {list.data.pages}
          </p>
          <table data-testid="fleet-health-table">
            <caption>
              Live instances, {sort === "worst" ? "worst open alert first" : `sorted by ${sort}`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Worst alert</th>
                <th scope="col">Instance</th>
                <th scope="col">Organization</th>
                <th scope="col">Status and health</th>
                <th scope="col">Cloud / region</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    No instances match these filters.
                  </td>
                </tr>
              )}
              {list.data.items.map((i) => (
                <tr key={i.id} style={rowTint(i.alertRank)} data-severity={severityOfRank(i.alertRank)}>
                  <td>
                    <SeverityBadge
                      severity={severityOfRank(i.alertRank)}
                      label={i.alertRank === 0 ? "None" : undefined}
                    />
                    {i.topAlertRule && (
                      <div>
                        {i.topAlertRule}
                        {i.openAlerts > 1 && <span className="muted"> +{i.openAlerts - 1} more</span>}
                      </div>
                    )}
                    {i.topAlertSince && <div className="muted">since {formatAge(i.topAlertSince)}</div>}
                  </td>
                  <td>
                    <Link href={`/orgs/${i.orgId}/instances/${i.id}/health`}>
                      <strong>{i.name}</strong>
                    </Link>
                    <div className="muted">{i.slug}</div>
                  </td>
                  <td>
                    <Link href={`/orgs/${i.orgId}`}>{i.orgName}</Link>
                  </td>
                  <td>
                    <InstanceStatusBadges
                      status={i.status}
                      healthStatus={i.healthStatus}
                      healthCheckedAt={i.healthCheckedAt}
                    />
                    <div className="muted">probed {formatAge(i.healthCheckedAt)}</div>
                  </td>
                  <td>
                    {CLOUD_LABELS[i.cloud]} · <code>{i.region}</code>
                  </td>
                  <td>{i.version ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button
              type="button"
              className="secondary"
              disabled={page <= 1}
              onClick={() => setPage((p) => p - 1)}
            >
              Previous page
            </button>
            <button
              type="button"
              className="secondary"
              disabled={page >= list.data.pages}
              onClick={() => setPage((p) => p + 1)}
            >
              Next page
            </button>
          </div>
        </>
      )}
    </>
  );
}

function SummaryPanel({
  summary: s,
  onFilter,
}: {
  summary: Summary;
  onFilter: (f: Partial<Filters>) => void;
}) {
  const firing = s.alerts.firing;
  const acked = s.alerts.acknowledged;
  return (
    <section className="panel" aria-labelledby="fleet-health-summary">
      <h2 id="fleet-health-summary" style={{ marginTop: 0 }}>
        {s.total} live instance{s.total === 1 ? "" : "s"}
      </h2>
      <div className="toolbar" role="list" aria-label="Instances by worst open alert">
        {(["critical", "warning", "info", "none"] as const).map((sev) => (
          <button
            key={sev}
            type="button"
            role="listitem"
            className="secondary"
            data-testid={`count-${sev}`}
            onClick={() => onFilter({ severity: sev })}
            style={rowTint(RANK_SEVERITIES.indexOf(sev))}
          >
            <strong>{s.bySeverity[sev]}</strong> {SEVERITY_LABELS[sev].toLowerCase()}
          </button>
        ))}
      </div>
      <p className="muted">
        Open alerts: firing {firing.critical} critical, {firing.warning} warning, {firing.info} info ·
        acknowledged {acked.critical} critical, {acked.warning} warning, {acked.info} info
      </p>
      <div
        className="grid"
        style={{
          gridTemplateColumns: "repeat(auto-fit, minmax(14rem, 1fr))",
          gap: "1rem",
          alignItems: "start",
        }}
      >
        <CountTable
          title="By cloud"
          rows={s.byCloud.map((c) => ({
            key: c.cloud,
            label: CLOUD_LABELS[c.cloud],
            ...c,
            filter: { cloud: c.cloud, region: "" },
          }))}
          onFilter={onFilter}
        />
        <CountTable
          title="By region"
          rows={s.byRegion.map((r) => ({
            key: `${r.cloud}/${r.region}`,
            label: `${r.region} (${CLOUD_LABELS[r.cloud]})`,
            ...r,
            filter: { cloud: r.cloud, region: r.region },
          }))}
          onFilter={onFilter}
        />
        <CountTable
          title="By version"
          rows={s.byVersion.map((v) => ({
            key: v.version ?? "none",
            label: v.version ?? "not yet known",
            ...v,
            filter: v.version ? { version: v.version } : null,
          }))}
          onFilter={onFilter}
        />
        <CountTable
          title="By organization"
          rows={s.byOrg.map((o) => ({ key: o.orgId, label: o.orgName, ...o, filter: { orgId: o.orgId } }))}
          onFilter={onFilter}
        />
      </div>
    </section>
  );
}

const SHOWN = 8;

function CountTable(props: {
  title: string;
  rows: { key: string; label: string; count: number; worstRank: number; filter: Partial<Filters> | null }[];
  onFilter: (f: Partial<Filters>) => void;
}) {
  const [all, setAll] = useState(false);
  const rows = all ? props.rows : props.rows.slice(0, SHOWN);
  return (
    <table>
      <caption>{props.title}</caption>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} style={rowTint(r.worstRank)}>
            <td>
              {r.filter ? (
                <a
                  href="#"
                  onClick={(e) => {
                    e.preventDefault();
                    props.onFilter(r.filter!);
                  }}
                >
                  {r.label}
                </a>
              ) : (
                r.label
              )}
            </td>
            <td style={{ textAlign: "right" }}>{r.count}</td>
            <td>{r.worstRank > 0 && <SeverityBadge severity={severityOfRank(r.worstRank)} />}</td>
          </tr>
        ))}
        {props.rows.length > SHOWN && (
          <tr>
            <td colSpan={3}>
              <button type="button" className="secondary" onClick={() => setAll((a) => !a)}>
                {all ? "Show fewer" : `Show all ${props.rows.length}`}
              </button>
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
