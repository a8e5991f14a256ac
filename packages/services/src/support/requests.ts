// Support requests: customers open them from the console with a severity and the affected instance; support staff
// answer in the same thread. Each request has two SLA clocks (first response, resolution) whose due times are fixed
// when it opens, from the org's support plan and the severity. The SLA tick records breaches once and warns staff
// once per target when one is near. Every change is one transaction with its audit event, its notifications (outbox,
// deduplicated by key) and its post to the instance's support channel.
import { env } from "@cp/config";
import {
  addBusinessMinutes,
  AppError,
  clockHours,
  decideOrgAccess,
  decideStaffAccess,
  decodeCursor,
  encodeCursor,
  forbidden,
  isStaff,
  notFound,
  slaClock,
  badRequest,
  SUPPORT_REQUEST_STATUSES,
  SUPPORT_SEVERITIES,
  ZId,
  type Actor,
  type OrgNeed,
  type SlaState,
  type SupportRequestStatus,
  type SupportSeverity,
} from "@cp/core";
import { db, Prisma, type Db, type SupportRequest } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { dispatchOutbox, queueEmail } from "../outbox/outbox";
import { keysetAfter, keysetResult } from "../pagination";
import { assignedSupportStaff } from "./assignments";
import { postToInstanceChannel } from "./channel-posts";
import { supportPlanOf } from "./plans";

// ---------------------------------------------------------------------------------------------------------------
// Access

/** The same rules as the API's org procedures, so a use case called from elsewhere cannot leak another org. */
function assertOrgAccess(actor: Actor, orgId: string, need: OrgNeed): void {
  const d = decideOrgAccess(actor, orgId, need);
  if (!d.ok) throw d.reason === "not_found" ? notFound("Organization") : forbidden();
}

async function findRequest(tx: Db, orgId: string, requestId: string, lock = false): Promise<SupportRequest> {
  if (lock) await tx.$queryRaw`SELECT id FROM "SupportRequest" WHERE id = ${requestId} FOR UPDATE`;
  const r = await tx.supportRequest.findFirst({ where: { id: requestId, orgId } });
  if (!r) throw notFound("Support request");
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Clocks

type ClockFields = Pick<
  SupportRequest,
  | "plan"
  | "severity"
  | "status"
  | "createdAt"
  | "firstResponseDueAt"
  | "resolutionDueAt"
  | "firstRespondedAt"
  | "resolvedAt"
  | "firstResponseBreachedAt"
  | "resolutionBreachedAt"
>;

/** Both clocks of a request at `now`, and the worst of them for a one-word summary. */
export function supportClocks(r: ClockFields, now: Date = new Date()) {
  const plan = supportPlanOf(r.plan);
  const hours = clockHours(plan, r.severity);
  const resolvedAt = r.status === "resolved" ? r.resolvedAt : null;
  const common = { startedAt: r.createdAt, now, hours, nearBreachPercent: plan.nearBreachPercent };
  // A request resolved without a staff reply needs no first response any more: that clock stops too.
  const first = slaClock({
    ...common,
    dueAt: r.firstResponseDueAt,
    stoppedAt: r.firstRespondedAt ?? resolvedAt,
  });
  const resolution = slaClock({ ...common, dueAt: r.resolutionDueAt, stoppedAt: resolvedAt });
  const states: SlaState[] = [first.state, resolution.state];
  const slaState: SlaState = states.includes("breached")
    ? "breached"
    : states.includes("near")
      ? "near"
      : states.every((s) => s === "met")
        ? "met"
        : "ok";
  return {
    /** null: the clocks run around the clock. */
    businessHours: hours,
    nearBreachPercent: plan.nearBreachPercent,
    slaState,
    firstResponse: {
      dueAt: r.firstResponseDueAt,
      stoppedAt: r.firstRespondedAt ?? resolvedAt,
      breachedAt: r.firstResponseBreachedAt,
      ...first,
    },
    resolution: {
      dueAt: r.resolutionDueAt,
      stoppedAt: resolvedAt,
      breachedAt: r.resolutionBreachedAt,
      ...resolution,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Notifications

interface Recipient {
  userId: string;
  email: string;
}

/** The org's assigned support staff; when nobody is assigned, all support staff (or else all staff). */
async function staffRecipients(tx: Db, orgId: string): Promise<Recipient[]> {
  const assigned = await assignedSupportStaff(orgId, tx);
  if (assigned.length > 0) return assigned.map((a) => ({ userId: a.userId, email: a.email }));
  const support = await tx.user.findMany({
    where: { staffRole: "support", disabledAt: null },
    select: { id: true, email: true },
  });
  const list = support.length
    ? support
    : await tx.user.findMany({
        where: { staffRole: { not: "none" }, disabledAt: null },
        select: { id: true, email: true },
      });
  return list.map((u) => ({ userId: u.id, email: u.email }));
}

/** The customer who opened the request, while their account is active. */
async function openerRecipients(tx: Db, r: SupportRequest): Promise<Recipient[]> {
  const u = await tx.user.findUnique({
    where: { id: r.openedById },
    select: { id: true, email: true, disabledAt: true },
  });
  return u && !u.disabledAt ? [{ userId: u.id, email: u.email }] : [];
}

/**
 * A console notification and an e-mail for each recipient (but not the person acting), once per key and person.
 * Returns the e-mails to dispatch after the transaction commits.
 */
async function notifyPeople(
  tx: Db,
  people: Recipient[],
  msg: { key: string; subject: string; text: string; orgId: string; exceptUserId?: string },
): Promise<string[]> {
  const emailIds: string[] = [];
  for (const p of people) {
    if (p.userId === msg.exceptUserId) continue;
    const consoleKey = `${msg.key}:console:${p.userId}`;
    const existing = await tx.outboxMessage.findUnique({
      where: { dedupeKey: consoleKey },
      select: { id: true },
    });
    if (!existing) {
      await tx.outboxMessage.create({
        data: {
          channel: "console",
          userId: p.userId,
          orgId: msg.orgId,
          subject: msg.subject,
          bodyText: msg.text,
          dedupeKey: consoleKey,
          status: "sent",
          sentAt: new Date(),
        },
      });
    }
    emailIds.push(
      await queueEmail(tx, {
        to: p.email,
        subject: msg.subject,
        text: msg.text,
        orgId: msg.orgId,
        dedupeKey: `${msg.key}:email:${p.userId}`,
      }),
    );
  }
  return emailIds;
}

function requestLink(r: Pick<SupportRequest, "orgId" | "id">): string {
  return new URL(`/orgs/${r.orgId}/support/${r.id}`, env().NEXTAUTH_URL).toString();
}

const label = (r: Pick<SupportRequest, "number" | "severity" | "subject">) =>
  `#${r.number} (${r.severity}) ${r.subject}`;

// ---------------------------------------------------------------------------------------------------------------
// Rows

/** Rows for lists: each with its org's name, its instance (if any) and its clocks. */
async function toRows(rows: SupportRequest[], now: Date) {
  const orgIds = [...new Set(rows.map((r) => r.orgId))];
  const instanceIds = [...new Set(rows.flatMap((r) => (r.instanceId ? [r.instanceId] : [])))];
  const [orgs, instances] = await Promise.all([
    orgIds.length
      ? db().organization.findMany({ where: { id: { in: orgIds } }, select: { id: true, name: true } })
      : [],
    instanceIds.length
      ? db().instance.findMany({
          where: { id: { in: instanceIds } },
          select: { id: true, name: true, slug: true },
        })
      : [],
  ]);
  const orgName = new Map(orgs.map((o) => [o.id, o.name]));
  const instanceOf = new Map(instances.map((x) => [x.id, x]));
  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    orgId: r.orgId,
    orgName: orgName.get(r.orgId) ?? "",
    instance: r.instanceId ? (instanceOf.get(r.instanceId) ?? null) : null,
    subject: r.subject,
    severity: r.severity,
    status: r.status,
    plan: r.plan,
    assigneeId: r.assigneeId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    firstRespondedAt: r.firstRespondedAt,
    resolvedAt: r.resolvedAt,
    clocks: supportClocks(r, now),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Use cases

const ZSubject = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(200, "must be at most 200 characters");
const ZBody = z.string().trim().min(1, "must not be empty").max(20_000, "must be at most 20000 characters");

const ZOpen = z.object({
  orgId: ZId,
  instanceId: ZId.nullish(),
  severity: z.enum(SUPPORT_SEVERITIES),
  subject: ZSubject,
  body: ZBody,
});

export interface OpenSupportRequestInput {
  orgId: string;
  instanceId?: string | null;
  severity: SupportSeverity;
  subject: string;
  body: string;
}

/** A customer (or staff on their behalf) opens a request; its due times come from the org's plan and severity. */
export async function openSupportRequest(
  ctx: ActingContext,
  input: OpenSupportRequestInput,
  /** When it opened: now, except in tests of the clocks. */
  now: Date = new Date(),
) {
  const i = parseInput(ZOpen, input);
  assertOrgAccess(ctx.actor, i.orgId, "support");
  const { request, emailIds } = await db().$transaction(async (tx) => {
    const org = await tx.organization.findUnique({
      where: { id: i.orgId },
      select: { id: true, supportPlan: true },
    });
    if (!org) throw notFound("Organization");
    if (i.instanceId) {
      const inst = await tx.instance.findFirst({
        where: { id: i.instanceId, orgId: org.id, destroyedAt: null },
        select: { id: true },
      });
      if (!inst)
        throw new AppError("NOT_FOUND", "instanceId: no such instance in this organization.", "instanceId");
    }
    const plan = supportPlanOf(org.supportPlan);
    const hours = clockHours(plan, i.severity);
    const target = plan.targets[i.severity];
    const assigned = await assignedSupportStaff(org.id, tx);
    const request = await tx.supportRequest.create({
      data: {
        orgId: org.id,
        instanceId: i.instanceId ?? null,
        openedById: ctx.actor.userId,
        subject: i.subject,
        severity: i.severity,
        plan: org.supportPlan,
        assigneeId: assigned[0]?.userId ?? null,
        firstResponseDueAt: addBusinessMinutes(now, target.firstResponseMinutes, hours),
        resolutionDueAt: addBusinessMinutes(now, target.resolutionMinutes, hours),
        createdAt: now,
      },
    });
    await tx.supportMessage.create({
      data: {
        requestId: request.id,
        authorId: ctx.actor.userId,
        fromStaff: isStaff(ctx.actor),
        body: i.body,
        createdAt: now,
      },
    });
    await recordAudit(tx, ctx, {
      action: "support_request.open",
      targetType: "support_request",
      targetId: request.id,
      orgId: org.id,
      after: {
        number: request.number,
        severity: request.severity,
        subject: request.subject,
        instanceId: request.instanceId,
        plan: request.plan,
        firstResponseDueAt: request.firstResponseDueAt,
        resolutionDueAt: request.resolutionDueAt,
      },
    });
    const emailIds = await notifyPeople(tx, await staffRecipients(tx, org.id), {
      key: `support_request:${request.id}:open`,
      orgId: org.id,
      exceptUserId: ctx.actor.userId,
      subject: `New support request ${label(request)}`,
      text:
        `${ctx.actor.email} opened support request ${label(request)}.\n` +
        `First response due ${request.firstResponseDueAt.toISOString()}.\n\n${i.body}\n\n${requestLink(request)}`,
    });
    if (request.instanceId) {
      await postToInstanceChannel(tx, {
        instanceId: request.instanceId,
        kind: "support",
        text: `Support request ${label(request)} opened by ${ctx.actor.email}.`,
        dedupeKey: `support_request:${request.id}:open`,
      });
    }
    return { request, emailIds };
  });
  await dispatchOutbox(emailIds);
  return {
    id: request.id,
    number: request.number,
    orgId: request.orgId,
    status: request.status,
    firstResponseDueAt: request.firstResponseDueAt,
    resolutionDueAt: request.resolutionDueAt,
  };
}

const ZStatus = z.enum(SUPPORT_REQUEST_STATUSES);
const ZLimit = z.number().int().min(1, "must be at least 1").max(100, "must be at most 100");

/** The org's requests, newest first (keyset pages), each with its SLA clocks. */
export async function listSupportRequests(
  ctx: ActingContext,
  input: { orgId: string; status?: SupportRequestStatus | null; cursor?: string | null; limit: number },
  now: Date = new Date(),
) {
  const i = parseInput(
    z.object({ orgId: ZId, status: ZStatus.nullish(), cursor: z.string().nullish(), limit: ZLimit }),
    input,
  );
  assertOrgAccess(ctx.actor, i.orgId, "read");
  const rows = await db().supportRequest.findMany({
    where: { orgId: i.orgId, status: i.status ?? undefined, ...keysetAfter(i.cursor) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: i.limit + 1,
  });
  const page = keysetResult(rows, i.limit);
  return { items: await toRows(page.items, now), nextCursor: page.nextCursor };
}

export interface SupportQueueInput {
  /** Unset: every request that is not resolved. */
  status?: SupportRequestStatus | null;
  severity?: SupportSeverity | null;
  orgId?: string | null;
  /** Only requests with a breached clock (recorded, or past due and not yet seen by the tick). */
  breachedOnly?: boolean;
  cursor?: string | null;
  limit: number;
}

/**
 * The staff queue across orgs, the nearest due target first: the first-response due time while unanswered (when it
 * comes before the resolution's), else the resolution's. Keyset pages over (next due time, id).
 */
export async function supportQueue(ctx: ActingContext, input: SupportQueueInput, now: Date = new Date()) {
  if (!decideStaffAccess(ctx.actor, "staff"))
    throw forbidden("Only provider staff can see the support queue.");
  const i = parseInput(
    z.object({
      status: ZStatus.nullish(),
      severity: z.enum(SUPPORT_SEVERITIES).nullish(),
      orgId: ZId.nullish(),
      breachedOnly: z.boolean().default(false),
      cursor: z.string().nullish(),
      limit: ZLimit,
    }),
    input,
  );
  const conds: Prisma.Sql[] = [
    i.status
      ? Prisma.sql`"status" = ${i.status}::"SupportRequestStatus"`
      : Prisma.sql`"status" <> 'resolved'::"SupportRequestStatus"`,
  ];
  if (i.severity) conds.push(Prisma.sql`"severity" = ${i.severity}::"SupportSeverity"`);
  if (i.orgId) conds.push(Prisma.sql`"orgId" = ${i.orgId}`);
  if (i.breachedOnly) {
    conds.push(Prisma.sql`(
      "firstResponseBreachedAt" IS NOT NULL OR "resolutionBreachedAt" IS NOT NULL
      OR ("status" <> 'resolved'::"SupportRequestStatus" AND "firstRespondedAt" IS NULL AND "firstResponseDueAt" < ${now})
      OR ("status" <> 'resolved'::"SupportRequestStatus" AND "resolutionDueAt" < ${now})
    )`);
  }
  let after = Prisma.sql`TRUE`;
  if (i.cursor) {
    const c = decodeCursor(i.cursor);
    if (!c) throw badRequest("cursor: start again from the first page.", "cursor");
    after = Prisma.sql`("nextDueAt" > ${c.at} OR ("nextDueAt" = ${c.at} AND id > ${c.id}))`;
  }
  const ordered = await db().$queryRaw<{ id: string; nextDueAt: Date }[]>`
    SELECT id, "nextDueAt" FROM (
      SELECT id,
        CASE WHEN "firstRespondedAt" IS NULL AND "firstResponseDueAt" < "resolutionDueAt"
          THEN "firstResponseDueAt" ELSE "resolutionDueAt" END AS "nextDueAt"
      FROM "SupportRequest"
      WHERE ${Prisma.join(conds, " AND ")}
    ) q
    WHERE ${after}
    ORDER BY "nextDueAt" ASC, id ASC
    LIMIT ${i.limit + 1}`;
  const pageIds = ordered.slice(0, i.limit);
  const rows = pageIds.length
    ? await db().supportRequest.findMany({ where: { id: { in: pageIds.map((r) => r.id) } } })
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const items = await toRows(
    pageIds.flatMap((p) => {
      const r = byId.get(p.id);
      return r ? [r] : [];
    }),
    now,
  );
  const last = pageIds.at(-1);
  return {
    items: items.map((r, idx) => ({ ...r, nextDueAt: pageIds[idx]!.nextDueAt })),
    nextCursor: ordered.length > i.limit && last ? encodeCursor({ at: last.nextDueAt, id: last.id }) : null,
  };
}

/** One request with its whole thread (oldest first) and its clocks; customers and staff see the same thread. */
export async function getSupportRequest(
  ctx: ActingContext,
  input: { orgId: string; requestId: string },
  now: Date = new Date(),
) {
  const i = parseInput(z.object({ orgId: ZId, requestId: ZId }), input);
  assertOrgAccess(ctx.actor, i.orgId, "read");
  const r = await db().supportRequest.findFirst({
    where: { id: i.requestId, orgId: i.orgId },
    include: { messages: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
  });
  if (!r) throw notFound("Support request");
  const userIds = [...new Set([r.openedById, ...r.messages.map((m) => m.authorId)])];
  const users = await db().user.findMany({
    where: { id: { in: userIds } },
    select: { id: true, email: true, name: true },
  });
  const byId = new Map(users.map((u) => [u.id, u]));
  const [row] = await toRows([r], now);
  return {
    ...row!,
    openedBy: { email: byId.get(r.openedById)?.email ?? null, name: byId.get(r.openedById)?.name ?? null },
    messages: r.messages.map((m) => ({
      id: m.id,
      body: m.body,
      fromStaff: m.fromStaff,
      createdAt: m.createdAt,
      author: { email: byId.get(m.authorId)?.email ?? null, name: byId.get(m.authorId)?.name ?? null },
    })),
  };
}

/**
 * A reply in the thread. The first staff reply stops the first-response clock (recording the breach if it came too
 * late); a customer's reply to a request waiting on them (or resolved) opens it again. The other side hears of it.
 */
export async function replyToSupportRequest(
  ctx: ActingContext,
  input: { orgId: string; requestId: string; body: string },
) {
  const i = parseInput(z.object({ orgId: ZId, requestId: ZId, body: ZBody }), input);
  assertOrgAccess(ctx.actor, i.orgId, "support");
  const fromStaff = isStaff(ctx.actor);
  const now = new Date();
  const { result, emailIds } = await db().$transaction(async (tx) => {
    const r = await findRequest(tx, i.orgId, i.requestId, true);
    const message = await tx.supportMessage.create({
      data: { requestId: r.id, authorId: ctx.actor.userId, fromStaff, body: i.body, createdAt: now },
    });
    const data: Prisma.SupportRequestUpdateInput = {};
    if (fromStaff && !r.firstRespondedAt) {
      data.firstRespondedAt = now;
      if (now > r.firstResponseDueAt && !r.firstResponseBreachedAt) data.firstResponseBreachedAt = now;
      // The near-breach warning is once per target: the resolution clock may warn in its turn.
      data.nearBreachNotifiedAt = null;
    }
    if (!fromStaff && r.status !== "open") {
      data.status = "open";
      data.resolvedAt = null;
    }
    const updated = await tx.supportRequest.update({
      where: { id: r.id },
      data: { ...data, updatedAt: now },
    });
    await recordAudit(tx, ctx, {
      action: "support_request.reply",
      targetType: "support_request",
      targetId: r.id,
      orgId: r.orgId,
      before: { status: r.status },
      after: {
        messageId: message.id,
        fromStaff,
        status: updated.status,
        firstResponseBreached: data.firstResponseBreachedAt !== undefined,
      },
    });
    const key = `support_request:${r.id}:message:${message.id}`;
    const emailIds = await notifyPeople(
      tx,
      fromStaff ? await openerRecipients(tx, r) : await staffRecipients(tx, r.orgId),
      {
        key,
        orgId: r.orgId,
        exceptUserId: ctx.actor.userId,
        subject: fromStaff ? `Support replied to ${label(r)}` : `Customer replied to ${label(r)}`,
        text: `${fromStaff ? "Support" : ctx.actor.email} wrote on ${label(r)}:\n\n${i.body}\n\n${requestLink(r)}`,
      },
    );
    if (fromStaff && r.instanceId) {
      await postToInstanceChannel(tx, {
        instanceId: r.instanceId,
        kind: "support",
        text: `Support replied to request ${label(r)}.`,
        dedupeKey: key,
      });
    }
    return {
      result: {
        messageId: message.id,
        status: updated.status,
        firstRespondedAt: updated.firstRespondedAt,
        firstResponseBreachedAt: updated.firstResponseBreachedAt,
      },
      emailIds,
    };
  });
  await dispatchOutbox(emailIds);
  return result;
}

/**
 * Staff may set any status; customers may resolve their org's requests or open them again. Resolving stops the
 * resolution clock (recording the breach if it came too late); reopening starts it again against the same due time.
 */
export async function setSupportRequestStatus(
  ctx: ActingContext,
  input: { orgId: string; requestId: string; status: SupportRequestStatus },
) {
  const i = parseInput(z.object({ orgId: ZId, requestId: ZId, status: ZStatus }), input);
  assertOrgAccess(ctx.actor, i.orgId, "support");
  const fromStaff = isStaff(ctx.actor);
  if (!fromStaff && i.status === "waiting_on_customer") {
    throw forbidden("Only support staff can mark a request as waiting on the customer.");
  }
  const now = new Date();
  const { result, emailIds } = await db().$transaction(async (tx) => {
    const r = await findRequest(tx, i.orgId, i.requestId, true);
    const same = {
      id: r.id,
      status: r.status,
      resolvedAt: r.resolvedAt,
      resolutionBreachedAt: r.resolutionBreachedAt,
    };
    if (r.status === i.status) return { result: same, emailIds: [] };
    const data: Prisma.SupportRequestUpdateInput = { status: i.status, updatedAt: now };
    if (i.status === "resolved") {
      data.resolvedAt = now;
      if (now > r.resolutionDueAt && !r.resolutionBreachedAt) data.resolutionBreachedAt = now;
    } else {
      data.resolvedAt = null;
    }
    const updated = await tx.supportRequest.update({ where: { id: r.id }, data });
    await recordAudit(tx, ctx, {
      action: "support_request.status_change",
      targetType: "support_request",
      targetId: r.id,
      orgId: r.orgId,
      before: { status: r.status },
      after: { status: updated.status, resolutionBreached: data.resolutionBreachedAt !== undefined },
    });
    const words: Record<SupportRequestStatus, string> = {
      open: "reopened",
      waiting_on_customer: "is waiting on you",
      resolved: "was resolved",
    };
    const emailIds = await notifyPeople(
      tx,
      fromStaff ? await openerRecipients(tx, r) : await staffRecipients(tx, r.orgId),
      {
        key: `support_request:${r.id}:status:${i.status}:${now.toISOString()}`,
        orgId: r.orgId,
        exceptUserId: ctx.actor.userId,
        subject: `Support request ${label(r)} ${words[i.status]}`,
        text: `${ctx.actor.email} set support request ${label(r)} to ${i.status.replaceAll("_", " ")}.\n\n${requestLink(r)}`,
      },
    );
    if (i.status === "resolved" && r.instanceId) {
      await postToInstanceChannel(tx, {
        instanceId: r.instanceId,
        kind: "support",
        text: `Support request ${label(r)} was resolved.`,
        dedupeKey: `support_request:${r.id}:resolved:${now.toISOString()}`,
      });
    }
    return {
      result: {
        id: updated.id,
        status: updated.status,
        resolvedAt: updated.resolvedAt,
        resolutionBreachedAt: updated.resolutionBreachedAt,
      },
      emailIds,
    };
  });
  await dispatchOutbox(emailIds);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The SLA tick

type Target = "first_response" | "resolution";
/** A tick's writes wait for a connection rather than fail when the pool is briefly busy (as alert evaluation does). */
const TICK_TX = { maxWait: 10_000, timeout: 20_000 };
const TARGET_WORDS: Record<Target, string> = { first_response: "first response", resolution: "resolution" };

/**
 * Records each breach once (first response while unanswered, resolution while unresolved), telling the assigned
 * staff and the instance's channel, and warns staff once per target when a running clock passes its plan's
 * near-breach share. Every write is a conditional update, so two workers ticking at once record and warn once.
 */
export async function runSupportSlaTick(now: Date = new Date()) {
  const active = { status: { not: "resolved" as const } };
  const due = await db().supportRequest.findMany({
    where: {
      ...active,
      OR: [
        { firstRespondedAt: null, firstResponseBreachedAt: null, firstResponseDueAt: { lte: now } },
        { resolutionBreachedAt: null, resolutionDueAt: { lte: now } },
      ],
    },
    select: { id: true },
  });
  let breaches = 0;
  for (const { id } of due) {
    for (const target of ["first_response", "resolution"] as const) {
      const where: Prisma.SupportRequestWhereInput =
        target === "first_response"
          ? {
              id,
              ...active,
              firstRespondedAt: null,
              firstResponseBreachedAt: null,
              firstResponseDueAt: { lte: now },
            }
          : { id, ...active, resolutionBreachedAt: null, resolutionDueAt: { lte: now } };
      const data =
        target === "first_response" ? { firstResponseBreachedAt: now } : { resolutionBreachedAt: now };
      const emailIds = await db().$transaction(async (tx) => {
        const claimed = await tx.supportRequest.updateMany({ where, data });
        if (claimed.count === 0) return null;
        const r = await tx.supportRequest.findUniqueOrThrow({ where: { id } });
        await recordAudit(
          tx,
          { actor: null, actorEmail: "system" },
          {
            action: "support_request.sla_breach",
            targetType: "support_request",
            targetId: r.id,
            orgId: r.orgId,
            after: { target, dueAt: target === "first_response" ? r.firstResponseDueAt : r.resolutionDueAt },
          },
        );
        const key = `support_request:${r.id}:breach:${target}`;
        if (r.instanceId) {
          await postToInstanceChannel(tx, {
            instanceId: r.instanceId,
            kind: "support",
            text: `Support request ${label(r)} breached its ${TARGET_WORDS[target]} target.`,
            dedupeKey: key,
          });
        }
        return notifyPeople(tx, await staffRecipients(tx, r.orgId), {
          key,
          orgId: r.orgId,
          subject: `SLA breached: ${TARGET_WORDS[target]} of ${label(r)}`,
          text: `Support request ${label(r)} is past its ${TARGET_WORDS[target]} target.\n\n${requestLink(r)}`,
        });
      }, TICK_TX);
      if (emailIds === null) continue;
      breaches += 1;
      await dispatchOutbox(emailIds);
    }
  }

  const running = await db().supportRequest.findMany({ where: { ...active, nearBreachNotifiedAt: null } });
  let warnings = 0;
  for (const r of running) {
    const clocks = supportClocks(r, now);
    const target: Target | null =
      !r.firstRespondedAt && clocks.firstResponse.state === "near"
        ? "first_response"
        : r.firstRespondedAt && clocks.resolution.state === "near"
          ? "resolution"
          : null;
    if (!target) continue;
    const emailIds = await db().$transaction(async (tx) => {
      const claimed = await tx.supportRequest.updateMany({
        where: {
          id: r.id,
          ...active,
          nearBreachNotifiedAt: null,
          firstRespondedAt: target === "first_response" ? null : { not: null },
        },
        data: { nearBreachNotifiedAt: now },
      });
      if (claimed.count === 0) return null;
      const left = target === "first_response" ? clocks.firstResponse : clocks.resolution;
      return notifyPeople(tx, await staffRecipients(tx, r.orgId), {
        key: `support_request:${r.id}:near:${target}`,
        orgId: r.orgId,
        subject: `SLA near breach: ${TARGET_WORDS[target]} of ${label(r)}`,
        text:
          `Support request ${label(r)} has ${left.remainingMinutes} minutes left before its ` +
          `${TARGET_WORDS[target]} target (due ${left.dueAt.toISOString()}).\n\n${requestLink(r)}`,
      });
    }, TICK_TX);
    if (emailIds === null) continue;
    warnings += 1;
    await dispatchOutbox(emailIds);
  }
  return { breaches, warnings };
}
