// Silences mute a rule's notifications (on one instance, or fleet-wide) for a bounded time, with a reason: the
// alerts still open, fire and show; only the messages wait. A still-firing alert notifies when its silence ends.
import { conflict, notFound, ZAlertSilenceInput, ZId, type AlertSilenceInput } from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { parseInput } from "./parse-input";

const silenceInclude = {
  rule: { select: { id: true, key: true, name: true } },
} satisfies Prisma.AlertSilenceInclude;

type SilenceRow = Prisma.AlertSilenceGetPayload<{ include: typeof silenceInclude }>;

async function silenceViews(rows: SilenceRow[], now = new Date()) {
  const userIds = [
    ...new Set(rows.flatMap((s) => [s.createdById, s.cancelledById]).filter((x) => x !== null)),
  ];
  const instanceIds = [...new Set(rows.map((s) => s.instanceId).filter((x) => x !== null))];
  const [users, instances] = await Promise.all([
    userIds.length
      ? db().user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } })
      : [],
    instanceIds.length
      ? db().instance.findMany({
          where: { id: { in: instanceIds } },
          select: { id: true, slug: true, name: true },
        })
      : [],
  ]);
  const emailOf = new Map(users.map((u) => [u.id, u.email]));
  const instanceOf = new Map(instances.map((i) => [i.id, i]));
  return rows.map((s) => ({
    id: s.id,
    rule: s.rule,
    instance: s.instanceId ? (instanceOf.get(s.instanceId) ?? null) : null,
    instanceId: s.instanceId,
    reason: s.reason,
    startsAt: s.startsAt,
    expiresAt: s.expiresAt,
    createdByEmail: emailOf.get(s.createdById) ?? null,
    cancelledAt: s.cancelledAt,
    cancelledByEmail: s.cancelledById ? (emailOf.get(s.cancelledById) ?? null) : null,
    createdAt: s.createdAt,
    active: s.cancelledAt === null && s.startsAt <= now && now < s.expiresAt,
  }));
}

export async function createSilence(ctx: ActingContext, input: AlertSilenceInput) {
  const v = parseInput(ZAlertSilenceInput, input);
  const row = await db().$transaction(async (tx) => {
    const rule = await tx.alertRule.findUnique({ where: { id: v.ruleId }, select: { id: true, key: true } });
    if (!rule) throw notFound("Alert rule");
    const instance = v.instanceId
      ? await tx.instance.findUnique({
          where: { id: v.instanceId },
          select: { id: true, orgId: true, slug: true },
        })
      : null;
    if (v.instanceId && !instance) throw notFound("Instance");
    const now = new Date();
    const s = await tx.alertSilence.create({
      data: {
        ruleId: rule.id,
        instanceId: instance?.id ?? null,
        reason: v.reason,
        startsAt: now,
        expiresAt: new Date(now.getTime() + v.durationMinutes * 60_000),
        createdById: ctx.actor.userId,
      },
      include: silenceInclude,
    });
    await recordAudit(tx, ctx, {
      action: "alert_silence.create",
      targetType: "alert_silence",
      targetId: s.id,
      orgId: instance?.orgId ?? null,
      after: {
        rule: rule.key,
        instance: instance?.slug ?? null,
        reason: s.reason,
        expiresAt: s.expiresAt,
      },
    });
    return s;
  });
  return (await silenceViews([row]))[0]!;
}

/** Ends a silence now; notifications of still-firing alerts go out on the next evaluation. */
export async function cancelSilence(ctx: ActingContext, silenceId: string) {
  const id = parseInput(ZId, silenceId);
  const row = await db().$transaction(async (tx) => {
    const now = new Date();
    const s = await tx.alertSilence.findUnique({ where: { id }, include: silenceInclude });
    if (!s) throw notFound("Silence");
    if (s.cancelledAt) throw conflict("The silence is already cancelled.");
    if (s.expiresAt <= now) throw conflict("The silence has already expired.");
    const r = await tx.alertSilence.updateMany({
      where: { id, cancelledAt: null },
      data: { cancelledAt: now, cancelledById: ctx.actor.userId },
    });
    if (r.count === 0) throw conflict("The silence is already cancelled.");
    const instance = s.instanceId
      ? await tx.instance.findUnique({ where: { id: s.instanceId }, select: { orgId: true, slug: true } })
      : null;
    await recordAudit(tx, ctx, {
      action: "alert_silence.cancel",
      targetType: "alert_silence",
      targetId: id,
      orgId: instance?.orgId ?? null,
      before: { rule: s.rule.key, instance: instance?.slug ?? null, expiresAt: s.expiresAt },
      after: { cancelledAt: now },
    });
    return tx.alertSilence.findUniqueOrThrow({ where: { id }, include: silenceInclude });
  });
  return (await silenceViews([row]))[0]!;
}

/**
 * Silences, newest first. With `instanceId`: those that apply to it (its own and the fleet-wide ones). With
 * `activeOnly`: only those muting now.
 */
export async function listSilences(filter: { instanceId?: string; activeOnly?: boolean } = {}) {
  const instanceId = filter.instanceId === undefined ? undefined : parseInput(ZId, filter.instanceId);
  const now = new Date();
  const rows = await db().alertSilence.findMany({
    where: {
      ...(instanceId ? { OR: [{ instanceId }, { instanceId: null }] } : {}),
      ...(filter.activeOnly ? { cancelledAt: null, startsAt: { lte: now }, expiresAt: { gt: now } } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 200,
    include: silenceInclude,
  });
  return silenceViews(rows, now);
}
