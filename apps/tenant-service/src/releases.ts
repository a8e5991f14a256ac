// What each release of the tenant service does to its own schema, and fault injection for tests. This app stands in
// for a separate product, so it compares versions itself rather than depending on the control plane's packages.

/**
 * Numeric order of "MAJOR.MINOR.PATCH[-prerelease]": a prerelease sorts before its release. A version without
 * numbers (a developer's build, e.g. "dev") sorts after every numbered one, so it runs the newest schema.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : 0;
  for (let i = 0; i < 3; i++) {
    const d = (pa.parts[i] ?? 0) - (pb.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === null) return 1;
  if (pb.pre === null) return -1;
  return pa.pre.localeCompare(pb.pre, "en", { numeric: true });
}

function parseVersion(v: string): { parts: number[]; pre: string | null } | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?/.exec(v.trim());
  if (!m) return null;
  return { parts: [m[1], m[2], m[3]].map((p) => Number(p ?? 0)), pre: m[4] ?? null };
}

/** One change to the tenant's own schema, applied by every release from `since` on. */
export interface SchemaStep {
  schemaVersion: number;
  since: string;
  description: string;
}

/**
 * The schema history. Each step is backward compatible for at least one release: the release before it keeps
 * working on the new schema, which is what a rollback runs on (nothing is ever migrated down).
 */
export const SCHEMA_STEPS: readonly SchemaStep[] = [
  { schemaVersion: 1, since: "0.0.0", description: "the runs table" },
  { schemaVersion: 2, since: "0.66.0", description: "runs.client_version: the release that wrote the row" },
];

/** The schema version a release applies (the newest step it knows). */
export function targetSchemaVersion(version: string): number {
  let target = 0;
  for (const step of SCHEMA_STEPS) {
    if (compareVersions(version, step.since) >= 0) target = Math.max(target, step.schemaVersion);
  }
  return target;
}

/** Routes a fault never hits: the probes must keep telling the truth about the process, and the test controls. */
export function faultExempt(path: string): boolean {
  return path === "/healthz" || path === "/metrics" || path.startsWith("/admin/");
}

/** Whether this request gets an injected 500 (FAULT_ERROR_RATE), given a uniform draw in [0, 1). */
export function injectFault(path: string, rate: number, draw: number): boolean {
  return rate > 0 && !faultExempt(path) && draw < rate;
}
