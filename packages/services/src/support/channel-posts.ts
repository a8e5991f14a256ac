// Posts to an instance's support channel (alerts, maintenance notices, upgrade results, support requests, setup).
// A post is written in the same transaction as its cause, once per dedupeKey, together with its delivery: with Slack
// configured an outbox message (channel slack) that the worker delivers once the channel is ready; without Slack the
// console's notifications are the channel, so the same text goes at once to the org's members and its assigned
// support staff. Owned by the support-channel work.
import { env } from "@cp/config";
import type { ChannelPostKind } from "@cp/core";
import { db, Prisma, type Db } from "@cp/db";
import { dispatchOutbox } from "../outbox/outbox";

export interface ChannelPostInput {
  instanceId: string;
  kind: ChannelPostKind;
  /** Plain text (Slack mrkdwn is not used: the same text is shown in the console). */
  text: string;
  /** One post per key, however often the cause is retried (e.g. `alert:<id>:firing`). */
  dedupeKey: string;
}

/** Whether posts go to Slack (SLACK_BOT_TOKEN set) or to console notifications. */
export function slackConfigured(): boolean {
  return Boolean(env().SLACK_BOT_TOKEN);
}

/** The outbox message that carries a post to Slack. */
export const slackDedupeKey = (postId: string) => `slack:${postId}`;

/**
 * Records a post for the instance's channel and arranges its delivery. Returns the post's id; a repeated key returns
 * the first post's id and changes nothing. A deleted instance gets no post (returns null). Slack deliveries are
 * picked up by the outbox sweep; call dispatchChannelPosts after commit to send them at once.
 */
export async function postToInstanceChannel(tx: Db, input: ChannelPostInput): Promise<string | null> {
  await postManyToInstanceChannels(tx, [input]);
  const post = await tx.channelPost.findUnique({
    where: { dedupeKey: input.dedupeKey },
    select: { id: true },
  });
  return post?.id ?? null;
}

/**
 * Many posts in a few statements (an alert storm posts thousands at once). Returns the new posts' ids and the
 * outbox messages to dispatch after commit (Slack only).
 */
export async function postManyToInstanceChannels(
  tx: Db,
  inputs: ChannelPostInput[],
  now: Date = new Date(),
): Promise<{ postIds: string[]; dispatch: string[] }> {
  if (inputs.length === 0) return { postIds: [], dispatch: [] };
  const ts = Prisma.sql`(${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const slack = slackConfigured();
  // Console posts are delivered in this transaction, so they are written as posted.
  const posted = slack ? Prisma.sql`NULL::timestamp` : ts;
  const created = await tx.$queryRaw<
    { id: string; orgId: string; text: string; kind: string; instanceName: string }[]
  >`
    INSERT INTO "ChannelPost" (id, "instanceId", "orgId", "channelId", kind, text, "dedupeKey", "postedAt", "createdAt")
    SELECT gen_random_uuid()::text, i.id, i."orgId", c.id, u.kind, u.text, u.key, ${posted}, ${ts}
      FROM unnest(${inputs.map((p) => p.instanceId)}::text[], ${inputs.map((p) => p.kind)}::text[],
                  ${inputs.map((p) => p.text)}::text[], ${inputs.map((p) => p.dedupeKey)}::text[])
           AS u(instance_id, kind, text, key)
      JOIN "Instance" i ON i.id = u.instance_id AND i."destroyedAt" IS NULL
      LEFT JOIN "SupportChannel" c ON c."instanceId" = i.id
    ON CONFLICT ("dedupeKey") DO NOTHING
    RETURNING id, "orgId", text, kind,
              (SELECT name FROM "Instance" WHERE id = "ChannelPost"."instanceId") AS "instanceName"`;
  if (created.length === 0) return { postIds: [], dispatch: [] };
  const ids = created.map((p) => p.id);
  if (slack) {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "OutboxMessage" (id, channel, "orgId", subject, "bodyText", payload, "dedupeKey", status,
                                   "nextAttemptAt", attempts, "createdAt", "updatedAt")
      SELECT gen_random_uuid()::text, 'slack'::"OutboxChannel", p.org_id, p.subject, p.text,
             jsonb_build_object('postId', p.id), 'slack:' || p.id, 'pending'::"OutboxStatus", ${ts}, 0, ${ts}, ${ts}
        FROM unnest(${ids}::text[], ${created.map((p) => p.orgId)}::text[], ${created.map(subjectOf)}::text[],
                    ${created.map((p) => p.text)}::text[]) AS p(id, org_id, subject, text)
      ON CONFLICT ("dedupeKey") DO NOTHING
      RETURNING id`;
    return { postIds: ids, dispatch: rows.map((r) => r.id) };
  }
  await fanOutToConsole(tx, created, ts);
  return { postIds: ids, dispatch: [] };
}

function subjectOf(p: { kind: string; instanceName: string }): string {
  return `${p.instanceName}: ${p.kind === "setup" ? "support channel" : p.kind}`;
}

/**
 * Without Slack: one console notification per post and person, for the org's members and its assigned support
 * staff (one statement however many posts; disabled accounts and former staff are left out).
 */
async function fanOutToConsole(
  tx: Db,
  posts: { id: string; orgId: string; text: string; kind: string; instanceName: string }[],
  ts: Prisma.Sql,
): Promise<void> {
  await tx.$executeRaw`
    WITH p AS (
      SELECT * FROM unnest(${posts.map((p) => p.id)}::text[], ${posts.map((p) => p.orgId)}::text[],
                           ${posts.map(subjectOf)}::text[], ${posts.map((p) => p.text)}::text[])
             AS p(id, org_id, subject, text)),
    people AS (
      SELECT m."orgId" AS org_id, m."userId" AS user_id
        FROM "Membership" m JOIN "User" u ON u.id = m."userId" AND u."disabledAt" IS NULL
       WHERE m."orgId" IN (SELECT org_id FROM p)
      UNION
      SELECT a."orgId", a."userId"
        FROM "SupportAssignment" a JOIN "User" u ON u.id = a."userId"
                                   AND u."disabledAt" IS NULL AND u."staffRole" <> 'none'
       WHERE a."orgId" IN (SELECT org_id FROM p))
    INSERT INTO "OutboxMessage" (id, channel, "userId", "orgId", subject, "bodyText", "dedupeKey", status, "sentAt",
                                 "nextAttemptAt", attempts, "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, 'console'::"OutboxChannel", people.user_id, p.org_id, p.subject, p.text,
           'post:' || p.id || ':' || people.user_id, 'sent'::"OutboxStatus", ${ts}, ${ts}, 0, ${ts}, ${ts}
      FROM p JOIN people ON people.org_id = p.org_id
    ON CONFLICT ("dedupeKey") DO NOTHING`;
}

/** After commit: send the posts' Slack messages now rather than at the next outbox sweep. */
export async function dispatchChannelPosts(postIds: string[]): Promise<void> {
  if (postIds.length === 0) return;
  const rows = await db().outboxMessage.findMany({
    where: { dedupeKey: { in: postIds.map(slackDedupeKey) }, status: "pending" },
    select: { id: true },
  });
  await dispatchOutbox(rows.map((r) => r.id));
}
