"use client";

// Usage of customer-managed deployments, from their daily telemetry: one deployment's counters (its page embeds
// DeploymentUsagePanel) and the fleet's sums, version lag and silent deployments (staff's /fleet/usage).
import type { AppRouter, inferRouterOutputs } from "@cp/api";
import {
  ALL_TELEMETRY_SERIES,
  TELEMETRY_SERIES_INFO,
  type TelemetrySeriesKey,
  type TelemetryUnit,
} from "@cp/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatAge, formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

type Out = inferRouterOutputs<AppRouter>["telemetry"];
type Point = { day: string; values: Partial<Record<TelemetrySeriesKey, number>> };

const DAY_CHOICES = [30, 90, 400] as const;
const DEFAULT_SERIES: TelemetrySeriesKey[] = ["runCount", "userCount", "userStat.activeDaily"];
const COLORS = ["#2e90fa", "#f79009", "#12b76a", "#7a5af8", "#f04438", "#0e9384", "#dd2590", "#475467"];

export function formatUsageValue(unit: TelemetryUnit, v: number): string {
  switch (unit) {
    case "bytes":
      if (v >= 1024 ** 4) return `${(v / 1024 ** 4).toFixed(2)} TiB`;
      if (v >= 1024 ** 3) return `${(v / 1024 ** 3).toFixed(2)} GiB`;
      if (v >= 1024 ** 2) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
      return `${Math.round(v / 1024)} KiB`;
    case "hours":
      return `${v.toFixed(v < 10 ? 1 : 0)} h`;
    case "count":
      return v.toLocaleString();
  }
}

function formatDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });
}

/** Checkboxes for the counters to plot; at least one stays selected. */
export function CounterPicker(props: {
  selected: TelemetrySeriesKey[];
  onChange: (next: TelemetrySeriesKey[]) => void;
}) {
  const toggle = (k: TelemetrySeriesKey) => {
    const on = props.selected.includes(k);
    if (on && props.selected.length === 1) return;
    props.onChange(on ? props.selected.filter((s) => s !== k) : [...props.selected, k]);
  };
  return (
    <fieldset data-testid="usage-counter-picker" style={{ border: 0, padding: 0, margin: "0.5rem 0" }}>
      <legend className="muted">Counters</legend>
      <div style={{ display: "flex", flexWrap: "wrap", gap: "0.25rem 1rem" }}>
        {ALL_TELEMETRY_SERIES.map((k) => (
          <label
            key={k}
            style={{ display: "inline-flex", gap: "0.3rem", alignItems: "center", fontWeight: 400 }}
          >
            <input
              type="checkbox"
              checked={props.selected.includes(k)}
              onChange={() => toggle(k)}
              data-testid={`usage-counter-${k}`}
            />
            {TELEMETRY_SERIES_INFO[k].label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function DaysPicker(props: { days: number; onChange: (d: number) => void }) {
  return (
    <div className="toolbar" role="group" aria-label="Days shown">
      {DAY_CHOICES.map((d) => (
        <button
          key={d}
          type="button"
          className={d === props.days ? undefined : "secondary"}
          aria-pressed={d === props.days}
          onClick={() => props.onChange(d)}
        >
          {d} days
        </button>
      ))}
    </div>
  );
}

/**
 * One line per selected counter over the days. Counters of different units (bytes, counts, hours) share the axis
 * only when they agree; otherwise the axis shows plain numbers and the tooltip formats each line by its unit.
 */
export function UsageChart(props: { points: Point[]; series: TelemetrySeriesKey[]; testId?: string }) {
  const data = props.points.map((p) => ({ day: p.day, ...p.values }));
  const units = new Set(props.series.map((k) => TELEMETRY_SERIES_INFO[k].unit));
  const axisUnit: TelemetryUnit = units.size === 1 ? [...units][0]! : "count";
  if (data.length === 0)
    return (
      <p className="empty" data-testid={props.testId ?? "usage-chart"}>
        No reports in this period.
      </p>
    );
  return (
    <div data-testid={props.testId ?? "usage-chart"} style={{ width: "100%", height: 260 }}>
      <ResponsiveContainer>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#eaecf0" />
          <XAxis dataKey="day" tickFormatter={formatDay} fontSize={11} />
          <YAxis width={72} fontSize={11} tickFormatter={(v: number) => formatUsageValue(axisUnit, v)} />
          <Tooltip
            labelFormatter={(d) => `${String(d)} (UTC)`}
            formatter={(v, _name, item) => {
              const key = item.dataKey as TelemetrySeriesKey;
              return formatUsageValue(TELEMETRY_SERIES_INFO[key]?.unit ?? "count", Number(v));
            }}
          />
          <Legend />
          {props.series.map((k, i) => (
            <Line
              key={k}
              type="monotone"
              dataKey={k}
              name={TELEMETRY_SERIES_INFO[k].label}
              stroke={COLORS[i % COLORS.length]}
              dot={data.length < 40}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A deployment's counters over time and its newest report. Org members and staff. */
export function DeploymentUsagePanel({ orgId, deploymentId }: { orgId: string; deploymentId: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<number>(90);
  const [series, setSeries] = useState<TelemetrySeriesKey[]>(DEFAULT_SERIES);
  // Every counter comes back at once: picking counters is then instant, without a round trip.
  const q = useQuery({
    ...trpc.telemetry.deploymentSeries.queryOptions({ orgId, deploymentId, days }),
    placeholderData: keepPreviousData,
  });
  const s = q.data;
  return (
    <section className="panel" aria-labelledby="usage-title" data-testid="deployment-usage">
      <h2 id="usage-title" style={{ marginTop: 0 }}>
        Usage
      </h2>
      <p className="muted">
        Daily counters the deployment reports with its license (UTC days). A resend for a day replaces that
        day.
        {s?.deployment.lastReportAt ? ` Last report ${formatAge(s.deployment.lastReportAt)}.` : ""}
      </p>
      {q.error && <QueryError error={q.error} />}
      <DaysPicker days={days} onChange={setDays} />
      <CounterPicker selected={series} onChange={setSeries} />
      {s && <UsageChart points={s.points} series={series} />}
      {s && <LatestReport latest={s.latest} />}
    </section>
  );
}

function LatestReport({ latest }: { latest: Out["deploymentSeries"]["latest"] }) {
  if (!latest)
    return (
      <p className="empty" data-testid="usage-no-reports">
        No report received yet. The deployment sends one a day once its license is installed.
      </p>
    );
  return (
    <table data-testid="usage-latest">
      <caption>
        Latest report: <span data-testid="usage-latest-day">{latest.day}</span>, version {latest.version},
        received {formatDateTime(latest.receivedAt)}
        {latest.replacements > 0
          ? ` (resent ${latest.replacements} time${latest.replacements === 1 ? "" : "s"})`
          : ""}
      </caption>
      <thead>
        <tr>
          <th scope="col">Counter</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {ALL_TELEMETRY_SERIES.map((k) => (
          <tr key={k}>
            <td>{TELEMETRY_SERIES_INFO[k].label}</td>
            <td data-testid={`usage-latest-${k}`}>
              {formatUsageValue(TELEMETRY_SERIES_INFO[k].unit, latest.values[k] ?? 0)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Staff: the fleet's counters summed per day. */
export function FleetUsageCharts() {
  const trpc = useTRPC();
  const [days, setDays] = useState<number>(90);
  const [series, setSeries] = useState<TelemetrySeriesKey[]>(DEFAULT_SERIES);
  const q = useQuery({
    ...trpc.telemetry.fleetSeries.queryOptions({ days }),
    placeholderData: keepPreviousData,
  });
  const last = q.data?.points.at(-1);
  return (
    <section className="panel" aria-labelledby="fleet-usage-title">
      <h2 id="fleet-usage-title" style={{ marginTop: 0 }}>
        Fleet-wide counters
      </h2>
      <p className="muted">
        Sums over every customer-managed deployment that reported that day
        {last ? ` (${last.deployments} on ${last.day})` : ""}.
      </p>
      {q.error && <QueryError error={q.error} />}
      <DaysPicker days={days} onChange={setDays} />
      <CounterPicker selected={series} onChange={setSeries} />
      {q.data && <UsageChart points={q.data.points} series={series} testId="fleet-usage-chart" />}
    </section>
  );
}

const deploymentHref = (orgId: string, id: string) => `/orgs/${orgId}/deployments/${id}`;

/** Staff: deployments against the newest stable release, most releases behind first. */
export function VersionLagTable() {
  const trpc = useTRPC();
  const q = useQuery(trpc.telemetry.versionLag.queryOptions());
  return (
    <section aria-labelledby="version-lag-title">
      <h2 id="version-lag-title">Versions behind</h2>
      {q.error && <QueryError error={q.error} />}
      {q.data && (
        <>
          <p className="muted">
            {q.data.latestVersion
              ? `Compared with ${q.data.latestVersion}, the newest stable release; counted in stable releases since each deployment's version.`
              : "No stable release can be ordered now, so nothing is compared."}
          </p>
          {q.data.deployments.length === 0 ? (
            <p className="empty">No customer-managed deployments yet.</p>
          ) : (
            <table data-testid="version-lag-table">
              <thead>
                <tr>
                  <th scope="col">Deployment</th>
                  <th scope="col">Organization</th>
                  <th scope="col">Version</th>
                  <th scope="col">Releases behind</th>
                  <th scope="col">Last report</th>
                </tr>
              </thead>
              <tbody>
                {q.data.deployments.map((d) => (
                  <tr key={d.deploymentId} data-testid={`version-lag-${d.deploymentId}`}>
                    <td>
                      <Link href={deploymentHref(d.orgId, d.deploymentId)}>{d.name}</Link>
                    </td>
                    <td>{d.orgName}</td>
                    <td>{d.version}</td>
                    <td>
                      {d.releasesBehind === null ? (
                        <span className="muted" title="Not a MAJOR.MINOR.PATCH version">
                          unknown
                        </span>
                      ) : d.releasesBehind === 0 ? (
                        "current"
                      ) : (
                        <span className="badge">{d.releasesBehind}</span>
                      )}
                    </td>
                    <td>{formatAge(d.lastReportAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

/** Staff: deployments silent for CP_TELEMETRY_STALE_DAYS days, or never heard from. */
export function StaleDeploymentsList() {
  const trpc = useTRPC();
  const q = useQuery(trpc.telemetry.stale.queryOptions());
  return (
    <section aria-labelledby="stale-title">
      <h2 id="stale-title">Stopped reporting</h2>
      {q.error && <QueryError error={q.error} />}
      {q.data && (
        <>
          <p className="muted">No report for {q.data.staleDays} days or more, or never.</p>
          {q.data.deployments.length === 0 ? (
            <p className="empty" data-testid="stale-none">
              Every deployment reported recently.
            </p>
          ) : (
            <table data-testid="stale-table">
              <thead>
                <tr>
                  <th scope="col">Deployment</th>
                  <th scope="col">Organization</th>
                  <th scope="col">Version</th>
                  <th scope="col">Last report</th>
                </tr>
              </thead>
              <tbody>
                {q.data.deployments.map((d) => (
                  <tr key={d.deploymentId} data-testid={`stale-${d.deploymentId}`}>
                    <td>
                      <Link href={deploymentHref(d.orgId, d.deploymentId)}>{d.name}</Link>
                    </td>
                    <td>{d.orgName}</td>
                    <td>{d.version}</td>
                    <td>
                      {d.lastReportAt
                        ? `${d.lastReportDay ?? "—"} (${d.silentDays} day${d.silentDays === 1 ? "" : "s"} silent)`
                        : "never"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

export function FleetUsageView() {
  return (
    <>
      <h1>Fleet usage</h1>
      <p className="muted">Telemetry from customer-managed deployments: counters, versions and silence.</p>
      <FleetUsageCharts />
      <VersionLagTable />
      <StaleDeploymentsList />
    </>
  );
}
