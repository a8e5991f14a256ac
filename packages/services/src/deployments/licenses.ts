// Licenses of customer-managed deployments: issued, renewed and revoked by SREs and staff admins; read (metadata) by
// the org's members; the token itself shown to the org's admins and to SREs/staff admins, each time audited.
//
// The token is a signed JWT (@cp/connectors licenses). It is stored encrypted, bound to the license id, so the console
// can show it again and fill it into install templates; a SHA-256 of it finds the license of a telemetry call. The
// token never goes into logs or audit events.
import { randomUUID } from "node:crypto";
import {
  decryptSecret,
  encryptSecret,
  licenseJwks,
  licensePublicKeyPem,
  licenseTokenSha256,
  signLicense,
  verifyLicense,
  type LicenseJwks,
  type VerifyLicenseOptions,
} from "@cp/connectors";
import {
  badRequest,
  conflict,
  LICENSE_FEATURES,
  LICENSE_MAX_SEATS,
  LICENSE_MAX_YEARS,
  LICENSE_MIN_SEATS,
  LICENSE_REVOKE_REASON_MAX,
  notFound,
  type DeploymentPlatform,
} from "@cp/core";
import { db, type Db } from "@cp/db";
import { z } from "zod";
import { parseInput } from "../alerts/parse-input";
import { recordAudit } from "../audit/record-audit";
import type { ActingContext } from "../context";
import { assertDeploymentStaff, assertOrgAccess, toLicenseView, type LicenseView } from "./shared";

export type { LicenseView };

/** What the license token is bound to when encrypted: a blob copied to another license does not decrypt. */
export const licenseTokenContext = (licenseId: string) => `license:${licenseId}`;

const ZSeats = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(LICENSE_MIN_SEATS, `must be at least ${LICENSE_MIN_SEATS}`)
  .max(LICENSE_MAX_SEATS, `must be at most ${LICENSE_MAX_SEATS}`);
const ZFeatures = z
  .array(z.enum(LICENSE_FEATURES, { error: `must be one of ${LICENSE_FEATURES.join(", ")}` }))
  .max(LICENSE_FEATURES.length * 2, "lists too many features");
const ZExpiresAt = z.date({ error: "must be a date" });

export const ZIssueLicenseInput = z.object({
  deploymentId: z.string().min(1, "is required"),
  seats: ZSeats,
  features: ZFeatures,
  expiresAt: ZExpiresAt,
});
export type IssueLicenseInput = z.input<typeof ZIssueLicenseInput>;

export const ZRenewLicenseInput = z.object({
  licenseId: z.string().min(1, "is required"),
  expiresAt: ZExpiresAt,
  /** Default: the renewed license's. */
  seats: ZSeats.optional(),
  /** Default: the renewed license's. */
  features: ZFeatures.optional(),
});
export type RenewLicenseInput = z.input<typeof ZRenewLicenseInput>;

export const ZRevokeLicenseInput = z.object({
  licenseId: z.string().min(1, "is required"),
  reason: z
    .string()
    .trim()
    .min(3, "is required: say why (the customer's admins see it)")
    .max(LICENSE_REVOKE_REASON_MAX, `must be at most ${LICENSE_REVOKE_REASON_MAX} characters`),
});
export type RevokeLicenseInput = z.input<typeof ZRevokeLicenseInput>;

/** In the future, and at most LICENSE_MAX_YEARS out: a longer license would outlive key rotations and contracts. */
export function checkLicenseExpiry(expiresAt: Date, now: Date): void {
  if (expiresAt.getTime() <= now.getTime()) {
    throw badRequest("expiresAt: must be in the future.", "expiresAt");
  }
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + LICENSE_MAX_YEARS);
  if (expiresAt.getTime() > latest.getTime()) {
    throw badRequest(
      `expiresAt: must be at most ${LICENSE_MAX_YEARS} years from now (${latest.toISOString().slice(0, 10)}); ` +
        "renew the license later instead.",
      "expiresAt",
    );
  }
}

export interface NewLicense {
  deployment: { id: string; orgId: string };
  seats: number;
  features: string[];
  expiresAt: Date;
  renewsId?: string | null;
  issuedById: string | null;
  issuedAt?: Date;
}

/**
 * Inside a transaction: signs a license and stores it (encrypted token, its hash). The caller audits and checks
 * access; used by issue, renew and the migration from Dedicated. The token is returned for callers that hand it on
 * (never log it).
 */
export async function issueLicenseTx(
  tx: Db,
  input: NewLicense,
): Promise<{ license: LicenseView; token: string }> {
  const id = randomUUID();
  const issuedAt = input.issuedAt ?? new Date();
  const features = [...new Set(input.features)];
  const { token, keyId } = await signLicense({
    orgId: input.deployment.orgId,
    deploymentId: input.deployment.id,
    licenseId: id,
    seats: input.seats,
    features,
    issuedAt,
    expiresAt: input.expiresAt,
  });
  const row = await tx.license.create({
    data: {
      id,
      deploymentId: input.deployment.id,
      orgId: input.deployment.orgId,
      seats: input.seats,
      features,
      // What the token says: JWT times are whole seconds.
      issuedAt: new Date(Math.floor(issuedAt.getTime() / 1000) * 1000),
      expiresAt: new Date(Math.floor(input.expiresAt.getTime() / 1000) * 1000),
      keyId,
      tokenSha256: licenseTokenSha256(token),
      tokenCiphertext: encryptSecret(token, { associatedData: licenseTokenContext(id) }),
      renewsId: input.renewsId ?? null,
      issuedById: input.issuedById,
    },
  });
  return { license: toLicenseView(row, issuedAt), token };
}

const auditView = (l: LicenseView) => ({
  deploymentId: l.deploymentId,
  seats: l.seats,
  features: l.features,
  issuedAt: l.issuedAt,
  expiresAt: l.expiresAt,
  keyId: l.keyId,
  renewsId: l.renewsId,
});

/** SREs and staff admins issue a license for a deployment (audited as license.issue). */
export async function issueLicense(
  ctx: ActingContext,
  raw: IssueLicenseInput,
  now: Date = new Date(),
): Promise<LicenseView> {
  assertDeploymentStaff(ctx.actor);
  const input = parseInput(ZIssueLicenseInput, raw);
  checkLicenseExpiry(input.expiresAt, now);
  return db().$transaction(async (tx) => {
    const deployment = await tx.customerDeployment.findUnique({
      where: { id: input.deploymentId },
      select: { id: true, orgId: true },
    });
    if (!deployment) throw notFound("Deployment");
    const { license } = await issueLicenseTx(tx, {
      deployment,
      seats: input.seats,
      features: input.features,
      expiresAt: input.expiresAt,
      issuedById: ctx.actor.userId,
      issuedAt: now,
    });
    await recordAudit(tx, ctx, {
      action: "license.issue",
      targetType: "license",
      targetId: license.id,
      orgId: deployment.orgId,
      after: auditView(license),
    });
    return license;
  });
}

/**
 * A new license that follows one that is ending (audited as license.renew). The old one stays valid until its own
 * expiry, so a deployment can switch over without a gap; revoke it to end it sooner.
 */
export async function renewLicense(
  ctx: ActingContext,
  raw: RenewLicenseInput,
  now: Date = new Date(),
): Promise<LicenseView> {
  assertDeploymentStaff(ctx.actor);
  const input = parseInput(ZRenewLicenseInput, raw);
  checkLicenseExpiry(input.expiresAt, now);
  return db().$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "License" WHERE id = ${input.licenseId} FOR UPDATE`;
    const old = await tx.license.findUnique({ where: { id: input.licenseId } });
    if (!old) throw notFound("License");
    if (old.revokedAt) {
      throw conflict(
        "licenseId: this license was revoked; issue a new license instead of renewing it.",
        "licenseId",
      );
    }
    if (input.expiresAt.getTime() <= old.expiresAt.getTime()) {
      throw badRequest(
        `expiresAt: must be after the renewed license's expiry (${old.expiresAt.toISOString().slice(0, 10)}).`,
        "expiresAt",
      );
    }
    const successor = await tx.license.findFirst({
      where: { renewsId: old.id, revokedAt: null },
      select: { id: true },
    });
    if (successor) {
      throw conflict(
        `licenseId: this license was already renewed (license ${successor.id}); renew that one instead.`,
        "licenseId",
      );
    }
    const { license } = await issueLicenseTx(tx, {
      deployment: { id: old.deploymentId, orgId: old.orgId },
      seats: input.seats ?? old.seats,
      features: input.features ?? old.features,
      expiresAt: input.expiresAt,
      renewsId: old.id,
      issuedById: ctx.actor.userId,
      issuedAt: now,
    });
    await recordAudit(tx, ctx, {
      action: "license.renew",
      targetType: "license",
      targetId: license.id,
      orgId: old.orgId,
      before: { licenseId: old.id, expiresAt: old.expiresAt, seats: old.seats, features: old.features },
      after: auditView(license),
    });
    return license;
  });
}

/** Ends a license now (audited as license.revoke): its deployment's telemetry is refused from then on. */
export async function revokeLicense(
  ctx: ActingContext,
  raw: RevokeLicenseInput,
  now: Date = new Date(),
): Promise<LicenseView> {
  assertDeploymentStaff(ctx.actor);
  const input = parseInput(ZRevokeLicenseInput, raw);
  return db().$transaction(async (tx) => {
    const old = await tx.license.findUnique({ where: { id: input.licenseId }, select: { orgId: true } });
    if (!old) throw notFound("License");
    const { count } = await tx.license.updateMany({
      where: { id: input.licenseId, revokedAt: null },
      data: { revokedAt: now, revokedReason: input.reason },
    });
    if (count === 0) throw conflict("licenseId: this license is already revoked.", "licenseId");
    const row = await tx.license.findUniqueOrThrow({ where: { id: input.licenseId } });
    await recordAudit(tx, ctx, {
      action: "license.revoke",
      targetType: "license",
      targetId: row.id,
      orgId: row.orgId,
      after: { deploymentId: row.deploymentId, reason: input.reason, revokedAt: now },
    });
    return toLicenseView(row, now);
  });
}

/**
 * The token of one of the org's licenses, for its admins and for SREs/staff admins to copy into a deployment
 * (audited as license.token_view, without the token). Another org's license is NOT_FOUND.
 */
export async function revealLicenseToken(
  ctx: ActingContext,
  input: { orgId: string; licenseId: string },
): Promise<{ licenseId: string; token: string; expiresAt: Date }> {
  assertOrgAccess(ctx.actor, input.orgId, "admin");
  return db().$transaction(async (tx) => {
    const row = await tx.license.findFirst({
      where: { id: input.licenseId, orgId: input.orgId },
      select: { id: true, deploymentId: true, expiresAt: true, tokenCiphertext: true },
    });
    if (!row) throw notFound("License");
    const token = decryptSecret(row.tokenCiphertext, { associatedData: licenseTokenContext(row.id) });
    await recordAudit(tx, ctx, {
      action: "license.token_view",
      targetType: "license",
      targetId: row.id,
      orgId: input.orgId,
      after: { deploymentId: row.deploymentId },
    });
    return { licenseId: row.id, token, expiresAt: row.expiresAt };
  });
}

/**
 * The decrypted token of a license, for server-side use only (install templates, the migration's export). No access
 * check and no audit here: the caller does both.
 */
export async function loadLicenseTokenTx(tx: Db, licenseId: string): Promise<string | null> {
  const row = await tx.license.findUnique({ where: { id: licenseId }, select: { tokenCiphertext: true } });
  return row ? decryptSecret(row.tokenCiphertext, { associatedData: licenseTokenContext(licenseId) }) : null;
}

export type LicenseRejection =
  | "license_missing"
  | "license_malformed"
  | "license_invalid"
  | "license_unknown"
  | "license_revoked"
  | "license_expired";

export interface LicensedDeployment {
  id: string;
  orgId: string;
  name: string;
  platform: DeploymentPlatform;
  version: string;
}

export type LicenseLookup =
  | { ok: true; license: LicenseView; deployment: LicensedDeployment }
  | { ok: false; status: 401 | 403; error: LicenseRejection; message: string };

/**
 * The license a deployment presents (telemetry ingest). The signature is checked first, offline, so forged or
 * garbage tokens never reach the database; then the row: unknown → 401, revoked or expired → 403.
 */
export async function loadLicenseForToken(
  token: string | null | undefined,
  opts: Pick<VerifyLicenseOptions, "now"> = {},
): Promise<LicenseLookup> {
  const now = opts.now ?? new Date();
  const token_ = token?.trim() ?? "";
  if (!token_) {
    return {
      ok: false,
      status: 401,
      error: "license_missing",
      message: "Send the deployment's license as `Authorization: Bearer <license>`.",
    };
  }
  const verified = await verifyLicense(token_, { now });
  if (!verified.ok) {
    switch (verified.reason) {
      case "expired":
        return { ok: false, status: 403, error: "license_expired", message: verified.message };
      case "malformed":
        return { ok: false, status: 401, error: "license_malformed", message: verified.message };
      case "bad_signature":
      case "unknown_key":
        return { ok: false, status: 401, error: "license_invalid", message: verified.message };
    }
  }
  const row = await db().license.findUnique({
    where: { tokenSha256: licenseTokenSha256(token_) },
    include: { deployment: { select: { id: true, orgId: true, name: true, platform: true, version: true } } },
  });
  if (!row || row.id !== verified.claims.licenseId) {
    return {
      ok: false,
      status: 401,
      error: "license_unknown",
      message:
        "This license is not on record; ask your provider contact for the deployment's current license.",
    };
  }
  if (row.revokedAt) {
    return {
      ok: false,
      status: 403,
      error: "license_revoked",
      message: "This license was revoked; ask your provider contact for a new one.",
    };
  }
  if (row.expiresAt.getTime() <= now.getTime()) {
    return {
      ok: false,
      status: 403,
      error: "license_expired",
      message: "The license has expired; ask for a renewal.",
    };
  }
  const { deployment, ...license } = row;
  return { ok: true, license: toLicenseView(license, now), deployment };
}

export interface LicensePublicKey {
  kid: string;
  /** The key new licenses are signed with (the others verify licenses signed before a rotation). */
  signing: boolean;
  jwk: LicenseJwks["keys"][number];
  pem: string;
}

/** The public half of every configured signing key, as published at /api/licenses/jwks (public information). */
export function licensePublicKeys(): { jwks: LicenseJwks; keys: LicensePublicKey[] } {
  const jwks = licenseJwks();
  return {
    jwks,
    keys: jwks.keys.map((jwk, i) => ({
      kid: jwk.kid,
      signing: i === 0,
      jwk,
      pem: licensePublicKeyPem(jwk.kid) ?? "",
    })),
  };
}
