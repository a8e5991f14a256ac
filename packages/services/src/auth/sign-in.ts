import { AppError, ZEmail } from "@cp/core";
import { db, isUniqueViolation, type Db } from "@cp/db";
import { recordAudit } from "../audit/record-audit";
import type { RequestMeta } from "../context";
import { burnPasswordCheck, verifyPassword } from "./password";
import { assertSignInAllowed, clearAccountFailures, recordSignInFailure } from "./throttle";

export interface SignedInUser {
  id: string;
  email: string;
  name: string | null;
}

/** One message for every failure, so that it never tells whether an account exists. */
export const BAD_CREDENTIALS = "The e-mail or password is incorrect.";

type Meta = Pick<RequestMeta, "ip" | "userAgent">;

export async function signInWithPassword(
  input: { email: string; password: string },
  meta: Meta,
): Promise<SignedInUser> {
  const parsed = ZEmail.safeParse(input.email);
  if (!parsed.success || !input.password) throw new AppError("UNAUTHORIZED", BAD_CREDENTIALS);
  const email = parsed.data;
  const subject = { email, ip: meta.ip };
  await assertSignInAllowed(subject);

  const user = await db().user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true, disabledAt: true },
  });
  const ok = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : (await burnPasswordCheck(input.password), false);
  if (!user || !ok || user.disabledAt) {
    await recordSignInFailure(subject);
    await recordAudit(
      db(),
      { actor: null, actorEmail: email, ...meta },
      {
        action: "auth.sign_in_failed",
        targetType: "user",
        targetId: user?.id ?? null,
        after: {
          method: "password",
          reason: !user ? "unknown_account" : user.disabledAt && ok ? "disabled" : "bad_password",
        },
      },
    );
    throw new AppError("UNAUTHORIZED", BAD_CREDENTIALS);
  }
  await clearAccountFailures(email);
  await db().$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
    await recordAudit(
      tx,
      { actor: null, actorEmail: user.email, ...meta },
      {
        action: "auth.sign_in",
        targetType: "user",
        targetId: user.id,
        after: { method: "password" },
      },
    );
  });
  return { id: user.id, email: user.email, name: user.name };
}

export interface OidcProfile {
  issuer: string;
  subject: string;
  email: string | null | undefined;
  emailVerified: boolean;
  name?: string | null;
}

/**
 * Matches an OIDC identity to a user: first by (issuer, subject), then by verified e-mail; creates the user when
 * neither matches. A user without memberships or a staff role is then told they need an invitation.
 */
export async function signInWithOidc(profile: OidcProfile, meta: Meta): Promise<SignedInUser> {
  const known = await db().user.findUnique({
    where: { oidcIssuer_oidcSubject: { oidcIssuer: profile.issuer, oidcSubject: profile.subject } },
    select: { id: true, email: true, name: true, disabledAt: true },
  });
  // Each change to the user is written with its audit event in one transaction (DESIGN.md, Security model).
  const audit = async (tx: Db, user: SignedInUser, created: boolean) =>
    recordAudit(
      tx,
      { actor: null, actorEmail: user.email, ...meta },
      {
        action: created ? "auth.user_created" : "auth.sign_in",
        targetType: "user",
        targetId: user.id,
        after: { method: "oidc", issuer: profile.issuer },
      },
    );
  if (known) {
    if (known.disabledAt)
      throw new AppError("UNAUTHORIZED", "This account is disabled. Ask your administrator.");
    await db().$transaction(async (tx) => {
      await tx.user.update({ where: { id: known.id }, data: { lastSignInAt: new Date() } });
      await audit(tx, known, false);
    });
    return known;
  }
  const parsed = ZEmail.safeParse(profile.email ?? "");
  if (!parsed.success || !profile.emailVerified) {
    throw new AppError(
      "UNAUTHORIZED",
      "Your identity provider did not send a verified e-mail address, so we cannot match you to an account.",
    );
  }
  const email = parsed.data;
  const byEmail = await db().user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, disabledAt: true, oidcSubject: true },
  });
  if (byEmail) {
    if (byEmail.disabledAt)
      throw new AppError("UNAUTHORIZED", "This account is disabled. Ask your administrator.");
    if (byEmail.oidcSubject) {
      // The e-mail already belongs to another identity of some provider: do not let a second one take it over.
      throw new AppError(
        "UNAUTHORIZED",
        "This e-mail is linked to another sign-in identity. Ask your administrator.",
      );
    }
    return db().$transaction(async (tx) => {
      const linked = await tx.user.update({
        where: { id: byEmail.id },
        data: {
          oidcIssuer: profile.issuer,
          oidcSubject: profile.subject,
          emailVerifiedAt: new Date(),
          lastSignInAt: new Date(),
        },
        select: { id: true, email: true, name: true },
      });
      await audit(tx, linked, false);
      return linked;
    });
  }
  try {
    return await db().$transaction(async (tx) => {
      const created = await tx.user.create({
        data: {
          email,
          name: profile.name ?? null,
          oidcIssuer: profile.issuer,
          oidcSubject: profile.subject,
          emailVerifiedAt: new Date(),
          lastSignInAt: new Date(),
        },
        select: { id: true, email: true, name: true },
      });
      await audit(tx, created, true);
      return created;
    });
  } catch (err) {
    // Two first sign-ins racing: the other one created the user.
    if (isUniqueViolation(err)) return signInWithOidc(profile, meta);
    throw err;
  }
}
