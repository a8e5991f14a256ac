// The common shape of BYOB bucket checks (S3 and GCS), shown to customers when they order with their own bucket
// and to staff who may accept warnings.

import { assertPublicUrl, UnsafeUrlError, type LookupFn } from "../network-guard";

export type CheckStatus = "passed" | "failed" | "unverifiable";

export type BucketCheckId =
  | "exists"
  | "region"
  | "versioning"
  | "uniform-access"
  | "cors"
  | "encryption"
  | "probe-write"
  | "probe-read"
  | "probe-delete";

export const CHECK_LABELS: Record<BucketCheckId, string> = {
  exists: "Bucket exists and is reachable",
  region: "Region matches",
  versioning: "Versioning is enabled",
  "uniform-access": "Uniform bucket-level access",
  cors: "CORS allows browser uploads and downloads",
  encryption: "Encryption at rest",
  "probe-write": "Test object can be written",
  "probe-read": "Test object can be read back",
  "probe-delete": "Test object can be deleted",
};

export interface BucketCheckResult {
  id: BucketCheckId;
  label: string;
  status: CheckStatus;
  /** What was found, for people; never contains credentials. */
  message: string;
  /** What to change to pass, when there is something to change. */
  fixHint: string | null;
}

export interface CheckSummary {
  /** Any failed check: the order cannot go ahead until it is fixed. */
  blocking: boolean;
  /** Checks that could not be verified: staff can accept them. */
  warnings: number;
}

export function summarizeChecks(results: readonly BucketCheckResult[]): CheckSummary {
  return {
    blocking: results.some((r) => r.status === "failed"),
    warnings: results.filter((r) => r.status === "unverifiable").length,
  };
}

export const STAFF_CAN_ACCEPT = "Staff can accept this warning.";

export const passed = (id: BucketCheckId, message: string): BucketCheckResult => ({
  id,
  label: CHECK_LABELS[id],
  status: "passed",
  message,
  fixHint: null,
});

export const failed = (id: BucketCheckId, message: string, fixHint: string): BucketCheckResult => ({
  id,
  label: CHECK_LABELS[id],
  status: "failed",
  message,
  fixHint,
});

/** The service could not answer the question; `why` says what happened. */
export const unverifiable = (
  id: BucketCheckId,
  why: string,
  fixHint: string | null = null,
): BucketCheckResult => ({
  id,
  label: CHECK_LABELS[id],
  status: "unverifiable",
  message: `Could not be verified: ${why}. ${STAFF_CAN_ACCEPT}`,
  fixHint,
});

export const SKIPPED_UNREACHABLE = "skipped because the bucket is not reachable";

/** The same reason for every check in `ids` (e.g. skipped, or no way to authenticate). */
export const allUnverifiable = (ids: readonly BucketCheckId[], why: string): BucketCheckResult[] =>
  ids.map((id) => unverifiable(id, why));

/** A normalised CORS rule, common to S3 (CORSRules) and GCS (cors[]). */
export interface CorsRule {
  origins: string[];
  methods: string[];
  exposedHeaders: string[];
}

export const CORS_METHODS = ["GET", "HEAD", "PUT"] as const;

/**
 * What a browser on any origin lacks: for each required method, the first rule that matches any origin ("*") and
 * that method decides (as S3 evaluates rules in order), and it must expose ETag (multipart uploads read it).
 * Returns human reasons; empty when the configuration is good.
 */
export function corsGaps(rules: readonly CorsRule[]): string[] {
  const gaps: string[] = [];
  const missing: string[] = [];
  const noEtag = new Set<string>();
  for (const method of CORS_METHODS) {
    const rule = rules.find(
      (r) => r.origins.includes("*") && r.methods.some((m) => m.toUpperCase() === method),
    );
    if (!rule) missing.push(method);
    else if (!rule.exposedHeaders.some((h) => h.toLowerCase() === "etag")) noEtag.add(method);
  }
  if (!rules.some((r) => r.origins.includes("*"))) gaps.push('no rule allows any origin ("*")');
  else if (missing.length) gaps.push(`no rule for any origin allows ${missing.join(", ")}`);
  if (noEtag.size) gaps.push(`the rule for ${[...noEtag].join(", ")} does not expose the ETag header`);
  return gaps;
}

/**
 * The private-address guard for a user-typed storage endpoint: null when there is none, it is trusted, or it is
 * public; otherwise a failed "exists" check naming the problem.
 */
export async function guardEndpoint(
  endpoint: string | undefined,
  opts: { allowPrivate?: boolean; allow?: readonly string[]; lookup?: LookupFn },
  wording: { field: string; fixHint: string },
): Promise<BucketCheckResult | null> {
  if (!endpoint || opts.allowPrivate) return null;
  try {
    await assertPublicUrl(endpoint, { field: wording.field, allow: opts.allow, lookup: opts.lookup });
    return null;
  } catch (err) {
    if (!(err instanceof UnsafeUrlError)) throw err;
    return failed("exists", err.message, wording.fixHint);
  }
}
