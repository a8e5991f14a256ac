// Install template downloads: the console route renders the bundle (@cp/infra-customer-managed/bundle); this use case
// decides who may download it, finds the license to fill in, and audits the download. The org's admins and SREs/staff
// admins may (the bundle carries the license token); another org's deployment is NOT_FOUND.
import {
  conflict,
  decideOrgAccess,
  DEPLOYMENT_PLATFORMS,
  forbidden,
  notFound,
  type DeploymentPlatform,
} from "@cp/core";
import { db } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { loadLicenseTokenTx } from "./licenses";

const ZFlag = z.preprocess(
  (v) => (v === "1" || v === "true" ? true : v === "0" || v === "false" ? false : v),
  z.boolean({ error: "must be 0 or 1" }),
);

export const ZTemplateDownloadInput = z.object({
  deploymentId: z.string().min(1, "is required"),
  /** Default: where the deployment is registered to run. */
  platform: z
    .enum(DEPLOYMENT_PLATFORMS, { error: `must be one of ${DEPLOYMENT_PLATFORMS.join(", ")}` })
    .optional(),
  size: z
    .enum(["minimum", "recommended"], { error: "must be minimum or recommended" })
    .default("recommended"),
  mysqlVersion: z.enum(["5.7", "8.0"], { error: "must be 5.7 or 8.0" }).default("8.0"),
  redis: ZFlag.default(false),
  redisMemoryGb: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(4, "must be 4 to 8")
    .max(8, "must be 4 to 8")
    .default(6),
});
/** As it arrives from a query string: strings, validated here. */
export interface TemplateDownloadInput {
  deploymentId: string;
  platform?: string | null;
  size?: string | null;
  mysqlVersion?: string | null;
  redis?: string | boolean | null;
  redisMemoryGb?: string | number | null;
}

export interface TemplateDownload {
  deployment: { id: string; orgId: string; name: string };
  platform: DeploymentPlatform;
  size: "minimum" | "recommended";
  mysqlVersion: "5.7" | "8.0";
  redis: { enabled: boolean; memoryGb: number };
  licenseId: string;
  /** The decrypted license token, to fill into the bundle. Never log it. */
  licenseToken: string;
}

/**
 * Who may download a deployment's install template, with which license: the latest license that is neither revoked
 * nor expired. Audited as deployment.template_download (the choices and the license id, never the token).
 */
export async function prepareTemplateDownload(
  ctx: ActingContext,
  raw: TemplateDownloadInput,
  now: Date = new Date(),
): Promise<TemplateDownload> {
  // An absent query parameter (null) takes the default.
  const input = parseInput(
    ZTemplateDownloadInput,
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null && v !== undefined && v !== "")),
  );
  return db().$transaction(async (tx) => {
    const deployment = await tx.customerDeployment.findUnique({
      where: { id: input.deploymentId },
      select: { id: true, orgId: true, name: true, platform: true },
    });
    // A deployment of an org the caller has no tie to is as absent as one that does not exist.
    const decision = deployment ? decideOrgAccess(ctx.actor, deployment.orgId, "admin") : null;
    if (!deployment || !decision || (!decision.ok && decision.reason === "not_found"))
      throw notFound("Deployment");
    if (!decision.ok) {
      throw forbidden(
        "Only the organization's admins, SREs and staff admins can download install templates.",
      );
    }
    const license = await tx.license.findFirst({
      where: { deploymentId: deployment.id, revokedAt: null, expiresAt: { gt: now } },
      orderBy: [{ issuedAt: "desc" }, { createdAt: "desc" }],
      select: { id: true },
    });
    if (!license) {
      throw conflict(
        "This deployment has no active license: issue or renew one, then download the template.",
        "deploymentId",
      );
    }
    const licenseToken = await loadLicenseTokenTx(tx, license.id);
    if (!licenseToken) throw notFound("License");
    const platform = input.platform ?? deployment.platform;
    const redis = { enabled: input.redis, memoryGb: input.redisMemoryGb };
    await recordAudit(tx, ctx, {
      action: "deployment.template_download",
      targetType: "deployment",
      targetId: deployment.id,
      orgId: deployment.orgId,
      after: { platform, size: input.size, mysqlVersion: input.mysqlVersion, redis, licenseId: license.id },
    });
    return {
      deployment: { id: deployment.id, orgId: deployment.orgId, name: deployment.name },
      platform,
      size: input.size,
      mysqlVersion: input.mysqlVersion,
      redis,
      licenseId: license.id,
      licenseToken,
    };
  });
}
