// Rows and contexts the integration tests need, created with db() directly.
import { randomUUID } from "node:crypto";
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { getQueue, QUEUES } from "@cp/jobs";
import { DEFAULT_RATE_LIMITS, type OrderInput } from "@cp/core";
import type { ServiceContext } from "@cp/services";

/** A user who is admin of a fresh org, and the context a use case receives on their behalf. */
export async function createOrgAdmin(): Promise<{ orgId: string; ctx: ServiceContext }> {
  const tag = randomUUID().slice(0, 8);
  const user = await db().user.create({ data: { email: `admin-${tag}@example.test`, name: "Org Admin" } });
  const org = await db().organization.create({
    data: { name: `Org ${tag}`, slug: `org-${tag}`, plan: "saas" },
  });
  await db().membership.create({ data: { orgId: org.id, userId: user.id, role: "admin" } });
  const ctx: ServiceContext = {
    actor: {
      userId: user.id,
      email: user.email,
      staffRole: "none",
      memberships: [{ orgId: org.id, role: "admin" }],
    },
    ip: "127.0.0.1",
    userAgent: "vitest",
    requestId: `req-${tag}`,
    log: logger(),
  };
  return { orgId: org.id, ctx };
}

/** A unique address, so a test finds its own mail among others'. */
export const uniqueAddress = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.test`;

/** The smallest local-cloud order: provider bucket and SSO, default rate limits; `name` is "<label> <subdomain>". */
export function localOrder(label: string, subdomain: string): OrderInput {
  return {
    cloud: "local",
    region: "local",
    size: "small",
    mysqlVersion: "8.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { ...DEFAULT_RATE_LIMITS } },
    name: `${label} ${subdomain}`,
    subdomain,
    ipAllowlist: [],
  };
}

/**
 * Test files share one database and Redis, in sequence: mail that earlier files queued (support requests notify
 * every support user when none is assigned, and test databases hold hundreds) would otherwise be delivered first by a
 * worker process started here, ahead of the one message a test waits for. Their delivery jobs are dropped and the
 * messages closed as failed, with the reason, before such a test starts its worker.
 */
export async function settleOutboxBacklog(): Promise<number> {
  await getQueue(QUEUES.outbox).obliterate({ force: true });
  const { count } = await db().outboxMessage.updateMany({
    where: { status: { in: ["pending", "sending"] } },
    data: { status: "failed", lastError: "left undelivered by an earlier test file" },
  });
  return count;
}
