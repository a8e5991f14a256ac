// Rows and contexts the integration tests need, created with db() directly.
import { randomUUID } from "node:crypto";
import { logger } from "@cp/config/logger";
import { db } from "@cp/db";
import { getQueue, QUEUES } from "@cp/jobs";
import { DEFAULT_RATE_LIMITS, type OrderInput } from "@cp/core";
import { runMaintenanceNoticesTick, type ServiceContext } from "@cp/services";

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
 * Test files share one database and Redis, in sequence. A worker process started by a later file would first work
 * off what earlier files left: their undelivered mail, and the SLA tick's warnings about their open support requests
 * (sent to every support user when none is assigned, and test databases hold hundreds), ahead of the one message the
 * test waits for. The same goes for the maintenance notices its first tick would send about earlier files' instances
 * (end of support, planned upgrades) and for their campaigns, which its campaign tick would go on advancing. Before
 * such a test starts its worker, the notices due now are sent here (so they are recorded as sent), earlier files'
 * campaigns are aborted, all undelivered mail is closed as failed with the reason, its jobs are dropped, and the
 * earlier files' requests are resolved.
 */
export async function settleEarlierFilesWork(): Promise<void> {
  await runMaintenanceNoticesTick();
  await db().upgradeCampaign.updateMany({
    where: { status: { in: ["running", "paused", "draft"] } },
    data: { status: "aborted", finishedAt: new Date(), pausedReason: "left by an earlier test file" },
  });
  await getQueue(QUEUES.outbox).obliterate({ force: true });
  await db().outboxMessage.updateMany({
    where: { status: { in: ["pending", "sending"] } },
    data: { status: "failed", lastError: "left undelivered by an earlier test file" },
  });
  await db().supportRequest.updateMany({
    where: { status: { not: "resolved" } },
    data: { status: "resolved", resolvedAt: new Date() },
  });
}
