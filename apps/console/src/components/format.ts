export function formatDateTime(d: Date | null | undefined): string {
  if (!d) return "—";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "3 h ago", "in 20 min": coarse on purpose, for lists people scan. */
export function formatAge(d: Date | null | undefined, now: number = Date.now()): string {
  if (!d) return "—";
  const diff = d.getTime() - now;
  const abs = Math.abs(diff);
  const [n, unit] =
    abs < 60_000
      ? [0, ""]
      : abs < 3_600_000
        ? [Math.round(abs / 60_000), "min"]
        : abs < 2 * 86_400_000
          ? [Math.round(abs / 3_600_000), "h"]
          : [Math.round(abs / 86_400_000), "d"];
  // A timestamp a few seconds ahead is clock skew between the database and the browser, not the future.
  if (!unit) return diff <= 5_000 ? "just now" : "in under a minute";
  return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

export function formatMegabytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  const mb = bytes / 1_048_576;
  return `${mb < 10 ? mb.toFixed(2) : mb.toFixed(1)} MB`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

/** A UTC time of day ("HH:MM") as the browser's local time of day, on today's date. */
export function utcTimeOfDayToLocal(hhmm: string, today: Date = new Date()): string | null {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return null;
  const at = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), Number(m[1]), Number(m[2])),
  );
  return at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}
