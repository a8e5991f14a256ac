// The release catalog's rules: version order, upgrade paths through required steps, rollback, end of support and
// what new orders may pick. Pure functions over catalog rows, so the services, the worker and the console agree.
import { z } from "zod";

const VERSION_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** A release version: MAJOR.MINOR.PATCH with an optional pre-release tag ("1.2.3-beta.1"); no build metadata. */
export const ZVersion = z.string().trim().regex(VERSION_RE, "version: use MAJOR.MINOR.PATCH, e.g. 0.66.0");

interface ParsedVersion {
  core: [number, number, number];
  pre: string[];
}

function parseVersion(v: string): ParsedVersion {
  const m = VERSION_RE.exec(v.trim());
  if (!m) throw new RangeError(`version: "${v}" is not MAJOR.MINOR.PATCH, e.g. 0.66.0`);
  return {
    core: [Number(m[1]), Number(m[2]), Number(m[3])],
    pre: m[4] ? m[4].split(".") : [],
  };
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  // Semver: numeric identifiers sort before alphanumeric ones.
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver order: negative when `a` is older than `b`, 0 when equal, positive when newer. "1.0.0-rc.1" < "1.0.0". */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < 3; i += 1) {
    const d = pa.core[i]! - pb.core[i]!;
    if (d !== 0) return Math.sign(d);
  }
  // A pre-release sorts before its release.
  if (pa.pre.length === 0 || pb.pre.length === 0) {
    if (pa.pre.length === pb.pre.length) return 0;
    return pa.pre.length === 0 ? 1 : -1;
  }
  const n = Math.min(pa.pre.length, pb.pre.length);
  for (let i = 0; i < n; i += 1) {
    const d = compareIdentifiers(pa.pre[i]!, pb.pre[i]!);
    if (d !== 0) return d;
  }
  return Math.sign(pa.pre.length - pb.pre.length);
}

export type ReleaseChannelName = "stable" | "beta";

export interface ReleaseInfo {
  version: string;
  releasedAt: Date;
  channel: ReleaseChannelName;
  /** A version every instance below it must pass through before reaching this release (or anything newer). */
  requiresVersion: string | null;
  endOfSupportAt: Date | null;
  /** Its schema change cannot run under the previous version: roll back by restoring the pre-upgrade backup. */
  noRollback: boolean;
  withdrawnAt: Date | null;
}

/**
 * Ordered hops from `from` to `to` (ends with `to`; every required step in (from, to) in version order,
 * recursively).
 *
 * A release R requiring X means an instance below X must pass X before reaching R or anything above it. So the
 * next hop from `cur` is the oldest X required by a release in (cur, to] with cur < X < to; after moving there the
 * rule is applied again, which also picks up steps that the steps themselves require. Withdrawn releases are never
 * hops or targets, and their own requirements are ignored: nobody upgrades through them. `from` may be missing
 * from the catalog (an instance older than the catalog's history); it is placed by version order.
 */
export function upgradePath(
  releases: readonly ReleaseInfo[],
  from: string,
  to: string,
): { ok: true; hops: string[] } | { ok: false; reason: string } {
  for (const [name, v] of [
    ["from", from],
    ["to", to],
  ] as const)
    if (!VERSION_RE.test(v))
      return { ok: false, reason: `${name}: "${v}" is not MAJOR.MINOR.PATCH, e.g. 0.66.0` };
  const byVersion = new Map(releases.map((r) => [r.version, r]));
  const target = byVersion.get(to);
  if (!target) return { ok: false, reason: `${to} is not in the release catalog; pick a listed release` };
  if (target.withdrawnAt)
    return {
      ok: false,
      reason: `${to} was withdrawn; pick another release (the newest stable one is safest)`,
    };
  const order = compareVersions(to, from);
  if (order === 0) return { ok: false, reason: `already on ${to}; nothing to upgrade` };
  if (order < 0)
    return {
      ok: false,
      reason: `downgrade: ${to} is older than ${from}; only a rollback to the version the instance had before is allowed`,
    };

  const live = releases.filter((r) => !r.withdrawnAt);
  const hops: string[] = [];
  let cur = from;
  // Each hop is strictly newer than the one before and at most `to`, so this ends; the bound guards bad data.
  for (let guard = 0; guard <= releases.length + 1 && compareVersions(cur, to) < 0; guard += 1) {
    let next = to;
    for (const r of live) {
      const x = r.requiresVersion;
      if (!x) continue;
      if (compareVersions(r.version, cur) <= 0 || compareVersions(r.version, to) > 0) continue;
      if (compareVersions(x, cur) > 0 && compareVersions(x, next) < 0) next = x;
    }
    if (next !== to) {
      const step = byVersion.get(next);
      const why = live.find(
        (r) =>
          r.requiresVersion === next &&
          compareVersions(r.version, cur) > 0 &&
          compareVersions(r.version, to) <= 0,
      )?.version;
      if (!step)
        return {
          ok: false,
          reason: `${why} requires passing through ${next}, which is not in the release catalog; add ${next} to the catalog first`,
        };
      if (step.withdrawnAt)
        return {
          ok: false,
          reason: `${why} requires passing through ${next}, which was withdrawn; publish a fixed ${next} release or a new required step first`,
        };
    }
    hops.push(next);
    cur = next;
  }
  return { ok: true, hops };
}

/** A rollback goes only to the version the instance had before, and only backwards. */
export function checkRollback(
  current: string,
  previous: string | null,
  to: string,
): { ok: true } | { ok: false; reason: string } {
  if (!previous)
    return { ok: false, reason: `no earlier version is recorded for this instance; upgrade instead` };
  if (to !== previous)
    return { ok: false, reason: `a rollback can only return to the previous version ${previous}, not ${to}` };
  if (compareVersions(previous, current) >= 0)
    return {
      ok: false,
      reason: `the previous version ${previous} is not older than the current ${current}; nothing to roll back`,
    };
  return { ok: true };
}

export type SupportState = "supported" | "ending" | "ended";

const DAY_MS = 24 * 60 * 60 * 1000;

/** "ended" once endOfSupportAt has passed, "ending" within `noticeDays` of it, else "supported" (also when unknown). */
export function supportState(
  r: { endOfSupportAt: Date | null } | null | undefined,
  now: Date,
  noticeDays: number,
): SupportState {
  const end = r?.endOfSupportAt;
  if (!end) return "supported";
  const left = end.getTime() - now.getTime();
  if (left <= 0) return "ended";
  if (left <= noticeDays * DAY_MS) return "ending";
  return "supported";
}

/** New orders may pick: not withdrawn, not ended (endOfSupportAt > now), released (releasedAt <= now). Newest first. */
export function orderableReleases(releases: readonly ReleaseInfo[], now: Date): ReleaseInfo[] {
  const t = now.getTime();
  return releases
    .filter(
      (r) =>
        !r.withdrawnAt &&
        r.releasedAt.getTime() <= t &&
        (r.endOfSupportAt === null || r.endOfSupportAt.getTime() > t),
    )
    .sort((a, b) => compareVersions(b.version, a.version));
}

/** The newest orderable stable release, or null when there is none. */
export function defaultOrderRelease(releases: readonly ReleaseInfo[], now: Date): ReleaseInfo | null {
  return orderableReleases(releases, now).find((r) => r.channel === "stable") ?? null;
}
