// Maintenance notices: before each window that will do work (CP_MAINTENANCE_NOTICE_HOURS ahead, e.g. 168 and 24
// hours), and once when an instance's release nears its end of support (CP_END_OF_SUPPORT_NOTICE_DAYS). The org's
// admins get a console notification and an e-mail (outbox) and the instance's support channel gets a post.
//
// Nothing is scheduled per notice: the worker runs this tick every CP_MAINTENANCE_TICK_MS (a BullMQ job scheduler,
// which survives restarts) and it recomputes each candidate's next window from the instance's current settings. So a
// moved window, a new blackout or a deferral simply changes what the next tick computes; there is no stored notice
// time to reschedule. A MaintenanceNotice row per (instance, window start, lead hours) makes each notice go out once,
// also when two ticks run at once (the insert decides; the loser sends nothing).
//
// End-of-support notices use the same table: leadHours 0 and windowStart = the release's endOfSupportAt, work
// "end of support of <version>". Window notices always have a positive lead, so the two never collide; an instance
// that stays on the release gets one such notice, and a new end date (the release was extended) notifies again.
//
// Efficiency (thousands of instances): one query finds the candidates, their windows are computed in memory, and each
// chunk writes its notices, messages and posts in a few set-based statements.
import { env } from "@cp/config";
import {
  defaultOrderRelease,
  formatWindow,
  isValidTimeZone,
  nextWindowOpening,
  type WindowOccurrence,
} from "@cp/core";
import { db, Prisma } from "@cp/db";
import { dispatchOutbox } from "../outbox/outbox";
import { loadReleaseInfos } from "../releases/releases";
import { postManyToInstanceChannels, type ChannelPostInput } from "../support/channel-posts";
import {
  exclusionsOf,
  loadFleetBlackoutDates,
  windowConfigOf,
  type InstanceMaintenanceColumns,
} from "./maintenance";

type Tx = Prisma.TransactionClient;

const CHUNK = 500;
const HOUR_MS = 3_600_000;

/** Lead hours, longest first. */
export function noticeLeadHours(): number[] {
  return [
    ...new Set(
      env()
        .CP_MAINTENANCE_NOTICE_HOURS.split(",")
        .map((h) => Number(h.trim())),
    ),
  ]
    .filter((h) => Number.isInteger(h) && h > 0)
    .sort((a, b) => b - a);
}

interface Candidate extends InstanceMaintenanceColumns {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  campaignName: string;
  targetVersion: string;
  plannedAt: Date | null;
}

/** One notice to send: the message to the org's admins and the channel post. */
interface Notice {
  instanceId: string;
  orgId: string;
  /** Identifies the notice in dedupe keys (outbox, channel post). */
  key: string;
  subject: string;
  text: string;
}

/** The tick: window notices, then end-of-support notices. Returns how many notices went out. */
export async function runMaintenanceNoticesTick(now: Date = new Date()): Promise<{ sent: number }> {
  const windows = await sendWindowNotices(now);
  const eos = await sendEndOfSupportNotices(now);
  return { sent: windows + eos };
}

function inHowLong(ms: number): string {
  const hours = Math.round(ms / HOUR_MS);
  if (hours >= 48) return `in ${Math.round(hours / 24)} days`;
  if (hours >= 1) return `in ${hours} hour${hours === 1 ? "" : "s"}`;
  return "within the hour";
}

const instanceLink = (orgId: string, instanceId: string) =>
  new URL(`/orgs/${orgId}/instances/${instanceId}`, env().NEXTAUTH_URL).toString();

/**
 * Instances with planned work: a pending or scheduled target of a running or paused campaign (urgent campaigns ignore
 * windows, so there is no window to announce). The work goes into the first window that takes place at or after the
 * target's planned time (or now), skipping blackouts and deferred windows as the campaign does.
 */
async function sendWindowNotices(now: Date): Promise<number> {
  const leads = noticeLeadHours();
  if (leads.length === 0) return 0;
  const candidates = await db().$queryRaw<Candidate[]>`
    SELECT DISTINCT ON (i.id)
           i.id, i."orgId", i.name, i.slug, i."maintenanceWeekday", i."maintenanceStart",
           i."maintenanceDurationMin", i."maintenanceTimezone", i."maintenanceAnchor", i."maintenanceBlackouts",
           i."maintenanceDeferred", c.name AS "campaignName", c."targetVersion",
           t."plannedAt" AT TIME ZONE 'UTC' AS "plannedAt"
      FROM "CampaignTarget" t
      JOIN "UpgradeCampaign" c ON c.id = t."campaignId"
      JOIN "Instance" i ON i.id = t."instanceId"
     WHERE t.status IN ('pending', 'scheduled')
       AND c.status IN ('running', 'paused')
       AND NOT c.urgent
       AND i."deletedAt" IS NULL AND i."destroyedAt" IS NULL
     ORDER BY i.id, c."createdAt" ASC`;
  if (candidates.length === 0) return 0;
  const fleet = await loadFleetBlackoutDates();
  const horizon = leads[0]! * HOUR_MS;

  interface Due {
    c: Candidate;
    window: WindowOccurrence;
    work: string;
    leads: number[];
  }
  const due: Due[] = [];
  for (const c of candidates) {
    // A zone that stopped being valid (tz data change) must not stop everyone else's notices.
    if (!isValidTimeZone(c.maintenanceTimezone)) continue;
    const after = c.plannedAt && c.plannedAt > now ? c.plannedAt : now;
    const window = nextWindowOpening(windowConfigOf(c), after, exclusionsOf(c, fleet));
    const until = window.start.getTime() - now.getTime();
    if (until <= 0 || until > horizon) continue;
    const work = `Upgrade to ${c.targetVersion} (campaign ${c.campaignName})`;
    due.push({ c, window, work, leads: leads.filter((h) => until <= h * HOUR_MS) });
  }

  let sent = 0;
  for (let i = 0; i < due.length; i += CHUNK) {
    const chunk = due.slice(i, i + CHUNK);
    const rows = chunk.flatMap((d) =>
      d.leads.map((lead) => ({ instanceId: d.c.id, start: d.window.start, lead, work: d.work })),
    );
    const { notices, dispatch } = await db().$transaction(async (tx) => {
      const created = await insertNotices(tx, rows, now);
      // One message per instance and window however many leads became due at once (a campaign started 10 hours
      // before a window records its 168 h and 24 h notices together and says it once).
      const fresh = new Map<string, number>();
      for (const r of created) {
        const k = `${r.instanceId}|${r.windowStart.getTime()}`;
        fresh.set(k, Math.min(fresh.get(k) ?? Infinity, r.leadHours));
      }
      const notices: Notice[] = [];
      for (const d of chunk) {
        const lead = fresh.get(`${d.c.id}|${d.window.start.getTime()}`);
        if (lead === undefined) continue;
        const when = formatWindow(d.window, d.c.maintenanceTimezone);
        notices.push({
          instanceId: d.c.id,
          orgId: d.c.orgId,
          key: `maintenance:${d.c.id}:${d.window.start.toISOString()}:${lead}`,
          subject: `Planned maintenance for ${d.c.name}: ${when}`,
          text:
            `${d.work} is planned for ${d.c.name} (${d.c.slug}) in its maintenance window ${when}, ` +
            `${inHowLong(d.window.start.getTime() - now.getTime())}. ` +
            `To move or defer the window, or to set blackout dates, open ${instanceLink(d.c.orgId, d.c.id)}`,
        });
      }
      return { notices, dispatch: await writeNoticeMessages(tx, notices, now) };
    });
    await dispatchOutbox(dispatch);
    sent += notices.length;
  }
  return sent;
}

/** Instances on a release within its end-of-support notice period that have not been told for that end date. */
async function sendEndOfSupportNotices(now: Date): Promise<number> {
  const days = env().CP_END_OF_SUPPORT_NOTICE_DAYS;
  const ts = Prisma.sql`(${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const until = Prisma.sql`(${new Date(now.getTime() + days * 24 * HOUR_MS).toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const candidates = await db().$queryRaw<
    { id: string; orgId: string; name: string; slug: string; version: string; endOfSupportAt: Date }[]
  >`
    SELECT i.id, i."orgId", i.name, i.slug, r.version, r."endOfSupportAt" AT TIME ZONE 'UTC' AS "endOfSupportAt"
      FROM "Instance" i
      JOIN "Release" r ON r.version = i.version
     WHERE i."deletedAt" IS NULL AND i."destroyedAt" IS NULL
       AND r."endOfSupportAt" > ${ts} AND r."endOfSupportAt" <= ${until}
       AND NOT EXISTS (SELECT 1 FROM "MaintenanceNotice" n
                        WHERE n."instanceId" = i.id AND n."leadHours" = 0 AND n."windowStart" = r."endOfSupportAt")
     ORDER BY i.id`;
  if (candidates.length === 0) return 0;
  const newest = defaultOrderRelease(await loadReleaseInfos(), now)?.version ?? null;
  let sent = 0;
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    const { count, dispatch } = await db().$transaction(async (tx) => {
      const created = await insertNotices(
        tx,
        chunk.map((c) => ({
          instanceId: c.id,
          start: c.endOfSupportAt,
          lead: 0,
          work: `end of support of ${c.version}`,
        })),
        now,
      );
      const fresh = new Set(created.map((r) => r.instanceId));
      const notices: Notice[] = chunk
        .filter((c) => fresh.has(c.id))
        .map((c) => {
          const date = c.endOfSupportAt.toISOString().slice(0, 10);
          return {
            instanceId: c.id,
            orgId: c.orgId,
            key: `eos:${c.id}:${c.version}:${c.endOfSupportAt.toISOString()}`,
            subject: `${c.name} runs ${c.version}, whose support ends on ${date}`,
            text:
              `${c.name} (${c.slug}) runs ${c.version}, whose support ends on ${date} ` +
              `(${inHowLong(c.endOfSupportAt.getTime() - now.getTime())}). ` +
              `After that date it gets no fixes. ${newest ? `The current release is ${newest}; ` : ""}` +
              `it will be upgraded in a coming maintenance window, and you will be told before that window. ` +
              `Check the window at ${instanceLink(c.orgId, c.id)}`,
          };
        });
      return { count: notices.length, dispatch: await writeNoticeMessages(tx, notices, now) };
    });
    await dispatchOutbox(dispatch);
    sent += count;
  }
  return sent;
}

/** Inserts the notice rows that are not there yet; returns the ones this call created. */
async function insertNotices(
  tx: Tx,
  rows: { instanceId: string; start: Date; lead: number; work: string }[],
  now: Date,
): Promise<{ instanceId: string; windowStart: Date; leadHours: number }[]> {
  if (rows.length === 0) return [];
  const ts = Prisma.sql`(${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  return tx.$queryRaw`
    INSERT INTO "MaintenanceNotice" (id, "instanceId", "windowStart", "leadHours", work, "createdAt")
    SELECT gen_random_uuid()::text, u.instance_id, (u.window_start::timestamptz AT TIME ZONE 'UTC'), u.lead, u.work, ${ts}
      FROM unnest(${rows.map((r) => r.instanceId)}::text[], ${rows.map((r) => r.start.toISOString())}::text[],
                  ${rows.map((r) => r.lead)}::int[], ${rows.map((r) => r.work)}::text[])
           AS u(instance_id, window_start, lead, work)
    ON CONFLICT ("instanceId", "windowStart", "leadHours") DO NOTHING
    RETURNING "instanceId", "windowStart" AT TIME ZONE 'UTC' AS "windowStart", "leadHours"`;
}

/**
 * The org admins' console notifications and e-mails (disabled accounts left out) and the channel posts, in a few
 * statements however many notices. Returns the outbox messages to dispatch after commit (e-mails, Slack posts).
 */
async function writeNoticeMessages(tx: Tx, notices: Notice[], now: Date): Promise<string[]> {
  if (notices.length === 0) return [];
  const ts = Prisma.sql`(${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const messages = await tx.$queryRaw<{ id: string; channel: string }[]>`
    WITH n AS (
      SELECT * FROM unnest(${notices.map((n) => n.key)}::text[], ${notices.map((n) => n.orgId)}::text[],
                           ${notices.map((n) => n.subject)}::text[], ${notices.map((n) => n.text)}::text[])
             AS n(key, org_id, subject, text)),
    admins AS (
      SELECT m."orgId" AS org_id, u.id AS user_id, u.email
        FROM "Membership" m JOIN "User" u ON u.id = m."userId" AND u."disabledAt" IS NULL
       WHERE m.role = 'admin' AND m."orgId" IN (SELECT org_id FROM n))
    INSERT INTO "OutboxMessage" (id, channel, "userId", "toAddress", "orgId", subject, "bodyText", "dedupeKey", status,
                                 "sentAt", "nextAttemptAt", attempts, "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, ch.channel::"OutboxChannel",
           CASE WHEN ch.channel = 'console' THEN a.user_id END,
           CASE WHEN ch.channel = 'email' THEN a.email END,
           n.org_id, n.subject, n.text, n.key || ':' || ch.channel || ':' || a.user_id,
           (CASE WHEN ch.channel = 'console' THEN 'sent' ELSE 'pending' END)::"OutboxStatus",
           CASE WHEN ch.channel = 'console' THEN ${ts} END, ${ts}, 0, ${ts}, ${ts}
      FROM n JOIN admins a ON a.org_id = n.org_id
           CROSS JOIN (VALUES ('console'), ('email')) AS ch(channel)
    ON CONFLICT ("dedupeKey") DO NOTHING
    RETURNING id, channel::text AS channel`;
  const posts: ChannelPostInput[] = notices.map((n) => ({
    instanceId: n.instanceId,
    kind: "maintenance",
    text: n.text,
    dedupeKey: n.key,
  }));
  const { dispatch } = await postManyToInstanceChannels(tx, posts, now);
  return [...messages.filter((m) => m.channel === "email").map((m) => m.id), ...dispatch];
}
