// The one tRPC init file (STYLE.md #3): context, superjson, error formatting, and the procedure factories that
// decide who may call what (STYLE.md #4). Procedures stay thin: parse, check access, call one use case.
import { randomUUID } from "node:crypto";
import { logger, type Logger } from "@cp/config/logger";
import {
  AppError,
  decideOrgAccess,
  decideStaffAccess,
  ZId,
  type Actor,
  type OrgNeed,
  type StaffNeed,
} from "@cp/core";
import { loadActor, type RequestMeta, type ServiceContext } from "@cp/services";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";

export interface TrpcContext extends RequestMeta {
  actor: (Actor & { name: string | null }) | null;
  log: Logger;
}

export interface ContextInput {
  /** The session's user id, if any; the actor's roles are read from the database here, on every request. */
  userId: string | null | undefined;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string;
}

export async function createTrpcContext(input: ContextInput): Promise<TrpcContext> {
  const requestId = input.requestId ?? randomUUID();
  const actor = input.userId ? await loadActor(input.userId) : null;
  return {
    actor,
    ip: input.ip ?? null,
    userAgent: input.userAgent ?? null,
    requestId,
    log: logger().child({ requestId, userId: actor?.userId }),
  };
}

/** "field: message" for each zod issue, so the user sees which field to fix and how. */
export function describeZodError(err: ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx }) {
    // Only input validation (BAD_REQUEST) is the caller's to fix; a zod failure on our side (output validation, a
    // parse inside a use case) is an internal error and must not show our schema to the client.
    const zod = error.code === "BAD_REQUEST" && error.cause instanceof ZodError ? error.cause : null;
    const app = error.cause instanceof AppError ? error.cause : null;
    let message = shape.message;
    if (zod) message = describeZodError(zod);
    else if (error.code === "INTERNAL_SERVER_ERROR") {
      message = `Something went wrong on our side. Reference: ${ctx?.requestId ?? "unknown"}`;
    }
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.requestId,
        field: app?.field ?? (zod?.issues[0]?.path.join(".") || undefined),
        zodIssues: zod ? zod.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : undefined,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Typed domain errors become tRPC errors here, in one place; only the unexpected ones are logged (STYLE.md #7). */
const errorMapping = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
    if (result.error.code === "INTERNAL_SERVER_ERROR")
      ctx.log.error({ err: cause ?? result.error, path }, "procedure failed");
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping);

/** Signed in: UNAUTHORIZED only when there is no (valid) session. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor)
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: "Sign in to continue; your session may have expired.",
    });
  const service: ServiceContext = {
    actor: ctx.actor,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
    log: ctx.log,
  };
  return next({ ctx: { actor: ctx.actor, service } });
});

/**
 * Org-scoped: the input carries `orgId`. Someone with no tie to the org gets NOT_FOUND (never learns it exists);
 * a member or staff without the needed role gets FORBIDDEN.
 */
export function orgProcedure(need: OrgNeed) {
  return authedProcedure.input(z.object({ orgId: ZId })).use(({ ctx, input, next }) => {
    return next({ ctx: { viaStaff: assertOrgAccess(ctx.actor, input.orgId, need) } });
  });
}

/**
 * Objects that belong to an org or to the whole fleet (e.g. webhook endpoints): `orgId` set is checked as
 * orgProcedure(orgNeed), `orgId: null` as staffProcedure(staffNeed).
 */
export function orgOrFleetProcedure(orgNeed: OrgNeed, staffNeed: StaffNeed) {
  return authedProcedure.input(z.object({ orgId: ZId.nullable() })).use(({ ctx, input, next }) => {
    if (input.orgId !== null) {
      return next({ ctx: { viaStaff: assertOrgAccess(ctx.actor, input.orgId, orgNeed) } });
    }
    assertStaffAccess(ctx.actor, staffNeed);
    return next({ ctx: { viaStaff: true } });
  });
}

function assertOrgAccess(actor: Actor, orgId: string, need: OrgNeed): boolean {
  const decision = decideOrgAccess(actor, orgId, need);
  if (!decision.ok) {
    throw decision.reason === "not_found"
      ? new TRPCError({ code: "NOT_FOUND", message: "Organization was not found." })
      : new TRPCError({ code: "FORBIDDEN", message: forbiddenMessage(need) });
  }
  return decision.viaStaff;
}

function forbiddenMessage(need: OrgNeed): string {
  switch (need) {
    case "admin":
    case "adminRead":
      return "Only an admin of this organization (or provider staff with that right) can do this.";
    default:
      return "You do not have permission to do this.";
  }
}

export function staffProcedure(need: StaffNeed) {
  return authedProcedure.use(({ ctx, next }) => {
    assertStaffAccess(ctx.actor, need);
    return next();
  });
}

function assertStaffAccess(actor: Actor, need: StaffNeed): void {
  if (!decideStaffAccess(actor, need)) {
    const who = { staff: "provider staff", sre: "SREs and staff admins", staffAdmin: "staff admins" }[need];
    throw new TRPCError({ code: "FORBIDDEN", message: `Only ${who} can do this.` });
  }
}
