import { isStaff } from "@cp/core";
import { Prisma, type Db } from "@cp/db";
import type { RequestMeta } from "../context";
import type { Actor } from "@cp/core";

export interface AuditInput {
  action: string;
  targetType: string;
  targetId?: string | null;
  orgId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** JSON for the before/after columns; never pass secrets in here. */
function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  if (value === undefined || value === null) return Prisma.JsonNull;
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

/**
 * Writes one audit event. Call it with the transaction that makes the change, so both land or neither does.
 * A staff member acting on an org they do not belong to is recorded as acting via staff.
 */
export async function recordAudit(
  tx: Db,
  who: { actor: Actor | null; actorEmail?: string | null } & Partial<RequestMeta>,
  input: AuditInput,
): Promise<void> {
  const { actor } = who;
  const viaStaff =
    actor !== null &&
    isStaff(actor) &&
    input.orgId != null &&
    !actor.memberships.some((m) => m.orgId === input.orgId);
  await tx.auditEvent.create({
    data: {
      actorId: actor?.userId ?? null,
      actorEmail: actor?.email ?? who.actorEmail ?? null,
      actorStaffRole: actor ? actor.staffRole : null,
      viaStaff,
      ip: who.ip ?? null,
      userAgent: who.userAgent?.slice(0, 400) ?? null,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId ?? null,
      orgId: input.orgId ?? null,
      before: json(input.before),
      after: json(input.after),
    },
  });
}
