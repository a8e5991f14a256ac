// Migration of a Dedicated instance to a customer-managed deployment (operation kind `migrate_out`): a final backup,
// verified, an export package in the provider's backup bucket with time-limited links, then, in the transaction that
// ends the operation, the deployment record, its signed license and the instance's deprovision (retention, then
// destroy). SaaS orgs have no instance of their own to move and are refused with the reason the console shows.
import { env } from "@cp/config";
import {
  AppError,
  conflict,
  decideOrgAccess,
  DEFAULT_APP_VERSION,
  DEPLOYMENT_PLATFORMS,
  LICENSE_FEATURES,
  LICENSE_MAX_SEATS,
  LICENSE_MIN_SEATS,
  notFound,
  ZEmail,
  type Actor,
  type InstanceConfig,
} from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { EngineError, type BackupArtifact, type Engine, type EngineHooks } from "@cp/engine";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import { completeBackup, takeBackupStep, verifyBackupStep } from "../backups/backup-operations";
import type { ServiceContext } from "../context";
import { assertNotBeingDeprovisioned } from "../instances/instance-actions";
import { createOperationTx, wakeOperation } from "../operations/operations";
import { insertDeploymentTx, ZDeploymentName } from "./deployments";
import { issueLicenseTx } from "./licenses";
import { assertOrgAccess } from "./shared";
import { writeExport, type ExportRecord } from "./migration-export";

export const SAAS_MIGRATION_REFUSAL =
  "SaaS organizations run on the shared platform; there is no dedicated instance to migrate. Contact sales to move " +
  "to customer-managed.";
const CUSTOMER_MANAGED_REFUSAL =
  "This organization is already customer-managed: it has no dedicated instance to migrate.";

export const MIGRATION_MAX_LICENSE_DAYS = 1095;

export const ZMigrationInput = z.object({
  deploymentName: ZDeploymentName,
  platform: z.enum(DEPLOYMENT_PLATFORMS, { error: `must be one of ${DEPLOYMENT_PLATFORMS.join(", ")}` }),
  contactName: z.string().trim().min(1, "is required").max(120, "must be at most 120 characters"),
  contactEmail: ZEmail,
  seats: z
    .number()
    .int("must be a whole number")
    .min(LICENSE_MIN_SEATS, `must be at least ${LICENSE_MIN_SEATS}`)
    .max(LICENSE_MAX_SEATS, `must be at most ${LICENSE_MAX_SEATS}`),
  features: z
    .array(z.enum(LICENSE_FEATURES, { error: `must be among ${LICENSE_FEATURES.join(", ")}` }))
    .default([...LICENSE_FEATURES])
    .transform((f) => [...new Set(f)]),
  licenseDays: z
    .number()
    .int("must be a whole number of days")
    .min(1, "must be at least 1 day")
    .max(MIGRATION_MAX_LICENSE_DAYS, `must be at most ${MIGRATION_MAX_LICENSE_DAYS} days (3 years)`),
});
export type MigrationInput = z.input<typeof ZMigrationInput>;
type MigrationParams = z.output<typeof ZMigrationInput> & { export?: ExportRecord };

const ACTIVE_OR_DONE = ["queued", "running", "succeeded"] as const;

async function findInstance(orgId: string, instanceId: string) {
  const i = await db().instance.findFirst({ where: { id: instanceId, orgId }, include: { org: true } });
  if (!i) throw notFound("Instance");
  return i;
}

type InstanceWithOrg = Awaited<ReturnType<typeof findInstance>>;

/** Why this instance cannot be migrated now (null: it can), for the service's refusal and the console's panel. */
function refusalOf(i: InstanceWithOrg): string | null {
  if (i.org.plan === "saas") return SAAS_MIGRATION_REFUSAL;
  if (i.org.plan === "customer_managed") return CUSTOMER_MANAGED_REFUSAL;
  if (i.deletedAt || i.status === "deleted" || i.status === "deleting")
    return `${i.name} is deprovisioned; there is nothing left to migrate.`;
  if (i.status !== "running" || !i.url)
    return `${i.name} is ${i.status}; only a running instance can be migrated (its final backup is taken live).`;
  return null;
}

/** A migration of this instance that is queued, running or done (one per instance). */
function existingMigration(tx: Prisma.TransactionClient, instanceId: string) {
  return tx.operation.findFirst({
    where: { instanceId, kind: "migrate_out", status: { in: [...ACTIVE_OR_DONE] } },
    orderBy: { createdAt: "desc" },
    select: { id: true, status: true },
  });
}

/**
 * Queues the migration of a Dedicated instance to a customer-managed deployment (org admins, SREs, staff admins).
 * Refused for SaaS and customer-managed orgs, an instance that is not running, a deployment name the org already
 * uses, and an instance that has a migration queued, running or done.
 */
export async function requestMigration(
  ctx: ServiceContext,
  orgId: string,
  instanceId: string,
  raw: MigrationInput,
): Promise<{ operationId: string }> {
  assertOrgAccess(ctx.actor, orgId, "admin");
  const i = await findInstance(orgId, instanceId);
  const refusal = refusalOf(i);
  if (refusal) throw new AppError("PRECONDITION_FAILED", refusal);
  const input = parseInput(ZMigrationInput, raw);
  const created = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, i);
    const earlier = await existingMigration(tx, i.id);
    if (earlier) {
      throw conflict(
        earlier.status === "succeeded"
          ? `${i.name} has already been migrated to customer-managed.`
          : `A migration of ${i.name} is already ${earlier.status}; follow it on the instance page.`,
      );
    }
    const taken = await tx.customerDeployment.findFirst({
      where: { orgId, name: { equals: input.deploymentName, mode: "insensitive" } },
      select: { id: true },
    });
    const pending = await tx.operation.findFirst({
      where: {
        kind: "migrate_out",
        status: { in: ["queued", "running"] },
        instance: { orgId },
        params: { path: ["deploymentName"], equals: input.deploymentName },
      },
      select: { id: true },
    });
    if (taken || pending) {
      throw conflict(
        `deploymentName: this organization already has ${taken ? "a deployment" : "a migration under way"} called ` +
          `"${input.deploymentName}"; choose another name.`,
        "deploymentName",
      );
    }
    const op = await createOperationTx(tx, {
      instanceId: i.id,
      kind: "migrate_out",
      params: input,
      requestedById: ctx.actor.userId,
    });
    await recordAudit(tx, ctx, {
      action: "instance.migrate_out",
      targetType: "instance",
      targetId: i.id,
      orgId,
      after: { operationId: op.id, ...input },
    });
    return op;
  });
  await wakeOperation(created.id);
  return { operationId: created.id };
}

interface MigrationStep {
  name: string;
  status: string;
  startedAt: string;
  finishedAt?: string;
}

export interface MigrationStatus {
  /** Why a migration cannot be requested now (null: the form may be shown). */
  refusal: string | null;
  operation: {
    id: string;
    status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
    progress: number;
    currentStep: string | null;
    steps: MigrationStep[];
    error: string | null;
    createdAt: Date;
    finishedAt: Date | null;
    deploymentName: string | null;
  } | null;
  /** The export package; links only for org admins and staff (null `url` for others). */
  export: {
    location: string | null;
    expiresAt: string;
    files: { name: string; url: string | null; expiresAt: string; bytes: number }[];
  } | null;
  deploymentId: string | null;
}

/** The instance's latest migration, its export links (admins and staff) and the deployment it became. */
export async function migrationStatus(
  actor: Actor,
  orgId: string,
  instanceId: string,
): Promise<MigrationStatus> {
  assertOrgAccess(actor, orgId, "read");
  const i = await findInstance(orgId, instanceId);
  const op = await db().operation.findFirst({
    where: { instanceId, kind: "migrate_out" },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
  const deployment = await db().customerDeployment.findUnique({
    where: { migratedFromInstanceId: instanceId },
    select: { id: true },
  });
  const params = (op?.params ?? {}) as Partial<MigrationParams>;
  const links = decideOrgAccess(actor, orgId, "adminRead").ok;
  const active = op && ACTIVE_OR_DONE.includes(op.status as (typeof ACTIVE_OR_DONE)[number]);
  return {
    refusal: active ? null : refusalOf(i),
    operation: op
      ? {
          id: op.id,
          status: op.status,
          progress: op.progress,
          currentStep: op.currentStep,
          steps: (op.steps ?? []) as unknown as MigrationStep[],
          error: op.error,
          createdAt: op.createdAt,
          finishedAt: op.finishedAt,
          deploymentName: typeof params.deploymentName === "string" ? params.deploymentName : null,
        }
      : null,
    export: params.export
      ? {
          location: links ? params.export.location : null,
          expiresAt: params.export.expiresAt,
          files: params.export.files.map((f) => ({
            name: f.name,
            url: links ? f.url : null,
            expiresAt: f.expiresAt,
            bytes: f.bytes,
          })),
        }
      : null,
    deploymentId: deployment?.id ?? null,
  };
}

// ---- the operation ------------------------------------------------------------------------------------------------

interface MigrationOp {
  id: string;
  instanceId: string;
  kind: string;
  requestedById: string | null;
  params: Prisma.JsonValue;
}

/**
 * The operation's work before its final transaction: backup → verify → export. Returns `finish`, the conversion the
 * runner calls inside the transaction that marks the operation succeeded (returns operations to wake after commit).
 */
export async function migrateOutStep(
  op: MigrationOp,
  engine: Engine,
  hooks: EngineHooks,
): Promise<{ finish: (tx: Prisma.TransactionClient) => Promise<string[]> }> {
  const parsed = ZMigrationInput.safeParse(op.params);
  if (!parsed.success) {
    throw new EngineError("FAILED", `The migration's parameters are invalid: ${parsed.error.message}`, false);
  }
  const input = parsed.data;
  const instance = await db().instance.findUniqueOrThrow({ where: { id: op.instanceId } });
  await assertNameFree(db(), instance.orgId, instance.id, input.deploymentName);

  // 1. A final backup of its own, found again by its operation on a retry (and completed at most once).
  hooks.progress("backup", 5);
  const backup =
    (await db().backup.findFirst({ where: { operationId: op.id, instanceId: op.instanceId } })) ??
    (await db().backup.create({
      data: {
        instanceId: instance.id,
        orgId: instance.orgId,
        kind: "manual",
        requestedById: op.requestedById,
        operationId: op.id,
      },
    }));
  if (backup.status !== "completed") {
    try {
      const artifact = await takeBackupStep(op, engine, hooks, backup.id);
      // Also queues the routine verification behind this operation; this one verifies it right away below.
      await completeBackup(backup.id, artifact);
    } catch (err) {
      await db().backup.updateMany({
        where: { id: backup.id, status: { in: ["queued", "running"] } },
        data: {
          status: "failed",
          error: err instanceof Error ? err.message : String(err),
          completedAt: new Date(),
          expiresAt: new Date(Date.now() + 7 * 86_400_000),
        },
      });
      throw err;
    }
  }

  // 2. Verified, or nothing is exported: a migration must not hand over a backup that does not restore.
  hooks.progress("verify", 35);
  const current = await db().backup.findUniqueOrThrow({ where: { id: backup.id } });
  if (current.verification !== "verified") await verifyBackupStep(op, engine, hooks, backup.id);

  // 3. The export package, with links.
  hooks.progress("export", 70);
  const verified = await db().backup.findUniqueOrThrow({ where: { id: backup.id } });
  const retentionMs = env().CP_DELETE_RETENTION_HOURS * 3600_000;
  const record = await writeExport(
    {
      instance: {
        id: instance.id,
        name: instance.name,
        slug: instance.slug,
        cloud: instance.cloud,
        region: instance.region,
        size: instance.size,
        mysqlVersion: instance.mysqlVersion,
        version: instance.version,
        config: instance.config as unknown as InstanceConfig,
        outputs: (instance.outputs ?? null) as { bucket?: string; databaseName?: string } | null,
      },
      backup: {
        id: verified.id,
        completedAt: verified.completedAt,
        artifact: verified.artifact as unknown as BackupArtifact,
      },
      operationId: op.id,
      deploymentName: input.deploymentName,
      dataKeptUntil: new Date(Date.now() + retentionMs),
      linkTtlHours: env().CP_EXPORT_LINK_TTL_HOURS,
    },
    (m) => hooks.log(m),
  );

  hooks.progress("convert", 90);
  return { finish: (tx) => convertTx(tx, op, instance, input, record) };
}

async function assertNameFree(tx: Prisma.TransactionClient, orgId: string, instanceId: string, name: string) {
  const clash = await tx.customerDeployment.findFirst({
    where: {
      orgId,
      name: { equals: name, mode: "insensitive" },
      NOT: { migratedFromInstanceId: instanceId },
    },
    select: { id: true },
  });
  if (clash) {
    throw new EngineError(
      "FAILED",
      `deploymentName: the organization registered a deployment called "${name}" after this migration was ` +
        "requested; nothing was converted. Request the migration again with another name.",
      false,
    );
  }
}

/**
 * In the operation's final transaction: the export's links on the operation, the deployment and its license, and
 * the instance's deprovision. Idempotent: a deployment already made from this instance is kept (with its license).
 */
async function convertTx(
  tx: Prisma.TransactionClient,
  op: MigrationOp,
  instance: { id: string; orgId: string; name: string; version: string | null },
  input: z.output<typeof ZMigrationInput>,
  record: ExportRecord,
): Promise<string[]> {
  await tx.operation.update({
    where: { id: op.id },
    data: { params: { ...input, export: record } as unknown as Prisma.InputJsonValue },
  });
  const requester = op.requestedById
    ? await tx.user.findUnique({ where: { id: op.requestedById }, select: { email: true } })
    : null;
  let deployment = await tx.customerDeployment.findUnique({
    where: { migratedFromInstanceId: instance.id },
    select: { id: true },
  });
  if (!deployment) {
    await assertNameFree(tx, instance.orgId, instance.id, input.deploymentName);
    deployment = await insertDeploymentTx(tx, {
      orgId: instance.orgId,
      name: input.deploymentName,
      platform: input.platform,
      contactName: input.contactName,
      contactEmail: input.contactEmail,
      version: instance.version ?? DEFAULT_APP_VERSION,
      migratedFromInstanceId: instance.id,
      createdById: op.requestedById,
    });
    const { license } = await issueLicenseTx(tx, {
      deployment: { id: deployment.id, orgId: instance.orgId },
      seats: input.seats,
      features: input.features,
      expiresAt: new Date(Date.now() + input.licenseDays * 86_400_000),
      issuedById: op.requestedById,
    });
    // No acting request here (a worker ends the operation): the requester is named, as the one it acts for.
    const who = { actor: null, actorEmail: requester?.email ?? null };
    await recordAudit(tx, who, {
      action: "deployment.register",
      targetType: "customer_deployment",
      targetId: deployment.id,
      orgId: instance.orgId,
      after: { name: input.deploymentName, platform: input.platform, migratedFromInstanceId: instance.id },
    });
    await recordAudit(tx, who, {
      action: "license.issue",
      targetType: "license",
      targetId: license.id,
      orgId: instance.orgId,
      after: {
        deploymentId: deployment.id,
        seats: input.seats,
        features: input.features,
        days: input.licenseDays,
      },
    });
  }
  // The existing flow: stop now, keep the data for the retention period, then destroy (queued by the deprovision).
  const queued = await tx.operation.findFirst({
    where: {
      instanceId: instance.id,
      kind: { in: ["deprovision", "destroy"] },
      status: { in: ["queued", "running"] },
    },
    select: { id: true },
  });
  if (queued) return [];
  const deprovision = await createOperationTx(tx, {
    instanceId: instance.id,
    kind: "deprovision",
    params: { scheduledBy: op.id, reason: "migrate_out" },
    requestedById: op.requestedById,
    idempotencyKey: `migrate-out-deprovision:${op.id}`,
  });
  await recordAudit(
    tx,
    { actor: null, actorEmail: requester?.email ?? null },
    {
      action: "instance.deprovision",
      targetType: "instance",
      targetId: instance.id,
      orgId: instance.orgId,
      after: { operationId: deprovision.id, after: "migrate_out", migrationOperationId: op.id },
    },
  );
  await tx.instance.update({
    where: { id: instance.id },
    data: {
      statusReason: `Migrated to the customer-managed deployment "${input.deploymentName}"; it is being stopped.`,
    },
  });
  return [deprovision.id];
}
