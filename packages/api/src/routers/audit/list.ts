import { ZPage, ZStaffRole } from "@cp/core";
import { listAuditEvents } from "@cp/services";
import { z } from "zod";
import { auditProcedure } from "./filter";

export const ZAuditEvent = z.object({
  id: z.string(),
  createdAt: z.date(),
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  actorStaffRole: ZStaffRole.nullable(),
  viaStaff: z.boolean(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  orgId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});

export const list = auditProcedure
  .input(ZPage)
  .output(z.object({ items: z.array(ZAuditEvent), nextCursor: z.string().nullable() }))
  .query(({ ctx, input }) => {
    const { limit, cursor, ...filter } = input;
    return listAuditEvents(ctx.actor, filter, { limit, cursor });
  });
