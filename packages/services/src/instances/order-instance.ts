import { AppError, conflict, notFound, splitSecrets, type OrderInput } from "@cp/core";
import { encryptSecret } from "@cp/connectors";
import { db, isUniqueViolation, type Prisma } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";
import { createOperationTx, wakeOperation } from "../operations/operations";
import { chooseOrderVersion } from "../releases/releases";
import { runOrderChecks, type OrderChecks } from "./order-checks";
import { cloudAvailability } from "./cloud-availability";

export interface PlaceOrderInput {
  orgId: string;
  order: OrderInput;
  /** Makes a double submit place one order. */
  idempotencyKey: string;
  /** Staff only: accept checks that could not be verified. */
  acceptWarnings?: boolean;
}

/**
 * Places an order: checks first (quota, cloud, BYOB bucket, OIDC issuer), then one transaction writes the instance,
 * its encrypted secrets, the provision operation and the audit event; the job carrying the operation id follows.
 */
export async function orderInstance(ctx: ServiceContext, input: PlaceOrderInput) {
  const { orgId, order } = input;
  const existing = await db().instance.findUnique({
    where: { orgId_orderKey: { orgId, orderKey: input.idempotencyKey } },
    select: { id: true, slug: true, status: true },
  });
  if (existing) return { instanceId: existing.id, slug: existing.slug, duplicate: true };

  const org = await db().organization.findUnique({
    where: { id: orgId },
    select: { id: true, plan: true, instanceQuota: true, name: true },
  });
  if (!org) throw notFound("Organization");
  if (org.plan !== "dedicated") {
    throw new AppError(
      "PRECONDITION_FAILED",
      `${org.name} is on the ${org.plan === "saas" ? "SaaS" : "customer-managed"} plan; dedicated instances need the Dedicated plan. Contact your account team.`,
    );
  }
  await assertWithinInstanceQuota(org);
  const clouds = await cloudAvailability();
  const cloud = clouds.find((c) => c.cloud === order.cloud);
  if (!cloud?.available)
    throw new AppError(
      "PRECONDITION_FAILED",
      `cloud: ${cloud?.reason ?? "this cloud is not configured"}`,
      "cloud",
    );

  const checks = await runOrderChecks(order);
  if (checks.blocking) {
    const first = checks.items.find((c) => c.status === "failed");
    throw new AppError(
      "BAD_REQUEST",
      `${first?.field ?? "storage"}: ${first?.message ?? "a check failed"} ${first?.fixHint ?? ""}`.trim(),
      first?.field,
    );
  }
  const staff = ctx.actor.staffRole === "sre" || ctx.actor.staffRole === "admin";
  if (checks.warnings > 0 && !(input.acceptWarnings && staff)) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `storage: ${checks.warnings} check${checks.warnings === 1 ? "" : "s"} could not be verified. Provider staff must review and accept ${checks.warnings === 1 ? "it" : "them"}; contact support to place this order.`,
      "storage",
    );
  }

  // The newest orderable stable release (never a withdrawn one or one past its end of support); the order form
  // does not choose a version.
  const version = await chooseOrderVersion();
  const { config, secrets } = splitSecrets(order);
  try {
    const created = await db().$transaction(async (tx) => {
      const instance = await tx.instance.create({
        data: {
          orgId,
          name: order.name,
          slug: order.subdomain,
          cloud: order.cloud,
          region: order.region,
          size: order.size,
          mysqlVersion: order.mysqlVersion,
          storageMode: order.storage.mode,
          status: "provisioning",
          statusReason: "Waiting for a worker.",
          version,
          config: config as unknown as Prisma.InputJsonValue,
          checks: {
            ...checks,
            acceptedBy: checks.warnings ? ctx.actor.email : null,
          } as unknown as Prisma.InputJsonValue,
          orderKey: input.idempotencyKey,
          createdById: ctx.actor.userId,
        },
        select: { id: true, slug: true },
      });
      for (const [name, value] of Object.entries(secrets)) {
        await tx.instanceSecret.create({
          data: {
            instanceId: instance.id,
            name,
            ciphertext: encryptSecret(value, { associatedData: `${instance.id}:${name}` }),
          },
        });
      }
      const op = await createOperationTx(tx, {
        instanceId: instance.id,
        kind: "provision",
        requestedById: ctx.actor.userId,
      });
      await recordAudit(tx, ctx, {
        action: "instance.order",
        targetType: "instance",
        targetId: instance.id,
        orgId,
        after: {
          name: order.name,
          subdomain: order.subdomain,
          version,
          ...config,
          secrets: Object.keys(secrets),
          warningsAccepted: checks.warnings > 0,
        },
      });
      return { instance, op };
    });
    await wakeOperation(created.op.id);
    return { instanceId: created.instance.id, slug: created.instance.slug, duplicate: false };
  } catch (err) {
    if (isUniqueViolation(err)) {
      // A double submit racing this one may trip any unique index first: the order key decides.
      const dup = await db().instance.findUnique({
        where: { orgId_orderKey: { orgId, orderKey: input.idempotencyKey } },
        select: { id: true, slug: true },
      });
      if (dup) return { instanceId: dup.id, slug: dup.slug, duplicate: true };
    }
    if (isUniqueViolation(err, "slug"))
      throw conflict(`subdomain: "${order.subdomain}" is taken; choose another.`, "subdomain");
    if (isUniqueViolation(err, "name"))
      throw conflict(`name: your organization already has an instance named "${order.name}".`, "name");
    throw err;
  }
}

export type { OrderChecks };

/** Refuses a new instance (an order or a clone) once the org holds its quota of instances that are not deleted. */
export async function assertWithinInstanceQuota(org: { id: string; instanceQuota: number }) {
  const used = await db().instance.count({ where: { orgId: org.id, status: { not: "deleted" } } });
  if (used >= org.instanceQuota) {
    throw new AppError(
      "PRECONDITION_FAILED",
      `Your organization has reached its quota of ${org.instanceQuota} dedicated instance${org.instanceQuota === 1 ? "" : "s"}. Deprovision one, or ask provider staff to raise the quota.`,
    );
  }
}
