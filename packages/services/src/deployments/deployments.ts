// Customer-managed deployments: an org's own installation of the platform, registered by provider staff (SREs and
// staff admins) so it can be licensed and report telemetry. Org members read their org's deployments; every lookup
// is scoped by the org, so another org's deployment answers NOT_FOUND.
import {
  decideStaffAccess,
  DEPLOYMENT_NAME_MAX,
  DEPLOYMENT_PLATFORMS,
  deploymentLicenseStatus,
  badRequest,
  conflict,
  forbidden,
  notFound,
  ZEmail,
  ZVersion,
  type Actor,
  type DeploymentPlatform,
  type LicenseStatus,
} from "@cp/core";
import { db, isUniqueViolation, type Db } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { assertDeploymentStaff, assertOrgAccess, toLicenseView, type LicenseView } from "./shared";

export const ZDeploymentName = z
  .string()
  .trim()
  .min(2, "must be at least 2 characters")
  .max(DEPLOYMENT_NAME_MAX, `must be at most ${DEPLOYMENT_NAME_MAX} characters`);

export const ZRegisterDeploymentInput = z.object({
  orgId: z.string().min(1, "is required"),
  name: ZDeploymentName,
  platform: z.enum(DEPLOYMENT_PLATFORMS, { error: `must be one of ${DEPLOYMENT_PLATFORMS.join(", ")}` }),
  contactName: z.string().trim().min(1, "is required").max(120, "must be at most 120 characters"),
  contactEmail: ZEmail,
  version: z
    .string()
    .trim()
    .refine((v) => ZVersion.safeParse(v).success, "use MAJOR.MINOR.PATCH, e.g. 0.66.0"),
});
export type RegisterDeploymentInput = z.input<typeof ZRegisterDeploymentInput>;

export interface DeploymentView {
  id: string;
  orgId: string;
  orgName: string;
  name: string;
  platform: DeploymentPlatform;
  contactName: string;
  contactEmail: string;
  version: string;
  migratedFromInstanceId: string | null;
  lastReportAt: Date | null;
  lastReportDay: string | null;
  createdAt: Date;
  /** The best of its licenses' standings ("none": never licensed). */
  licenseStatus: LicenseStatus | "none";
  /** The latest expiry among its licenses that are not revoked. */
  licenseExpiresAt: Date | null;
}

export interface DeploymentDetail extends DeploymentView {
  /** Newest first. Metadata only: the token is fetched on its own (licenseToken), by admins and staff. */
  licenses: LicenseView[];
}

const LICENSE_SUMMARY = { select: { expiresAt: true, revokedAt: true } } as const;

type DeploymentRow = {
  id: string;
  orgId: string;
  name: string;
  platform: DeploymentPlatform;
  contactName: string;
  contactEmail: string;
  version: string;
  migratedFromInstanceId: string | null;
  lastReportAt: Date | null;
  lastReportDay: string | null;
  createdAt: Date;
  org: { name: string };
  licenses: { expiresAt: Date; revokedAt: Date | null }[];
};

function toDeploymentView(row: DeploymentRow, now: Date): DeploymentView {
  const live = row.licenses.filter((l) => !l.revokedAt).map((l) => l.expiresAt.getTime());
  return {
    id: row.id,
    orgId: row.orgId,
    orgName: row.org.name,
    name: row.name,
    platform: row.platform,
    contactName: row.contactName,
    contactEmail: row.contactEmail,
    version: row.version,
    migratedFromInstanceId: row.migratedFromInstanceId,
    lastReportAt: row.lastReportAt,
    lastReportDay: row.lastReportDay,
    createdAt: row.createdAt,
    licenseStatus: deploymentLicenseStatus(row.licenses, now),
    licenseExpiresAt: live.length ? new Date(Math.max(...live)) : null,
  };
}

/**
 * Deployments of one org (its members and staff), or of every org (`orgId` null: staff only), newest first.
 */
export async function listDeployments(
  actor: Actor,
  orgId: string | null,
  now: Date = new Date(),
): Promise<DeploymentView[]> {
  if (orgId === null) {
    if (!decideStaffAccess(actor, "staff")) throw forbidden("Only provider staff can list every deployment.");
  } else assertOrgAccess(actor, orgId, "read");
  const rows = await db().customerDeployment.findMany({
    where: orgId === null ? {} : { orgId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    include: { org: { select: { name: true } }, licenses: LICENSE_SUMMARY },
    take: 500,
  });
  return rows.map((r) => toDeploymentView(r, now));
}

/** One deployment of the org with its licenses (metadata). Another org's id is NOT_FOUND. */
export async function getDeployment(
  actor: Actor,
  orgId: string,
  deploymentId: string,
  now: Date = new Date(),
): Promise<DeploymentDetail> {
  assertOrgAccess(actor, orgId, "read");
  const row = await db().customerDeployment.findFirst({
    where: { id: deploymentId, orgId },
    include: {
      org: { select: { name: true } },
      licenses: { orderBy: [{ issuedAt: "desc" }, { createdAt: "desc" }, { id: "desc" }] },
    },
  });
  if (!row) throw notFound("Deployment");
  return { ...toDeploymentView(row, now), licenses: row.licenses.map((l) => toLicenseView(l, now)) };
}

export interface NewDeploymentRow {
  orgId: string;
  name: string;
  platform: DeploymentPlatform;
  contactName: string;
  contactEmail: string;
  version: string;
  migratedFromInstanceId?: string | null;
  createdById: string | null;
}

/**
 * Inside a transaction: checks the org may have a customer-managed deployment and inserts it (used by registration
 * and by the migration from Dedicated). Errors name the field.
 */
export async function insertDeploymentTx(tx: Db, input: NewDeploymentRow): Promise<{ id: string }> {
  const org = await tx.organization.findUnique({ where: { id: input.orgId }, select: { plan: true } });
  if (!org) throw notFound("Organization");
  if (org.plan === "saas") {
    throw badRequest(
      "orgId: this organization is on the SaaS plan, which runs on the shared platform; change its plan to " +
        "Customer-managed (or Dedicated) before registering a deployment of its own.",
      "orgId",
    );
  }
  const clash = await tx.customerDeployment.findFirst({
    where: { orgId: input.orgId, name: { equals: input.name, mode: "insensitive" } },
    select: { id: true },
  });
  if (clash) throw nameTaken(input.name);
  try {
    return await tx.customerDeployment.create({
      data: {
        orgId: input.orgId,
        name: input.name,
        platform: input.platform,
        contactName: input.contactName,
        contactEmail: input.contactEmail,
        version: input.version,
        migratedFromInstanceId: input.migratedFromInstanceId ?? null,
        createdById: input.createdById,
      },
      select: { id: true },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
}

const nameTaken = (name: string) =>
  conflict(`name: this organization already has a deployment called "${name}"; choose another name.`, "name");

/** Staff (SREs, staff admins) register a deployment for a Dedicated or customer-managed org. */
export async function registerDeployment(
  ctx: ActingContext,
  raw: RegisterDeploymentInput,
): Promise<DeploymentDetail> {
  assertDeploymentStaff(ctx.actor);
  const input = parseInput(ZRegisterDeploymentInput, raw);
  const created = await db().$transaction(async (tx) => {
    const row = await insertDeploymentTx(tx, { ...input, createdById: ctx.actor.userId });
    await recordAudit(tx, ctx, {
      action: "deployment.register",
      targetType: "customer_deployment",
      targetId: row.id,
      orgId: input.orgId,
      after: {
        name: input.name,
        platform: input.platform,
        contactName: input.contactName,
        contactEmail: input.contactEmail,
        version: input.version,
      },
    });
    return row;
  });
  return getDeployment(ctx.actor, input.orgId, created.id);
}
