"use client";

import {
  formatWindow,
  WEEKDAY_NAMES,
  ZMaintenanceWindowConfig,
  type MaintenanceWindowConfig,
  type SkipReason,
} from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Field, splitFieldErrors } from "~/components/field-errors";
import { QueryError } from "~/components/query-error";
import { viewerTimeZone, withoutFieldName } from "~/components/releases";
import { useTRPC } from "~/trpc/react";

const WINDOW_FIELDS = ["weekday", "start", "durationMin", "timezone", "anchor"] as const;
type WindowField = (typeof WINDOW_FIELDS)[number];

const SKIP_LABELS: Record<SkipReason, string> = {
  fleet_blackout: "Skipped: provider blackout date",
  customer_blackout: "Skipped: your blackout date",
  deferred: "Skipped: deferred",
};

/** "02:00" + 240 min → "06:00", with a note when it ends on the next day. */
function endOfDay(start: string, durationMin: number): string {
  const [h, m] = start.split(":").map(Number) as [number, number];
  const total = h * 60 + m + durationMin;
  const hhmm = `${String(Math.floor(total / 60) % 24).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  return total >= 24 * 60 ? `${hhmm} the next day` : hhmm;
}

/** "Every other Tuesday 02:00–06:00 Europe/Berlin". */
export function describeWindow(w: MaintenanceWindowConfig): string {
  return `Every other ${WEEKDAY_NAMES[w.weekday] ?? "?"} ${w.start}–${endOfDay(w.start, w.durationMin)} ${w.timezone}`;
}

/**
 * The instance's biweekly maintenance window: what it is (in its own zone), the next three windows in the viewer's
 * browser time zone with skipped ones between them marked, what work is planned, and for org admins (`canEdit`; the
 * server checks again) the window, a deferral of the next one and the customer's blackout dates.
 */
export function MaintenancePanel(props: { orgId: string; instanceId: string; canEdit: boolean }) {
  const { orgId, instanceId, canEdit } = props;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const view = useQuery(trpc.maintenance.get.queryOptions({ orgId, instanceId }));
  const refresh = () =>
    qc.invalidateQueries({ queryKey: trpc.maintenance.get.queryKey({ orgId, instanceId }) });
  const [notice, setNotice] = useState<string | null>(null);
  const defer = useMutation(
    trpc.maintenance.defer.mutationOptions({
      onSuccess: () => setNotice("Window deferred: no work is done in it."),
      onSettled: refresh,
    }),
  );
  const zone = viewerTimeZone();

  const data = view.data;
  // The server says whether this viewer may change the window (org admins, SREs, staff admins).
  const mayChange = canEdit && data?.mayChange === true;
  // A window already under way cannot be deferred: the offer is for the next one to open.
  const upcoming = data?.next.find((o) => o.skipped === null && o.start.getTime() > Date.now()) ?? null;

  return (
    <section
      className="panel"
      aria-labelledby={`maintenance-title-${instanceId}`}
      data-testid="maintenance-panel"
    >
      <h2 id={`maintenance-title-${instanceId}`} style={{ marginTop: 0 }}>
        Maintenance window
      </h2>
      {view.error && <QueryError error={view.error} />}
      {!data && !view.error && <p aria-busy="true">Loading the maintenance window…</p>}
      {data && (
        <>
          <p data-testid="maintenance-window">
            <strong>{describeWindow(data.window)}</strong>{" "}
            <span className="muted">(from {data.window.anchor})</span>
          </p>
          <p data-testid="maintenance-planned-work">
            Planned work:{" "}
            {data.plannedWork ?? <span className="muted">none; the window passes without changes</span>}
          </p>
          <table data-testid="maintenance-next-windows">
            <caption>
              Next windows, in your time zone (<span data-testid="maintenance-viewer-zone">{zone}</span>)
            </caption>
            <thead>
              <tr>
                <th scope="col">When (your time)</th>
                <th scope="col">In {data.window.timezone}</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {data.next.map((o) => (
                <tr
                  key={o.start.toISOString()}
                  data-testid={o.skipped ? "maintenance-skipped-window" : "maintenance-next-window"}
                  data-start={o.start.toISOString()}
                  className={o.skipped ? "muted" : undefined}
                >
                  <td>{o.skipped ? <s>{formatWindow(o, zone)}</s> : formatWindow(o, zone)}</td>
                  <td className="muted">{formatWindow(o, data.window.timezone)}</td>
                  <td>
                    {o.skipped ? (
                      <span className="badge">{SKIP_LABELS[o.skipped]}</span>
                    ) : o === upcoming ? (
                      <>
                        <span className="badge ok">Next</span>
                        {mayChange && (
                          <>
                            {" "}
                            <button
                              type="button"
                              className="secondary"
                              disabled={defer.isPending || data.remainingDeferrals <= 0}
                              onClick={() => {
                                setNotice(null);
                                defer.mutate({ orgId, instanceId, windowStart: o.start });
                              }}
                            >
                              Defer this window
                            </button>{" "}
                            <span className="muted" data-testid="maintenance-deferrals-left">
                              {data.remainingDeferrals} of {data.maxDeferrals} deferral
                              {data.maxDeferrals === 1 ? "" : "s"} in a row left
                            </span>
                          </>
                        )}
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {defer.error && <QueryError error={defer.error} />}
          {notice && (
            <p role="status" className="notice">
              {notice}
            </p>
          )}
          {data.fleetBlackouts.length > 0 && (
            <p className="muted">
              Provider blackout dates (no maintenance anywhere):{" "}
              {data.fleetBlackouts.map((b) => `${b.date}${b.reason ? ` (${b.reason})` : ""}`).join(", ")}
            </p>
          )}
          {mayChange ? (
            <>
              <WindowForm
                key={JSON.stringify(data.window)}
                orgId={orgId}
                instanceId={instanceId}
                current={data.window}
                onSaved={() => {
                  setNotice("Maintenance window saved.");
                  return refresh();
                }}
              />
              <BlackoutsEditor
                orgId={orgId}
                instanceId={instanceId}
                dates={data.blackouts}
                onSaved={() => refresh()}
              />
            </>
          ) : (
            data.blackouts.length > 0 && (
              <p className="muted">Your blackout dates: {data.blackouts.join(", ")}</p>
            )
          )}
        </>
      )}
    </section>
  );
}

function WindowForm(props: {
  orgId: string;
  instanceId: string;
  current: MaintenanceWindowConfig;
  onSaved: () => unknown;
}) {
  const trpc = useTRPC();
  const [weekday, setWeekday] = useState(props.current.weekday);
  const [start, setStart] = useState(props.current.start);
  const [duration, setDuration] = useState(String(props.current.durationMin));
  const [timezone, setTimezone] = useState(props.current.timezone);
  const [anchor, setAnchor] = useState(props.current.anchor);
  const zones = useMemo(() => {
    const all = Intl.supportedValuesOf("timeZone");
    // "UTC" and older names the instance may have are not always in the browser's canonical list.
    return all.includes(props.current.timezone) ? all : [props.current.timezone, ...all];
  }, [props.current.timezone]);
  const save = useMutation(trpc.maintenance.setWindow.mutationOptions({ onSuccess: () => props.onSaved() }));

  const draft = {
    weekday,
    start: start.trim(),
    durationMin: /^\s*\d+\s*$/.test(duration) ? Number(duration) : Number.NaN,
    timezone,
    anchor,
  };
  // The same checks the server makes, with its words, so most mistakes show while typing.
  const local: Partial<Record<WindowField, string>> = {};
  const parsed = ZMaintenanceWindowConfig.safeParse(draft);
  if (!parsed.success)
    for (const i of parsed.error.issues) local[String(i.path[0]) as WindowField] ??= i.message;
  const server = splitFieldErrors(save.error, WINDOW_FIELDS, "window");
  const errorOf = (f: WindowField) => withoutFieldName(f, server.fields[f] ?? local[f]);
  const changed = JSON.stringify(draft) !== JSON.stringify(props.current);
  const edit = (fn: () => void) => {
    save.reset();
    fn();
  };

  return (
    <form
      className="inline"
      aria-label="Maintenance window"
      style={{ marginTop: "1rem", alignItems: "flex-start" }}
      onSubmit={(e) => {
        e.preventDefault();
        if (parsed.success)
          save.mutate({ orgId: props.orgId, instanceId: props.instanceId, window: parsed.data });
      }}
    >
      <Field label="Weekday" error={errorOf("weekday")}>
        {(c) => (
          <select {...c} value={weekday} onChange={(e) => edit(() => setWeekday(Number(e.target.value)))}>
            {WEEKDAY_NAMES.slice(1).map((n, i) => (
              <option key={n} value={i + 1}>
                {n}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Start time" error={errorOf("start")} hint="24-hour, local to the zone">
        {(c) => (
          <input
            {...c}
            value={start}
            placeholder="02:00"
            inputMode="numeric"
            style={{ width: "7rem" }}
            onChange={(e) => edit(() => setStart(e.target.value))}
          />
        )}
      </Field>
      <Field label="Duration (minutes)" error={errorOf("durationMin")}>
        {(c) => (
          <input
            {...c}
            type="number"
            value={duration}
            style={{ width: "7rem" }}
            onChange={(e) => edit(() => setDuration(e.target.value))}
          />
        )}
      </Field>
      <Field label="Time zone" error={errorOf("timezone")}>
        {(c) => (
          <select {...c} value={timezone} onChange={(e) => edit(() => setTimezone(e.target.value))}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="First window on or after" error={errorOf("anchor")} hint="Then every 14 days">
        {(c) => (
          <input {...c} type="date" value={anchor} onChange={(e) => edit(() => setAnchor(e.target.value))} />
        )}
      </Field>
      <button
        type="submit"
        style={{ marginTop: "1.3rem" }}
        disabled={save.isPending || !changed || !parsed.success}
      >
        {save.isPending ? "Saving…" : "Save window"}
      </button>
      {server.other && <QueryError error={{ message: server.other, data: save.error?.data }} />}
    </form>
  );
}

function BlackoutsEditor(props: {
  orgId: string;
  instanceId: string;
  dates: string[];
  onSaved: () => unknown;
}) {
  const trpc = useTRPC();
  const [date, setDate] = useState("");
  const save = useMutation(
    trpc.maintenance.setBlackouts.mutationOptions({
      onSuccess: () => {
        setDate("");
        return props.onSaved();
      },
    }),
  );
  const errors = splitFieldErrors(save.error, ["dates"]);
  const setDates = (dates: string[]) =>
    save.mutate({ orgId: props.orgId, instanceId: props.instanceId, dates: [...new Set(dates)].sort() });
  return (
    <div style={{ marginTop: "1rem" }} data-testid="maintenance-blackouts">
      <h3 style={{ fontSize: "1rem", margin: "0 0 0.5rem" }}>Your blackout dates</h3>
      <p className="muted" style={{ marginTop: 0 }}>
        No window starts or ends on these dates (in the window&apos;s time zone).
      </p>
      {props.dates.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul aria-label="Blackout dates">
          {props.dates.map((d) => (
            <li key={d}>
              {d}{" "}
              <button
                type="button"
                className="secondary"
                disabled={save.isPending}
                aria-label={`Remove blackout date ${d}`}
                onClick={() => setDates(props.dates.filter((x) => x !== d))}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="inline"
        aria-label="Add a blackout date"
        onSubmit={(e) => {
          e.preventDefault();
          if (date) setDates([...props.dates, date]);
        }}
      >
        <Field label="Blackout date" error={errors.fields.dates}>
          {(c) => (
            <input
              {...c}
              type="date"
              value={date}
              onChange={(e) => {
                save.reset();
                setDate(e.target.value);
              }}
            />
          )}
        </Field>
        <button type="submit" className="secondary" disabled={save.isPending || !date}>
          Add blackout date
        </button>
        {errors.other && <QueryError error={{ message: errors.other, data: save.error?.data }} />}
      </form>
    </div>
  );
}
