// The tenant timeline: one instance's operations (upgrades are operations of kind upgrade), backups, alerts, audit
// events, support requests and channel posts, merged newest first and paginated by keyset over (createdAt desc, id).
// Ids are cuids, unique across tables, so (at, id) is a total order over the merged stream and one opaque cursor
// serves every kind. One SQL statement: each requested kind is a sub-select that reads its own
// [instanceId, createdAt desc, id] index from the cursor on and stops after limit + 1 rows; the outer query merges
// those few rows and keeps limit + 1. A page costs the same at the first page as deep in the history.
import {
  ALERT_SEVERITIES,
  badRequest,
  decideOrgAccess,
  decodeCursor,
  encodeCursor,
  forbidden,
  formatMetricValue,
  isMetricName,
  METRICS,
  notFound,
  TIMELINE_KINDS,
  type Actor,
  type AlertSeverityName,
  type TimelineKind,
} from "@cp/core";
import { db, Prisma } from "@cp/db";

export const TIMELINE_DEFAULT_LIMIT = 50;
export const TIMELINE_MAX_LIMIT = 200;

export interface TimelineQuery {
  orgId: string;
  instanceId: string;
  /** The kinds to include; all of them when absent. */
  kinds?: readonly TimelineKind[] | null;
  cursor?: string | null;
  limit?: number;
}

export interface TimelineItem {
  kind: TimelineKind;
  id: string;
  at: Date;
  title: string;
  detail: string | null;
  /** Operations, backups, alerts and support requests: their current status (an alert's state). */
  status: string | null;
  /** Alerts (info, warning, critical) and support requests (P1..P4). */
  severity: string | null;
  /** Audit events: who acted. */
  actorEmail: string | null;
  /** A console path to the thing itself. */
  link: string;
}

export interface TimelinePage {
  items: TimelineItem[];
  nextCursor: string | null;
  /** The kinds searched: those asked for, less any the caller may not see (audit events are for org admins). */
  kinds: TimelineKind[];
}

interface Row {
  kind: TimelineKind;
  id: string;
  at: Date;
  data: Record<string, unknown>;
}

type After = { at: Date; id: string } | null;

/**
 * Rows strictly after the cursor in (createdAt desc, id asc) order: the order of the [instanceId, createdAt desc, id]
 * indexes, so each sub-select is an index scan that stops at its limit. (With id desc the directions would be mixed
 * and PostgreSQL sorted every row of the instance: 0.4 s for the first page at 100,000 events.) `<=` first so the
 * index bounds the scan; the tie on createdAt is a filter over the few rows at the cursor's instant.
 */
function afterCursor(alias: string, after: After): Prisma.Sql {
  if (!after) return Prisma.empty;
  const at = Prisma.raw(`${alias}."createdAt"`);
  const id = Prisma.raw(`${alias}.id`);
  const ts = Prisma.sql`${after.at.toISOString()}::timestamp(3)`;
  return Prisma.sql`AND ${at} <= ${ts} AND (${at} < ${ts} OR ${id} > ${after.id})`;
}

/** One sub-select per kind: the instance's rows after the cursor, newest first, at most `take`. */
function subSelect(kind: TimelineKind, instanceId: string, after: After, take: number): Prisma.Sql {
  switch (kind) {
    case "operation":
      return Prisma.sql`(SELECT 'operation' AS kind, o.id, o."createdAt" AS at,
          jsonb_build_object('opKind', o.kind, 'status', o.status, 'progress', o.progress,
                             'error', left(o.error, 300)) AS data
        FROM "Operation" o
        WHERE o."instanceId" = ${instanceId} ${afterCursor("o", after)}
        ORDER BY o."createdAt" DESC, o.id LIMIT ${take})`;
    case "backup":
      return Prisma.sql`(SELECT 'backup' AS kind, b.id, b."createdAt" AS at,
          jsonb_build_object('backupKind', b.kind, 'status', b.status, 'verification', b.verification,
                             'sizeBytes', b."sizeBytes", 'error', left(b.error, 300)) AS data
        FROM "Backup" b
        WHERE b."instanceId" = ${instanceId} ${afterCursor("b", after)}
        ORDER BY b."createdAt" DESC, b.id LIMIT ${take})`;
    case "alert":
      return Prisma.sql`(SELECT 'alert' AS kind, a.id, a."createdAt" AS at,
          jsonb_build_object('state', a.state, 'severity', a.severity, 'value', a.value, 'threshold', a.threshold,
                             'metric', r.metric, 'comparison', r.comparison, 'ruleName', r.name) AS data
        FROM "Alert" a JOIN "AlertRule" r ON r.id = a."ruleId"
        WHERE a."instanceId" = ${instanceId} ${afterCursor("a", after)}
        ORDER BY a."createdAt" DESC, a.id LIMIT ${take})`;
    case "audit":
      // Only events whose target is the instance itself: events about its backups, alerts or requests target those
      // rows' ids, and finding them would mean a join per kind instead of one read of [targetId, createdAt desc, id].
      // before/after are never read: they may hold configuration the timeline's readers should not see.
      return Prisma.sql`(SELECT 'audit' AS kind, e.id, e."createdAt" AS at,
          jsonb_build_object('action', e.action, 'actorEmail', e."actorEmail", 'viaStaff', e."viaStaff") AS data
        FROM "AuditEvent" e
        WHERE e."targetId" = ${instanceId} ${afterCursor("e", after)}
        ORDER BY e."createdAt" DESC, e.id LIMIT ${take})`;
    case "support_request":
      return Prisma.sql`(SELECT 'support_request' AS kind, s.id, s."createdAt" AS at,
          jsonb_build_object('number', s.number, 'subject', left(s.subject, 300), 'severity', s.severity,
                             'status', s.status) AS data
        FROM "SupportRequest" s
        WHERE s."instanceId" = ${instanceId} ${afterCursor("s", after)}
        ORDER BY s."createdAt" DESC, s.id LIMIT ${take})`;
    case "channel_post":
      return Prisma.sql`(SELECT 'channel_post' AS kind, p.id, p."createdAt" AS at,
          jsonb_build_object('postKind', p.kind, 'text', left(p.text, 500), 'posted', p."postedAt" IS NOT NULL)
            AS data
        FROM "ChannelPost" p
        WHERE p."instanceId" = ${instanceId} ${afterCursor("p", after)}
        ORDER BY p."createdAt" DESC, p.id LIMIT ${take})`;
  }
}

/** The statement behind a page (exported for the benchmark's EXPLAIN ANALYZE). */
export function instanceTimelineSql(
  instanceId: string,
  kinds: readonly TimelineKind[],
  cursor: string | null | undefined,
  limit: number,
): Prisma.Sql {
  const after = parseCursor(cursor);
  const parts = kinds.map((k) => subSelect(k, instanceId, after, limit + 1));
  return Prisma.sql`SELECT kind, id, at, data FROM (${Prisma.join(parts, " UNION ALL ")}) t
    ORDER BY at DESC, id LIMIT ${limit + 1}`;
}

function parseCursor(cursor: string | null | undefined): After {
  if (!cursor) return null;
  const c = decodeCursor(cursor);
  if (!c)
    throw badRequest("cursor: this is not a timeline position; start again from the first page.", "cursor");
  return c;
}

const OPERATION_NAMES: Record<string, string> = {
  provision: "Provision",
  update: "Settings change",
  upgrade: "Upgrade",
  backup: "Backup",
  verify_backup: "Backup verification",
  restore: "Restore",
  deprovision: "Deprovision",
  destroy: "Destroy",
  undelete: "Undelete",
  channel_setup: "Support channel setup",
  rollback: "Rollback",
};
const OPERATION_STATES: Record<string, string> = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
};
const BACKUP_KINDS: Record<string, string> = {
  scheduled: "scheduled",
  manual: "manual",
  pre_restore: "before a restore",
  pre_upgrade: "before an upgrade",
};
const SUPPORT_STATES: Record<string, string> = {
  open: "opened",
  waiting_on_customer: "waiting on the customer",
  resolved: "resolved",
};

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

function megabytes(bytes: number | null): string | null {
  if (bytes === null) return null;
  const mb = bytes / 1_048_576;
  return `${mb < 10 ? mb.toFixed(2) : mb.toFixed(1)} MB`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function toItem(orgId: string, instanceId: string, r: Row): TimelineItem {
  const d = r.data;
  const instancePage = `/orgs/${orgId}/instances/${instanceId}`;
  const base = { kind: r.kind, id: r.id, at: r.at, status: null, severity: null, actorEmail: null };
  switch (r.kind) {
    case "operation": {
      const kind = str(d.opKind) ?? "operation";
      const status = str(d.status) ?? "";
      const progress = num(d.progress);
      return {
        ...base,
        title: `${OPERATION_NAMES[kind] ?? kind} ${OPERATION_STATES[status] ?? status}`,
        detail: str(d.error) ?? (status === "running" && progress !== null ? `${progress}% done` : null),
        status,
        link: `${instancePage}#operations`,
      };
    }
    case "backup": {
      const status = str(d.status) ?? "";
      const kind = str(d.backupKind) ?? "";
      const verification = str(d.verification);
      const size = megabytes(num(d.sizeBytes));
      const facts = [
        size,
        status === "completed" && verification ? `verification ${verification.replaceAll("_", " ")}` : null,
        str(d.error),
      ].filter((s): s is string => s !== null);
      return {
        ...base,
        title: `Backup ${status} (${BACKUP_KINDS[kind] ?? kind})`,
        detail: facts.length ? facts.join(" · ") : null,
        status,
        link: `${instancePage}#backups-title`,
      };
    }
    case "alert": {
      const metric = str(d.metric) ?? "";
      const threshold = num(d.threshold);
      const value = num(d.value);
      const label = isMetricName(metric) ? METRICS[metric].label : metric;
      const cmp = d.comparison === "lt" ? "<" : ">";
      const severity = str(d.severity);
      return {
        ...base,
        title: `Alert ${str(d.state) ?? ""}: ${label} ${cmp} ${threshold === null ? "?" : formatMetricValue(metric, threshold)}`,
        detail: [str(d.ruleName), value === null ? null : `last value ${formatMetricValue(metric, value)}`]
          .filter(Boolean)
          .join(" · "),
        status: str(d.state),
        severity: severity && ALERT_SEVERITIES.includes(severity as AlertSeverityName) ? severity : null,
        link: `${instancePage}/health`,
      };
    }
    case "audit": {
      const actor = str(d.actorEmail);
      return {
        ...base,
        title: `Audit: ${str(d.action) ?? "event"}`,
        detail: `by ${actor ?? "the system"}${d.viaStaff === true ? " (provider staff)" : ""}`,
        actorEmail: actor,
        link: `/orgs/${orgId}/audit`,
      };
    }
    case "support_request": {
      const status = str(d.status) ?? "";
      const severity = str(d.severity);
      return {
        ...base,
        title: `Support request #${num(d.number) ?? "?"} ${SUPPORT_STATES[status] ?? status} (${severity ?? "?"})`,
        detail: str(d.subject),
        status,
        severity,
        link: `/orgs/${orgId}/support/${r.id}`,
      };
    }
    case "channel_post": {
      const text = str(d.text) ?? "";
      return {
        ...base,
        title: `Channel post: ${oneLine(text, 80)}`,
        detail: text.length > 80 ? text : null,
        status: d.posted === true ? "posted" : "pending",
        link: instancePage,
      };
    }
  }
}

/**
 * A page of the instance's timeline, newest first. Org read access; audit events only for those who may read the
 * org's audit log (org admins and staff), as the audit log itself. An instance outside `orgId`, or an org the
 * caller has no tie to, is NOT_FOUND.
 */
export async function instanceTimeline(ctx: { actor: Actor }, q: TimelineQuery): Promise<TimelinePage> {
  const access = decideOrgAccess(ctx.actor, q.orgId, "read");
  if (!access.ok) throw access.reason === "not_found" ? notFound("Instance") : forbidden();

  const limit = q.limit ?? TIMELINE_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > TIMELINE_MAX_LIMIT) {
    throw badRequest(`limit: must be a whole number from 1 to ${TIMELINE_MAX_LIMIT}.`, "limit");
  }
  const asked = q.kinds ?? TIMELINE_KINDS;
  const unknown = asked.filter((k) => !TIMELINE_KINDS.includes(k));
  if (unknown.length || asked.length === 0) {
    throw badRequest(`kinds: choose one or more of ${TIMELINE_KINDS.join(", ")}.`, "kinds");
  }
  parseCursor(q.cursor);
  const mayReadAudit = decideOrgAccess(ctx.actor, q.orgId, "adminRead").ok;
  const kinds = TIMELINE_KINDS.filter((k) => asked.includes(k) && (k !== "audit" || mayReadAudit));

  // The page is read beside the org check rather than after it (one round trip instead of two); its rows are
  // dropped unread when the instance is not the org's.
  const [instance, rows] = await Promise.all([
    db().instance.findFirst({ where: { id: q.instanceId, orgId: q.orgId }, select: { id: true } }),
    kinds.length
      ? db().$queryRaw<Row[]>(instanceTimelineSql(q.instanceId, kinds, q.cursor, limit))
      : Promise.resolve([]),
  ]);
  if (!instance) throw notFound("Instance");
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toItem(q.orgId, q.instanceId, r)),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
    kinds,
  };
}
