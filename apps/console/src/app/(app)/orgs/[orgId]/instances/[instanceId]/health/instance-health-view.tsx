"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { METRIC_RANGE_IDS, type MetricRange } from "@cp/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatAge, formatDateTime } from "~/components/format";
import { InstanceStatusBadges } from "~/components/instance-status";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";
import { AlertsPanel } from "../alerts-panel";
import { RuleOverridesPanel } from "./rule-overrides-panel";

type Health = inferRouterOutputs<AppRouter>["health"]["instance"];
type MetricView = Health["metrics"][number];

const LIVE_MS = 15_000;
const SEVERITY_FILL = { info: "#84caff", warning: "#fdb022", critical: "#f04438" } as const;
const RANGE_LABELS: Record<MetricRange, string> = {
  "1h": "1 hour",
  "6h": "6 hours",
  "24h": "24 hours",
  "7d": "7 days",
  "30d": "30 days",
};

export function InstanceHealthView(props: { orgId: string; instanceId: string; canHandleAlerts: boolean }) {
  const { orgId, instanceId } = props;
  const trpc = useTRPC();
  const [range, setRange] = useState<MetricRange>("24h");
  const instance = useQuery(trpc.instances.get.queryOptions({ orgId, instanceId }));
  const health = useQuery({
    ...trpc.health.instance.queryOptions({ orgId, instanceId, range }),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });
  const h = health.data;

  return (
    <>
      <p>
        <Link href={`/orgs/${orgId}/instances/${instanceId}`}>← {instance.data?.name ?? "Instance"}</Link>
      </p>
      <h1>Health{instance.data ? ` of ${instance.data.name}` : ""}</h1>
      {health.error && <QueryError error={health.error} />}
      {h && (
        <section className="panel" aria-labelledby="current-health">
          <h2 id="current-health" style={{ marginTop: 0 }}>
            Now
          </h2>
          <p>
            <InstanceStatusBadges
              status={h.status.status}
              healthStatus={h.status.healthStatus}
              healthCheckedAt={h.status.checkedAt}
            />{" "}
            <span className="muted">
              last probe {formatAge(h.status.checkedAt)}
              {h.status.checkedAt ? ` (${formatDateTime(h.status.checkedAt)})` : ""}
            </span>
          </p>
          {h.status.lastError && (
            <p role="status" data-testid="last-poll-error">
              Last poll failed
              {h.status.consecutiveFailures > 1
                ? ` (${h.status.consecutiveFailures} times in a row)`
                : ""}: <code>{h.status.lastError}</code>
            </p>
          )}
        </section>
      )}

      <AlertsPanel orgId={orgId} instanceId={instanceId} canHandle={props.canHandleAlerts} />
      {props.canHandleAlerts && <RuleOverridesPanel instanceId={instanceId} />}

      <h2>Metrics</h2>
      <div className="toolbar" role="group" aria-label="Chart range">
        {METRIC_RANGE_IDS.map((r) => (
          <button
            key={r}
            type="button"
            className={r === range ? undefined : "secondary"}
            aria-pressed={r === range}
            onClick={() => setRange(r)}
          >
            {RANGE_LABELS[r]}
          </button>
        ))}
      </div>
      {h && (
        <div
          className="grid"
          style={{ gridTemplateColumns: "repeat(auto-fit, minmax(22rem, 1fr))", gap: "1rem" }}
        >
          {h.metrics.map((m) => (
            <MetricChart key={m.metric} metric={m} health={h} />
          ))}
        </div>
      )}

      {h && (
        <>
          <h2>Monthly uptime</h2>
          <table>
            <caption>Share of health checks that passed, per calendar month (UTC)</caption>
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col">Uptime</th>
                <th scope="col">Health checks</th>
              </tr>
            </thead>
            <tbody>
              {[...h.uptime].reverse().map((u) => (
                <tr key={u.month}>
                  <td>{u.month}</td>
                  <td>{u.uptimePercent === null ? "—" : `${u.uptimePercent.toFixed(3)} %`}</td>
                  <td>{u.samples}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

function formatValue(unit: MetricView["unit"], v: number): string {
  switch (unit) {
    case "percent":
      return `${v.toFixed(v < 10 ? 1 : 0)} %`;
    case "ms":
      return `${Math.round(v)} ms`;
    case "per_second":
      return `${v.toFixed(v < 10 ? 2 : 0)}/s`;
    case "bytes":
      return v >= 1024 ** 3 ? `${(v / 1024 ** 3).toFixed(2)} GiB` : `${(v / 1024 ** 2).toFixed(1)} MiB`;
    case "bool":
      return v >= 1 ? "ok" : v <= 0 ? "failing" : `${Math.round(v * 100)} % ok`;
  }
}

function formatTick(t: number, range: MetricRange): string {
  const d = new Date(t);
  return range === "7d" || range === "30d"
    ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" })
    : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function MetricChart({ metric: m, health: h }: { metric: MetricView; health: Health }) {
  const from = h.from.getTime();
  const to = h.to.getTime();
  const periods = h.alertPeriods.filter((p) => p.metric === m.metric);
  const titleId = `chart-${m.metric}`;
  const last = m.points.at(-1);
  return (
    <figure
      className="panel"
      aria-labelledby={titleId}
      data-testid={`chart-${m.metric}`}
      style={{ margin: 0 }}
    >
      <figcaption id={titleId}>
        <strong>{m.label}</strong>{" "}
        <span className="muted">{last ? `now ${formatValue(m.unit, last.v)}` : "no data in this range"}</span>
        {m.thresholds.map((t) => (
          <div key={t.ruleId} className="muted" style={{ fontSize: "0.8rem" }}>
            {t.ruleName}: fires {t.comparison === "gt" ? "above" : "below"} {formatValue(m.unit, t.threshold)}
            {t.overridden ? " (set for this instance)" : ""}
          </div>
        ))}
      </figcaption>
      <div style={{ width: "100%", height: 180 }}>
        <ResponsiveContainer>
          <LineChart data={m.points} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#eaecf0" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={[from, to]}
              tickFormatter={(t: number) => formatTick(t, h.range)}
              fontSize={11}
            />
            <YAxis
              width={64}
              fontSize={11}
              domain={m.unit === "bool" ? [0, 1] : ["auto", "auto"]}
              ticks={m.unit === "bool" ? [0, 1] : undefined}
              tickFormatter={(v: number) => formatValue(m.unit, v)}
            />
            <Tooltip
              labelFormatter={(t) => formatDateTime(new Date(Number(t)))}
              formatter={(v) => formatValue(m.unit, Number(v))}
            />
            {periods.map((p) => (
              <ReferenceArea
                key={p.alertId}
                x1={Math.max(from, p.start.getTime())}
                x2={Math.min(to, p.end?.getTime() ?? to)}
                fill={SEVERITY_FILL[p.severity]}
                fillOpacity={0.18}
                ifOverflow="hidden"
              />
            ))}
            {m.thresholds.map((t) => (
              <ReferenceLine
                key={t.ruleId}
                y={t.threshold}
                stroke={SEVERITY_FILL[t.severity]}
                strokeDasharray="6 3"
                ifOverflow="extendDomain"
              />
            ))}
            <Line
              type="monotone"
              dataKey="v"
              name={m.label}
              stroke="#2e90fa"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
