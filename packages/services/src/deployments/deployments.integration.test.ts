// Customer-managed deployments and licenses against the real database: staff register deployments and issue, renew
// and revoke licenses (audited, errors naming the field); the token is stored only encrypted and found by its hash;
// loadLicenseForToken answers each kind of bad license with its status; customers see only their own org's
// deployments, and only admins see a token.
import { randomUUID } from "node:crypto";
import { decryptSecret, licenseTokenSha256, verifyLicense } from "@cp/connectors";
import { AppError, type StaffRole } from "@cp/core";
import { db } from "@cp/db";
import { describe, expect, it } from "vitest";
import { getDeployment, listDeployments, registerDeployment } from "./deployments";
import {
  issueLicense,
  licenseTokenContext,
  loadLicenseForToken,
  renewLicense,
  revealLicenseToken,
  revokeLicense,
} from "./licenses";
import { ctxFor } from "../testing/context";

const DAY = 86_400_000;

async function people(plan: "dedicated" | "customer_managed" | "saas" = "customer_managed") {
  const suffix = randomUUID().slice(0, 8);
  const mkOrg = (name: string, p: typeof plan) =>
    db().organization.create({ data: { name: `${name} ${suffix}`, slug: `${name}-${suffix}`, plan: p } });
  const [org, other] = await Promise.all([mkOrg("dep", plan), mkOrg("oth", "customer_managed")]);
  const mk = (name: string, staffRole: StaffRole) =>
    db().user.create({ data: { email: `${name}-${suffix}@example.com`, staffRole } });
  const [sre, support, admin, member, outsider] = await Promise.all([
    mk("sre", "sre"),
    mk("support", "support"),
    mk("orgadmin", "none"),
    mk("member", "none"),
    mk("outsider", "none"),
  ]);
  await db().membership.createMany({
    data: [
      { orgId: org.id, userId: admin.id, role: "admin" },
      { orgId: org.id, userId: member.id, role: "member" },
      { orgId: other.id, userId: outsider.id, role: "admin" },
    ],
  });
  return {
    org,
    other,
    suffix,
    sre: ctxFor(sre, "sre"),
    support: ctxFor(support, "support"),
    admin: ctxFor(admin, "none", [{ orgId: org.id, role: "admin" }]),
    member: ctxFor(member, "none", [{ orgId: org.id, role: "member" }]),
    outsider: ctxFor(outsider, "none", [{ orgId: other.id, role: "admin" }]),
  };
}

type People = Awaited<ReturnType<typeof people>>;

async function register(p: People, name = "Prod cluster") {
  return registerDeployment(p.sre, {
    orgId: p.org.id,
    name,
    platform: "aws",
    contactName: "Ops Team",
    contactEmail: "Ops@Example.com",
    version: "0.66.0",
  });
}

/** The AppError a promise rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function auditOf(action: string, targetId: string) {
  return db().auditEvent.findMany({ where: { action, targetId } });
}

describe("registering deployments", () => {
  it("staff register a deployment, audited; the org's members list it", async () => {
    const p = await people();
    const d = await register(p);
    expect(d).toMatchObject({
      orgId: p.org.id,
      name: "Prod cluster",
      platform: "aws",
      contactEmail: "ops@example.com",
      version: "0.66.0",
      licenseStatus: "none",
      licenseExpiresAt: null,
      lastReportAt: null,
      licenses: [],
    });
    const [event] = await auditOf("deployment.register", d.id);
    expect(event).toMatchObject({ orgId: p.org.id, actorId: p.sre.actor.userId, viaStaff: true });
    expect((await listDeployments(p.member.actor, p.org.id)).map((x) => x.id)).toEqual([d.id]);
    expect((await listDeployments(p.support.actor, null)).map((x) => x.id)).toContain(d.id);
  });

  it("names the field for each invalid input", async () => {
    const p = await people();
    await register(p, "Unique");
    const base = {
      orgId: p.org.id,
      name: "Other",
      platform: "gcp" as const,
      contactName: "A",
      contactEmail: "a@example.com",
      version: "1.2.3",
    };
    const cases: [Partial<typeof base>, string, RegExp][] = [
      [{ name: "unique" }, "name", /already has a deployment called/],
      [{ contactEmail: "not-an-email" }, "contactEmail", /e-mail address/],
      [{ version: "latest" }, "version", /MAJOR\.MINOR\.PATCH/],
      [{ name: "x" }, "name", /at least 2/],
    ];
    for (const [patch, field, message] of cases) {
      const err = await refusal(registerDeployment(p.sre, { ...base, ...patch }));
      expect(err.field, JSON.stringify(patch)).toBe(field);
      expect(err.message).toMatch(message);
    }
    const err = await refusal(registerDeployment(p.sre, { ...base, platform: "moon" as unknown as "aws" }));
    expect(err.field).toBe("platform");
  });

  it("refuses SaaS orgs, unknown orgs, and callers who are not SREs or staff admins", async () => {
    const saas = await people("saas");
    const err = await refusal(register(saas));
    expect(err).toMatchObject({ code: "BAD_REQUEST", field: "orgId" });
    expect(err.message).toMatch(/SaaS/);
    const p = await people("dedicated");
    expect((await register(p)).orgId).toBe(p.org.id);
    expect(
      await refusal(registerDeployment(p.sre, { ...(await registerInput(p)), orgId: "nope" })),
    ).toMatchObject({ code: "NOT_FOUND" });
    for (const who of [p.support, p.admin]) {
      expect(await refusal(registerDeployment(who, await registerInput(p)))).toMatchObject({
        code: "FORBIDDEN",
      });
    }
  });
});

async function registerInput(p: People) {
  return {
    orgId: p.org.id,
    name: `Dep ${randomUUID().slice(0, 6)}`,
    platform: "azure" as const,
    contactName: "A",
    contactEmail: "a@example.com",
    version: "1.0.0",
  };
}

describe("licenses", () => {
  it("issues a signed license, stored encrypted and found by its hash; the token is never in the audit log", async () => {
    const p = await people();
    const d = await register(p);
    const expiresAt = new Date(Date.now() + 365 * DAY);
    const license = await issueLicense(p.sre, {
      deploymentId: d.id,
      seats: 50,
      features: ["sso", "weave", "sso"],
      expiresAt,
    });
    expect(license).toMatchObject({
      deploymentId: d.id,
      orgId: p.org.id,
      seats: 50,
      features: ["sso", "weave"],
    });
    expect(license.status).toBe("active");
    expect(license).not.toHaveProperty("tokenCiphertext");

    const row = await db().license.findUniqueOrThrow({ where: { id: license.id } });
    const token = decryptSecret(row.tokenCiphertext, { associatedData: licenseTokenContext(license.id) });
    expect(row.tokenCiphertext).not.toContain(token.split(".")[1]!);
    expect(row.tokenSha256).toBe(licenseTokenSha256(token));
    const verified = await verifyLicense(token);
    expect(verified).toMatchObject({
      ok: true,
      claims: {
        orgId: p.org.id,
        deploymentId: d.id,
        licenseId: license.id,
        seats: 50,
        features: ["sso", "weave"],
      },
    });

    const [event] = await auditOf("license.issue", license.id);
    expect(event).toBeDefined();
    expect(JSON.stringify(event)).not.toContain(token);
    const detail = await getDeployment(p.member.actor, p.org.id, d.id);
    expect(detail.licenseStatus).toBe("active");
    expect(detail.licenses.map((l) => l.id)).toEqual([license.id]);
  });

  it("validates seats, features and expiry, naming the field", async () => {
    const p = await people();
    const d = await register(p);
    const ok = {
      deploymentId: d.id,
      seats: 10,
      features: ["sso"],
      expiresAt: new Date(Date.now() + 30 * DAY),
    };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ seats: 0 }, "seats", /at least 1/],
      [{ seats: 1_000_001 }, "seats", /at most 1000000/],
      [{ seats: 2.5 }, "seats", /whole number/],
      [{ features: ["sso", "teleport"] }, "features.1", /must be one of sso/],
      [{ expiresAt: new Date(Date.now() - DAY) }, "expiresAt", /in the future/],
      [{ expiresAt: new Date(Date.now() + 3 * 366 * DAY + DAY) }, "expiresAt", /at most 3 years/],
    ];
    for (const [patch, field, message] of cases) {
      const err = await refusal(
        issueLicense(p.sre, { ...ok, ...patch } as typeof ok & { features: "sso"[] }),
      );
      expect(err.field, JSON.stringify(patch)).toBe(field);
      expect(err.message).toMatch(message);
    }
    expect(
      await refusal(issueLicense(p.sre, { ...ok, features: ["sso"], deploymentId: "nope" })),
    ).toMatchObject({ code: "NOT_FOUND" });
    expect(await db().license.count({ where: { deploymentId: d.id } })).toBe(0);
  });

  it("a renewal is a new license; the renewed one stays valid until its expiry unless revoked", async () => {
    const p = await people();
    const d = await register(p);
    const old = await issueLicense(p.sre, {
      deploymentId: d.id,
      seats: 20,
      features: ["sso"],
      expiresAt: new Date(Date.now() + 10 * DAY),
    });
    const renewed = await renewLicense(p.sre, {
      licenseId: old.id,
      expiresAt: new Date(Date.now() + 400 * DAY),
    });
    expect(renewed).toMatchObject({ renewsId: old.id, seats: 20, features: ["sso"], status: "active" });
    expect(renewed.id).not.toBe(old.id);
    expect(await auditOf("license.renew", renewed.id)).toHaveLength(1);

    const oldToken = (await revealLicenseToken(p.sre, { orgId: p.org.id, licenseId: old.id })).token;
    const newToken = (await revealLicenseToken(p.sre, { orgId: p.org.id, licenseId: renewed.id })).token;
    expect((await loadLicenseForToken(oldToken)).ok).toBe(true);
    expect(await loadLicenseForToken(newToken)).toMatchObject({ ok: true, license: { id: renewed.id } });
    // Past the old one's expiry only the renewal works.
    const later = new Date(Date.now() + 11 * DAY);
    expect(await loadLicenseForToken(oldToken, { now: later })).toMatchObject({
      ok: false,
      status: 403,
      error: "license_expired",
    });
    expect((await loadLicenseForToken(newToken, { now: later })).ok).toBe(true);

    const detail = await getDeployment(p.admin.actor, p.org.id, d.id);
    expect(detail.licenses.map((l) => l.id)).toEqual([renewed.id, old.id]);
    expect(detail.licenseStatus).toBe("active");

    // A renewal must end later, and a license is renewed once.
    const early = await refusal(
      renewLicense(p.sre, { licenseId: renewed.id, expiresAt: new Date(Date.now() + DAY) }),
    );
    expect(early.field).toBe("expiresAt");
    const twice = await refusal(
      renewLicense(p.sre, { licenseId: old.id, expiresAt: new Date(Date.now() + 500 * DAY) }),
    );
    expect(twice).toMatchObject({ code: "CONFLICT", field: "licenseId" });
  });

  it("revoking ends a license at once, with its reason; a revoked license is not renewed", async () => {
    const p = await people();
    const d = await register(p);
    const license = await issueLicense(p.sre, {
      deploymentId: d.id,
      seats: 5,
      features: [],
      expiresAt: new Date(Date.now() + 100 * DAY),
    });
    const { token } = await revealLicenseToken(p.admin, { orgId: p.org.id, licenseId: license.id });
    const reason = await refusal(revokeLicense(p.sre, { licenseId: license.id, reason: "" }));
    expect(reason.field).toBe("reason");

    const revoked = await revokeLicense(p.sre, { licenseId: license.id, reason: "Contract ended" });
    expect(revoked).toMatchObject({ status: "revoked", revokedReason: "Contract ended" });
    expect(await auditOf("license.revoke", license.id)).toHaveLength(1);
    expect(await loadLicenseForToken(token)).toMatchObject({
      ok: false,
      status: 403,
      error: "license_revoked",
    });
    expect((await getDeployment(p.member.actor, p.org.id, d.id)).licenseStatus).toBe("revoked");

    expect(await refusal(revokeLicense(p.sre, { licenseId: license.id, reason: "again" }))).toMatchObject({
      code: "CONFLICT",
    });
    const renew = await refusal(
      renewLicense(p.sre, { licenseId: license.id, expiresAt: new Date(Date.now() + 200 * DAY) }),
    );
    expect(renew).toMatchObject({ code: "CONFLICT", field: "licenseId" });
  });
});

describe("loadLicenseForToken", () => {
  it("answers each kind of bad license with its status", async () => {
    const p = await people();
    const d = await register(p);
    const license = await issueLicense(p.sre, {
      deploymentId: d.id,
      seats: 5,
      features: ["reports"],
      expiresAt: new Date(Date.now() + 30 * DAY),
    });
    const { token } = await revealLicenseToken(p.sre, { orgId: p.org.id, licenseId: license.id });

    const good = await loadLicenseForToken(token);
    expect(good).toMatchObject({
      ok: true,
      license: { id: license.id, orgId: p.org.id, seats: 5 },
      deployment: { id: d.id, orgId: p.org.id, name: "Prod cluster", platform: "aws" },
    });

    expect(await loadLicenseForToken("")).toMatchObject({ status: 401, error: "license_missing" });
    expect(await loadLicenseForToken(undefined)).toMatchObject({ status: 401, error: "license_missing" });
    expect(await loadLicenseForToken("not-a-token")).toMatchObject({
      status: 401,
      error: "license_malformed",
    });
    const [h, pl, s] = token.split(".") as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(pl, "base64url").toString()), seats: 999 }),
    ).toString("base64url");
    expect(await loadLicenseForToken(`${h}.${forged}.${s}`)).toMatchObject({
      status: 401,
      error: "license_invalid",
    });
    expect(await loadLicenseForToken(token, { now: new Date(Date.now() + 31 * DAY) })).toMatchObject({
      status: 403,
      error: "license_expired",
    });

    // Validly signed but not on record (e.g. the row was removed): unknown.
    await db().license.delete({ where: { id: license.id } });
    expect(await loadLicenseForToken(token)).toMatchObject({ status: 401, error: "license_unknown" });
  });
});

describe("who sees what", () => {
  it("another org's customers get NOT_FOUND; members never see a token; support staff read but do not reveal", async () => {
    const p = await people();
    const d = await register(p);
    const license = await issueLicense(p.sre, {
      deploymentId: d.id,
      seats: 5,
      features: [],
      expiresAt: new Date(Date.now() + 30 * DAY),
    });

    expect(await refusal(getDeployment(p.outsider.actor, p.org.id, d.id))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await refusal(listDeployments(p.outsider.actor, p.org.id))).toMatchObject({ code: "NOT_FOUND" });
    // Their own org, someone else's deployment id: still NOT_FOUND.
    expect(await refusal(getDeployment(p.outsider.actor, p.other.id, d.id))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await listDeployments(p.outsider.actor, p.other.id)).toEqual([]);
    expect(await refusal(listDeployments(p.admin.actor, null))).toMatchObject({ code: "FORBIDDEN" });
    expect(
      await refusal(revealLicenseToken(p.outsider, { orgId: p.other.id, licenseId: license.id })),
    ).toMatchObject({ code: "NOT_FOUND" });

    expect(
      await refusal(revealLicenseToken(p.member, { orgId: p.org.id, licenseId: license.id })),
    ).toMatchObject({
      code: "FORBIDDEN",
    });
    expect((await getDeployment(p.support.actor, p.org.id, d.id)).licenses).toHaveLength(1);
    expect(
      await refusal(revealLicenseToken(p.support, { orgId: p.org.id, licenseId: license.id })),
    ).toMatchObject({ code: "FORBIDDEN" });
    for (const who of [p.member, p.admin, p.support]) {
      expect(
        await refusal(revokeLicense(who, { licenseId: license.id, reason: "Not mine to revoke" })),
      ).toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await auditOf("license.token_view", license.id)).toHaveLength(0);

    const shown = await revealLicenseToken(p.admin, { orgId: p.org.id, licenseId: license.id });
    expect((await verifyLicense(shown.token)).ok).toBe(true);
    const events = await auditOf("license.token_view", license.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: p.admin.actor.userId, viaStaff: false, orgId: p.org.id });
    expect(JSON.stringify(events[0])).not.toContain(shown.token);
  });
});
