// Who hears of an alert and what they read: SREs and staff admins always, the org's admins when the rule says so;
// a console notification and an e-mail each, plus the webhook events of the endpoints that want them. Every
// message carries a dedupe key of the alert, the event and the recipient, so a retried cycle never sends twice.
// In a storm (more than DIGEST_AFTER alerts of one kind for one person in one cycle) that person gets one digest
// instead: thousands of e-mails help nobody, and writing and dispatching them would stall the cycle. Webhook events
// stay one per alert (machines can take them).
import { env } from "@cp/config";
import { formatMetricValue, isMetricName, METRICS } from "@cp/core";
import { Prisma } from "@cp/db";
import { queueEmail } from "../outbox/outbox";
import { postManyToInstanceChannels } from "../support/channel-posts";
import { queueWebhookEvent, type WebhookEventType } from "../webhooks/queue";

type Tx = Prisma.TransactionClient;

export interface AlertNotice {
  alertId: string;
  kind: "firing" | "resolved";
  /** Why a resolved alert closed: its value recovered, or its rule was disabled. */
  reason?: string;
}

/** An alert with what its messages and webhook events name (the runbook is joined in SQL when messages are written). */
export interface AlertForNotice {
  id: string;
  orgId: string;
  instanceId: string;
  state: string;
  severity: string;
  value: number;
  threshold: number;
  pendingSince: Date;
  firedAt: Date | null;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  rule: {
    id: string;
    key: string;
    name: string;
    metric: string;
    comparison: string;
    notifyCustomer: boolean;
  };
  instance: { id: string; name: string; slug: string };
}

/** The body of an alert's webhook events (no secrets, nothing the org's admins may not see). */
export function alertWebhookData(a: AlertForNotice): Record<string, unknown> {
  return {
    alertId: a.id,
    state: a.state,
    severity: a.severity,
    rule: { id: a.rule.id, key: a.rule.key, name: a.rule.name, metric: a.rule.metric },
    instance: { id: a.instance.id, slug: a.instance.slug, name: a.instance.name },
    orgId: a.orgId,
    value: a.value,
    threshold: a.threshold,
    pendingSince: a.pendingSince.toISOString(),
    firedAt: a.firedAt?.toISOString() ?? null,
    acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
  };
}

/** One query however many alerts (a storm notifies thousands at once). */
export async function loadAlertsForNotice(tx: Tx, ids: string[]): Promise<AlertForNotice[]> {
  if (ids.length === 0) return [];
  const rows = await tx.$queryRaw<
    (Omit<AlertForNotice, "rule" | "instance"> & {
      ruleKey: string;
      ruleId: string;
      ruleName: string;
      metric: string;
      comparison: string;
      notifyCustomer: boolean;
      instanceName: string;
      instanceSlug: string;
    })[]
  >`
    SELECT a.id, a."orgId", a."instanceId", a.state::text AS state, a.severity::text AS severity, a.value,
           a.threshold, a."pendingSince" AT TIME ZONE 'UTC' AS "pendingSince",
           a."firedAt" AT TIME ZONE 'UTC' AS "firedAt", a."acknowledgedAt" AT TIME ZONE 'UTC' AS "acknowledgedAt",
           a."resolvedAt" AT TIME ZONE 'UTC' AS "resolvedAt", r.id AS "ruleId", r.key AS "ruleKey",
           r.name AS "ruleName", r.metric, r.comparison::text AS comparison, r."notifyCustomer",
           i.name AS "instanceName", i.slug AS "instanceSlug"
      FROM "Alert" a JOIN "AlertRule" r ON r.id = a."ruleId" JOIN "Instance" i ON i.id = a."instanceId"
     WHERE a.id = ANY(${ids}::text[])`;
  return rows.map((x) => ({
    id: x.id,
    orgId: x.orgId,
    instanceId: x.instanceId,
    state: x.state,
    severity: x.severity,
    value: x.value,
    threshold: x.threshold,
    pendingSince: x.pendingSince,
    firedAt: x.firedAt,
    acknowledgedAt: x.acknowledgedAt,
    resolvedAt: x.resolvedAt,
    rule: {
      id: x.ruleId,
      key: x.ruleKey,
      name: x.ruleName,
      metric: x.metric,
      comparison: x.comparison,
      notifyCustomer: x.notifyCustomer,
    },
    instance: { id: x.instanceId, name: x.instanceName, slug: x.instanceSlug },
  }));
}

/** A message's subject and text around the rule's runbook (firing messages include it; SQL joins it in). */
function messageOf(
  a: AlertForNotice,
  n: AlertNotice,
): { subject: string; head: string; runbookOf: string | null; tail: string } {
  const label = isMetricName(a.rule.metric) ? METRICS[a.rule.metric].label : a.rule.metric;
  const op = a.rule.comparison === "gt" ? "above" : "below";
  const link = new URL(`/orgs/${a.orgId}/instances/${a.instanceId}`, env().NEXTAUTH_URL).toString();
  const where = `${a.instance.name} (${a.instance.slug})`;
  if (n.kind === "firing") {
    return {
      subject: `[${a.severity}] ${a.rule.name} on ${a.instance.name}`,
      head:
        `${a.rule.name} is firing on ${where}.\n` +
        `${label}: ${formatMetricValue(a.rule.metric, a.value)}, ${op} the threshold of ` +
        `${formatMetricValue(a.rule.metric, a.threshold)} since ${a.pendingSince.toISOString()}.`,
      runbookOf: a.rule.id,
      tail: `\n\n${link}`,
    };
  }
  const why =
    n.reason === "disabled"
      ? "It was closed because the rule was disabled for this instance."
      : `${label} is back at ${formatMetricValue(a.rule.metric, a.value)}.`;
  return {
    subject: `[resolved] ${a.rule.name} on ${a.instance.name}`,
    head:
      `${a.rule.name} on ${where} resolved at ${(a.resolvedAt ?? new Date()).toISOString()}` +
      ` (it fired at ${a.firedAt?.toISOString() ?? "?"}).\n${why}`,
    runbookOf: null,
    tail: `\n\n${link}`,
  };
}

/** A person told of more alerts than this in one cycle (a storm) gets one digest per kind instead. */
export const DIGEST_AFTER = 10;
const DIGEST_LINES = 50;

/** One console notification and one e-mail listing a storm's alerts; returns the e-mail's id when it is new. */
async function queueDigest(
  tx: Tx,
  user: { id: string; email: string },
  kind: AlertNotice["kind"],
  list: AlertForNotice[],
  now: Date,
): Promise<string[]> {
  const order = { critical: 0, warning: 1, info: 2 } as Record<string, number>;
  const sorted = [...list].sort(
    (a, b) =>
      (order[a.severity] ?? 3) - (order[b.severity] ?? 3) || a.instance.slug.localeCompare(b.instance.slug),
  );
  const orgs = new Set(list.map((a) => a.orgId));
  const link = new URL(orgs.size === 1 ? `/orgs/${list[0]!.orgId}` : "/fleet", env().NEXTAUTH_URL).toString();
  const subject = `[${kind}] ${list.length} alerts ${kind === "firing" ? "firing" : "resolved"}`;
  const lines = sorted
    .slice(0, DIGEST_LINES)
    .map(
      (a) =>
        `- [${a.severity}] ${a.rule.name} on ${a.instance.name} (${a.instance.slug}): ` +
        formatMetricValue(a.rule.metric, a.value),
    );
  const more = list.length > DIGEST_LINES ? `\n...and ${list.length - DIGEST_LINES} more.` : "";
  const text =
    `${list.length} alerts ${kind === "firing" ? "started firing" : "resolved"} at ${now.toISOString()}; ` +
    `one message instead of ${list.length} (each alert's runbook is on its instance page):\n` +
    `${lines.join("\n")}${more}\n\n${link}`;
  const key = `alert-digest:${kind}:${now.toISOString()}:${user.id}`;
  const orgId = orgs.size === 1 ? list[0]!.orgId : null;
  const seen = await tx.outboxMessage.findUnique({
    where: { dedupeKey: `${key}:email` },
    select: { id: true },
  });
  if (seen) return [];
  await tx.outboxMessage.create({
    data: {
      channel: "console",
      userId: user.id,
      orgId,
      subject,
      bodyText: text,
      status: "sent",
      sentAt: now,
      dedupeKey: `${key}:console`,
    },
  });
  return [await queueEmail(tx, { to: user.email, subject, text, orgId, dedupeKey: `${key}:email` })];
}

/** Queues the notices' console notifications, e-mails and webhook events; returns the message ids to dispatch. */
export async function notifyAlerts(
  tx: Tx,
  notices: AlertNotice[],
  now: Date,
): Promise<{ dispatch: string[] }> {
  const alerts = new Map(
    (
      await loadAlertsForNotice(
        tx,
        notices.map((n) => n.alertId),
      )
    ).map((a) => [a.id, a]),
  );
  const staff = await tx.user.findMany({
    where: { disabledAt: null, staffRole: { in: ["sre", "admin"] } },
    select: { id: true, email: true },
  });
  const customerOrgs = [
    ...new Set([...alerts.values()].filter((a) => a.rule.notifyCustomer).map((a) => a.orgId)),
  ];
  const admins = customerOrgs.length
    ? await tx.membership.findMany({
        where: { orgId: { in: customerOrgs }, role: "admin", user: { disabledAt: null } },
        select: { orgId: true, user: { select: { id: true, email: true } } },
      })
    : [];
  const adminsOf = new Map<string, { id: string; email: string }[]>();
  for (const m of admins) adminsOf.set(m.orgId, [...(adminsOf.get(m.orgId) ?? []), m.user]);

  // One row per notice (its text) and one per notice and person; the statement multiplies them by the two
  // channels, so a storm ships each text once rather than once per recipient and channel.
  const m = {
    i: [] as number[],
    orgId: [] as string[],
    subject: [] as string[],
    head: [] as string[],
    runbookOf: [] as (string | null)[],
    tail: [] as string[],
    key: [] as string[],
  };
  const r = { i: [] as number[], userId: [] as string[], email: [] as string[] };
  const recipientsOf = (a: AlertForNotice) => {
    const people = new Map(staff.map((u) => [u.id, u]));
    if (a.rule.notifyCustomer) for (const u of adminsOf.get(a.orgId) ?? []) people.set(u.id, u);
    return [...people.values()];
  };
  // Who would get how many messages of each kind in this cycle: past DIGEST_AFTER, one digest instead.
  const perPerson = new Map<
    string,
    { user: { id: string; email: string }; kind: string; alerts: AlertForNotice[] }
  >();
  for (const n of notices) {
    const a = alerts.get(n.alertId);
    if (!a) continue;
    for (const u of recipientsOf(a)) {
      const key = `${u.id}:${n.kind}`;
      const entry = perPerson.get(key) ?? { user: u, kind: n.kind, alerts: [] };
      entry.alerts.push(a);
      perPerson.set(key, entry);
    }
  }
  const digested = new Set([...perPerson].filter(([, e]) => e.alerts.length > DIGEST_AFTER).map(([k]) => k));
  notices.forEach((n, i) => {
    const a = alerts.get(n.alertId);
    if (!a) return;
    const msg = messageOf(a, n);
    m.i.push(i);
    m.orgId.push(a.orgId);
    m.subject.push(msg.subject);
    m.head.push(msg.head);
    m.runbookOf.push(msg.runbookOf);
    m.tail.push(msg.tail);
    m.key.push(`alert:${a.id}:${n.kind}`);
    for (const u of recipientsOf(a)) {
      if (digested.has(`${u.id}:${n.kind}`)) continue;
      r.i.push(i);
      r.userId.push(u.id);
      r.email.push(u.email);
    }
  });
  const ts = Prisma.sql`(${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  const inserted = r.i.length
    ? await tx.$queryRaw<{ id: string; channel: string }[]>`
        INSERT INTO "OutboxMessage" (id, channel, "toAddress", "userId", "orgId", subject, "bodyText", "dedupeKey",
                                     status, "sentAt", "nextAttemptAt", attempts, "createdAt", "updatedAt")
        SELECT gen_random_uuid()::text, c.channel::"OutboxChannel",
               CASE WHEN c.channel = 'email' THEN r.email END, CASE WHEN c.channel = 'console' THEN r.user_id END,
               m.org_id, m.subject,
               m.head || COALESCE(E'\n\nRunbook:\n' || ar.runbook, '') || m.tail, m.key || ':' || r.user_id || ':' || c.channel,
               (CASE WHEN c.channel = 'console' THEN 'sent' ELSE 'pending' END)::"OutboxStatus",
               CASE WHEN c.channel = 'console' THEN ${ts} END, ${ts}, 0, ${ts}, ${ts}
          FROM unnest(${m.i}::int[], ${m.orgId}::text[], ${m.subject}::text[], ${m.head}::text[],
                      ${m.runbookOf}::text[], ${m.tail}::text[], ${m.key}::text[])
               AS m(i, org_id, subject, head, rule_id, tail, key)
          LEFT JOIN "AlertRule" ar ON ar.id = m.rule_id
          JOIN unnest(${r.i}::int[], ${r.userId}::text[], ${r.email}::text[]) AS r(i, user_id, email) ON r.i = m.i
         CROSS JOIN (VALUES ('console'), ('email')) AS c(channel)
        ON CONFLICT ("dedupeKey") DO NOTHING
        RETURNING id, channel::text AS channel`
    : [];
  const dispatch = inserted.filter((x) => x.channel === "email").map((x) => x.id);
  for (const key of digested) {
    const e = perPerson.get(key)!;
    dispatch.push(...(await queueDigest(tx, e.user, e.kind as AlertNotice["kind"], e.alerts, now)));
  }

  // Each alert event is posted once to its instance's support channel, whatever the digest does for people.
  const posts = notices.flatMap((n) => {
    const a = alerts.get(n.alertId);
    if (!a) return [];
    const msg = messageOf(a, n);
    return [
      {
        instanceId: a.instanceId,
        kind: "alert" as const,
        text: `${msg.subject}\n${msg.head}${msg.tail}`,
        dedupeKey: `alert:${a.id}:${n.kind}`,
      },
    ];
  });
  dispatch.push(...(await postManyToInstanceChannels(tx, posts, now)).dispatch);

  const wanted = await webhookFilter(tx);
  for (const n of notices) {
    const a = alerts.get(n.alertId);
    const type: WebhookEventType = n.kind === "firing" ? "alert.firing" : "alert.resolved";
    if (!a || !wanted(a.orgId, type)) continue;
    dispatch.push(
      ...(await queueWebhookEvent(tx, {
        type,
        orgId: a.orgId,
        dedupeKey: `alert:${a.id}:${n.kind}`,
        occurredAt: now,
        data: { ...alertWebhookData(a), ...(n.reason ? { reason: n.reason } : {}) },
      })),
    );
  }
  return { dispatch };
}

/**
 * Whether any enabled endpoint could want an org's event: asked once per cycle so that a storm of alerts on a
 * fleet without webhooks costs no query per alert (queueWebhookEvent makes the exact choice).
 */
export async function webhookFilter(tx: Tx): Promise<(orgId: string, type: WebhookEventType) => boolean> {
  const endpoints = await tx.webhookEndpoint.findMany({
    where: { enabled: true },
    select: { orgId: true, events: true },
  });
  return (orgId, type) =>
    endpoints.some(
      (e) => (e.orgId === null || e.orgId === orgId) && (e.events.length === 0 || e.events.includes(type)),
    );
}
