// Fixtures for the integration tests of the API: real rows in the throwaway database of the run. Every name, slug
// and e-mail carries a unique suffix, so test files sharing the database never collide.
import { randomBytes } from "node:crypto";
import { db } from "@cp/db";
import type { Cloud, InstanceStatus, OrgRole, Plan, StaffRole } from "@cp/core";
import { hashPassword, hashToken } from "@cp/services";
import { TRPCError } from "@trpc/server";
import { createCaller } from "../root";
import { createTrpcContext } from "../trpc";

/** The password of every local user made here (argon2 is slow on purpose: hashed once per test file). */
export const PASSWORD = "correct horse battery staple";
let hashed: Promise<string> | undefined;
export const passwordHash = (): Promise<string> => (hashed ??= hashPassword(PASSWORD));

let counter = 0;
/** Lower-case, slug-safe and unique within and across the files of a run. */
export function unique(prefix = "t"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${randomBytes(3).toString("hex")}`;
}

export interface TestUser {
  id: string;
  email: string;
}

export async function createUser(
  opts: {
    staffRole?: StaffRole;
    email?: string;
    name?: string;
    withPassword?: boolean;
    disabled?: boolean;
  } = {},
): Promise<TestUser> {
  return db().user.create({
    data: {
      email: (opts.email ?? `${unique("user")}@example.com`).toLowerCase(),
      name: opts.name ?? "Test User",
      staffRole: opts.staffRole ?? "none",
      passwordHash: opts.withPassword === false ? null : await passwordHash(),
      emailVerifiedAt: new Date(),
      disabledAt: opts.disabled ? new Date() : null,
    },
    select: { id: true, email: true },
  });
}

export interface TestOrg {
  id: string;
  name: string;
  slug: string;
}

export async function createOrg(opts: { name?: string; plan?: Plan } = {}): Promise<TestOrg> {
  const slug = unique("org");
  return db().organization.create({
    data: { name: opts.name ?? `Org ${slug}`, slug, plan: opts.plan ?? "dedicated" },
    select: { id: true, name: true, slug: true },
  });
}

export async function addMember(orgId: string, userId: string, role: OrgRole): Promise<{ id: string }> {
  return db().membership.create({ data: { orgId, userId, role }, select: { id: true } });
}

/** A new user who belongs to `orgId` with `role`; returns the user and the membership id. */
export async function createMember(orgId: string, role: OrgRole = "member") {
  const user = await createUser();
  const membership = await addMember(orgId, user.id, role);
  return { user, membershipId: membership.id };
}

/** An invitation row with a known token (the real flow only puts the token in the e-mail). */
export async function createInvitation(opts: {
  orgId: string;
  email: string;
  role?: OrgRole;
  invitedById?: string | null;
  expiresAt?: Date;
  revokedAt?: Date | null;
}): Promise<{ id: string; token: string }> {
  const token = randomBytes(32).toString("base64url");
  const inv = await db().invitation.create({
    data: {
      orgId: opts.orgId,
      email: opts.email.toLowerCase(),
      role: opts.role ?? "member",
      tokenHash: hashToken(token),
      invitedById: opts.invitedById ?? null,
      expiresAt: opts.expiresAt ?? new Date(Date.now() + 24 * 3600_000),
      revokedAt: opts.revokedAt ?? null,
    },
    select: { id: true },
  });
  return { id: inv.id, token };
}

/** The token in the invitation e-mail that the outbox holds for `invitationId`. */
export async function invitationTokenFromEmail(invitationId: string): Promise<string> {
  const msg = await db().outboxMessage.findUniqueOrThrow({
    where: { dedupeKey: `invitation:${invitationId}` },
  });
  const match = /\/invite\/([A-Za-z0-9_-]+)/.exec(msg.bodyText);
  if (!match?.[1]) throw new Error(`no invitation link in the e-mail of ${invitationId}`);
  return match[1];
}

let instanceCounter = 0;
export async function createInstance(opts: {
  orgId: string;
  name?: string;
  cloud?: Cloud;
  region?: string;
  status?: InstanceStatus;
  createdAt?: Date;
  url?: string;
}) {
  instanceCounter += 1;
  const slug = unique("inst");
  return db().instance.create({
    data: {
      orgId: opts.orgId,
      name: opts.name ?? `instance ${instanceCounter} ${slug}`,
      slug,
      cloud: opts.cloud ?? "aws",
      region: opts.region ?? "eu-west-1",
      size: "small",
      mysqlVersion: "8.0",
      storageMode: "provider",
      status: opts.status ?? "running",
      createdAt: opts.createdAt,
      url: opts.url ?? null,
      config: {
        cloud: opts.cloud ?? "aws",
        region: opts.region ?? "eu-west-1",
        size: "small",
        mysqlVersion: "8.0",
        storage: { mode: "provider" },
        sso: { mode: "provider" },
        reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
        ipAllowlist: [],
      },
    },
    select: { id: true, name: true, slug: true, createdAt: true },
  });
}

/** A caller with a fresh context: roles are read from the database now, as on every real request. */
export async function callerFor(user: { id: string } | null, meta: { ip?: string; userAgent?: string } = {}) {
  const ctx = await createTrpcContext({
    userId: user?.id ?? null,
    ip: meta.ip ?? "203.0.113.10",
    userAgent: meta.userAgent ?? "vitest",
  });
  return createCaller(ctx);
}
export type Caller = Awaited<ReturnType<typeof callerFor>>;

export type Outcome = "ok" | TRPCError["code"];

/** How a call ended: "ok" with its value, or the tRPC code with the error; anything else is rethrown. */
export async function settle<T>(
  call: Promise<T>,
): Promise<{ outcome: Outcome; value?: T; error?: TRPCError }> {
  try {
    return { outcome: "ok", value: await call };
  } catch (err) {
    if (err instanceof TRPCError) return { outcome: err.code, error: err };
    throw err;
  }
}

/** The TRPCError a call failed with (fails the test if it succeeded or threw something else). */
export async function trpcError(call: Promise<unknown>): Promise<TRPCError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail with a TRPCError, but it succeeded");
}

/**
 * The standard cast: two customer orgs and the seven kinds of caller the authorization table knows. Org A has a
 * second admin so that an admin of A is never the last one.
 */
export async function createWorld() {
  const [orgA, orgB] = await Promise.all([
    createOrg({ name: `Org A ${unique("a")}` }),
    createOrg({ name: `Org B ${unique("b")}` }),
  ]);
  const [memberA, adminA, adminA2, adminB, support, sre, staffAdmin] = await Promise.all([
    createUser(),
    createUser(),
    createUser(),
    createUser(),
    createUser({ staffRole: "support" }),
    createUser({ staffRole: "sre" }),
    createUser({ staffRole: "admin" }),
  ]);
  await Promise.all([
    addMember(orgA.id, memberA.id, "member"),
    addMember(orgA.id, adminA.id, "admin"),
    addMember(orgA.id, adminA2.id, "admin"),
    addMember(orgB.id, adminB.id, "admin"),
  ]);
  return { orgA, orgB, users: { memberA, adminA, adminA2, adminB, support, sre, staffAdmin } };
}
export type World = Awaited<ReturnType<typeof createWorld>>;

/** A completed (and verified) backup of an instance, as the backup operation leaves it. */
export async function createBackup(opts: { orgId: string; instanceId: string }) {
  return db().backup.create({
    data: {
      orgId: opts.orgId,
      instanceId: opts.instanceId,
      kind: "manual",
      status: "completed",
      verification: "verified",
      sizeBytes: 1024n,
      durationMs: 100,
      completedAt: new Date(),
      expiresAt: new Date(Date.now() + 14 * 86_400_000),
      artifact: {
        driver: "local",
        location: `s3://cp-backups/${opts.instanceId}/fixture/`,
        sizeBytes: 1024,
        sha256: "0".repeat(64),
        durationMs: 100,
        tables: [],
        bucketManifest: null,
        details: {},
      },
    },
    select: { id: true },
  });
}
