// Sign-in with a password (one answer for every failure, throttled per account and per IP, failures audited) and
// with OIDC (matched by identity, then by verified e-mail, else a new user who needs an invitation).
// Redis counters live for the whole run, so every test uses e-mails and IPs of its own.
import { randomBytes } from "node:crypto";
import { env } from "@cp/config";
import { AppError } from "@cp/core";
import { db } from "@cp/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getMe } from "./me";
import { loadActor } from "./load-actor";
import { hashPassword } from "./password";
import { BAD_CREDENTIALS, signInWithOidc, signInWithPassword } from "./sign-in";

const PASSWORD = "correct horse battery staple";
let hashed: Promise<string> | undefined;

let n = 0;
const tag = () => `${Date.now().toString(36)}-${++n}-${randomBytes(3).toString("hex")}`;
const email = (who = "user") => `${who}-${tag()}@example.com`;
/** An address of its own (IPv6 documentation range) for each caller. */
const ip = () =>
  `2001:db8:${(++n).toString(16)}::${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;

async function createUser(
  opts: {
    email?: string;
    password?: boolean;
    disabled?: boolean;
    oidc?: { issuer: string; subject: string };
  } = {},
) {
  return db().user.create({
    data: {
      email: opts.email ?? email(),
      passwordHash: opts.password === false ? null : await (hashed ??= hashPassword(PASSWORD)),
      disabledAt: opts.disabled ? new Date() : null,
      oidcIssuer: opts.oidc?.issuer ?? null,
      oidcSubject: opts.oidc?.subject ?? null,
    },
    select: { id: true, email: true },
  });
}

/** The AppError a sign-in failed with. */
async function failure(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected the sign-in to fail");
}

const meta = (address = ip()) => ({ ip: address, userAgent: "vitest" });

describe("signInWithPassword", () => {
  it("gives an unknown account, a wrong password and a disabled account the same answer, with no hint", async () => {
    const user = await createUser();
    const disabled = await createUser({ disabled: true });
    const unknown = await failure(signInWithPassword({ email: email("nobody"), password: PASSWORD }, meta()));
    const wrong = await failure(
      signInWithPassword({ email: user.email, password: "not the password at all" }, meta()),
    );
    const off = await failure(signInWithPassword({ email: disabled.email, password: PASSWORD }, meta()));
    const noPassword = await failure(
      signInWithPassword(
        { email: (await createUser({ password: false })).email, password: PASSWORD },
        meta(),
      ),
    );
    for (const err of [unknown, wrong, off, noPassword]) {
      expect({ code: err.code, message: err.message, field: err.field }).toEqual({
        code: "UNAUTHORIZED",
        message: BAD_CREDENTIALS,
        field: undefined,
      });
    }
  });

  it("records failures and successes in the audit log", async () => {
    const user = await createUser();
    const address = ip();
    const nobody = email("nobody");
    await failure(signInWithPassword({ email: nobody, password: PASSWORD }, meta(address)));
    await failure(
      signInWithPassword({ email: user.email.toUpperCase(), password: "wrong password here" }, meta(address)),
    );
    const ok = await signInWithPassword(
      { email: ` ${user.email.toUpperCase()} `, password: PASSWORD },
      meta(address),
    );
    expect(ok).toMatchObject({ id: user.id, email: user.email });

    const events = await db().auditEvent.findMany({
      where: { ip: address },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    expect(events.map((e) => [e.action, e.actorEmail, e.targetId, e.after])).toEqual([
      ["auth.sign_in_failed", nobody, null, { method: "password", reason: "unknown_account" }],
      ["auth.sign_in_failed", user.email, user.id, { method: "password", reason: "bad_password" }],
      ["auth.sign_in", user.email, user.id, { method: "password" }],
    ]);
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).lastSignInAt).toBeInstanceOf(Date);
  });

  it("throttles an account after CP_SIGNIN_MAX_PER_ACCOUNT failures, whatever the IP, even with the right password", async () => {
    const max = env().CP_SIGNIN_MAX_PER_ACCOUNT;
    const user = await createUser();
    for (let i = 0; i < max; i++) {
      expect(
        (await failure(signInWithPassword({ email: user.email, password: `wrong password ${i}` }, meta())))
          .code,
      ).toBe("UNAUTHORIZED");
    }
    const throttled = await failure(signInWithPassword({ email: user.email, password: PASSWORD }, meta()));
    expect(throttled.code).toBe("TOO_MANY_REQUESTS");
    expect(throttled.message).toMatch(/Try again in \d+ minutes?/);
    // The e-mail is the account whatever its case.
    expect(
      (await failure(signInWithPassword({ email: user.email.toUpperCase(), password: PASSWORD }, meta())))
        .code,
    ).toBe("TOO_MANY_REQUESTS");
    // Another account is not affected.
    const other = await createUser();
    await expect(
      signInWithPassword({ email: other.email, password: PASSWORD }, meta()),
    ).resolves.toMatchObject({ id: other.id });
  });

  it("a success clears the account's failures", async () => {
    const max = env().CP_SIGNIN_MAX_PER_ACCOUNT;
    expect(max).toBeGreaterThan(1);
    const user = await createUser();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < max - 1; i++)
        await failure(signInWithPassword({ email: user.email, password: `wrong ${round}-${i}` }, meta()));
      // Without the reset, the second round would reach 2 * (max - 1) >= max failures and be throttled.
      await expect(
        signInWithPassword({ email: user.email, password: PASSWORD }, meta()),
      ).resolves.toMatchObject({ id: user.id });
    }
  });

  it("throttles an IP after CP_SIGNIN_MAX_PER_IP failures across accounts; other IPs still get in", async () => {
    const max = env().CP_SIGNIN_MAX_PER_IP;
    const address = ip();
    const user = await createUser();
    // Different unknown accounts, so only the IP counter reaches its limit. Parallel: each failure spends a hash.
    const attempts = Array.from({ length: max }, () =>
      failure(signInWithPassword({ email: email("spray"), password: PASSWORD }, meta(address))),
    );
    expect(new Set((await Promise.all(attempts)).map((e) => e.code))).toEqual(new Set(["UNAUTHORIZED"]));

    expect(
      (await failure(signInWithPassword({ email: user.email, password: PASSWORD }, meta(address)))).code,
    ).toBe("TOO_MANY_REQUESTS");
    await expect(
      signInWithPassword({ email: user.email, password: PASSWORD }, meta()),
    ).resolves.toMatchObject({ id: user.id });
  });
});

describe("signInWithOidc", () => {
  const issuer = `https://idp-${tag()}.example.com`;

  it("matches a known (issuer, subject) even when the e-mail changed or is missing", async () => {
    const user = await createUser({ oidc: { issuer, subject: `sub-${tag()}` } });
    const subject = (await db().user.findUniqueOrThrow({ where: { id: user.id } })).oidcSubject!;
    const r = await signInWithOidc({ issuer, subject, email: null, emailVerified: false }, meta());
    expect(r.id).toBe(user.id);
    const r2 = await signInWithOidc(
      { issuer, subject, email: email("renamed"), emailVerified: true },
      meta(),
    );
    expect(r2.id).toBe(user.id);
    // The same subject at another issuer is someone else: refused here because that e-mail is unverified.
    expect(
      (
        await failure(
          signInWithOidc(
            { issuer: `${issuer}/other`, subject, email: user.email, emailVerified: false },
            meta(),
          ),
        )
      ).code,
    ).toBe("UNAUTHORIZED");
  });

  it("links a verified e-mail to an existing user who has no OIDC identity yet", async () => {
    const user = await createUser();
    const subject = `sub-${tag()}`;
    const r = await signInWithOidc(
      { issuer, subject, email: user.email.toUpperCase(), emailVerified: true, name: "Linked" },
      meta(),
    );
    expect(r.id).toBe(user.id);
    const row = await db().user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row).toMatchObject({ oidcIssuer: issuer, oidcSubject: subject });
    expect(row.emailVerifiedAt).toBeInstanceOf(Date);
    expect((await signInWithOidc({ issuer, subject, email: null, emailVerified: false }, meta())).id).toBe(
      user.id,
    );
  });

  it("refuses an unverified e-mail and links nothing", async () => {
    const user = await createUser();
    const before = await db().user.count();
    const err = await failure(
      signInWithOidc({ issuer, subject: `sub-${tag()}`, email: user.email, emailVerified: false }, meta()),
    );
    expect(err.code).toBe("UNAUTHORIZED");
    expect(err.message).toMatch(/verified e-mail/);
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).oidcSubject).toBeNull();
    expect(await db().user.count()).toBe(before);
  });

  it("does not let a second identity take over an e-mail already linked to another, nor a disabled user in", async () => {
    const linked = await createUser({ oidc: { issuer, subject: `sub-${tag()}` } });
    const err = await failure(
      signInWithOidc({ issuer, subject: `sub-${tag()}`, email: linked.email, emailVerified: true }, meta()),
    );
    expect(err.code).toBe("UNAUTHORIZED");
    const disabled = await createUser({ disabled: true });
    expect(
      (
        await failure(
          signInWithOidc(
            { issuer, subject: `sub-${tag()}`, email: disabled.email, emailVerified: true },
            meta(),
          ),
        )
      ).code,
    ).toBe("UNAUTHORIZED");
    expect((await db().user.findUniqueOrThrow({ where: { id: disabled.id } })).oidcSubject).toBeNull();
  });

  it("creates a new person with no memberships, who needs an invitation", async () => {
    const address = email("newcomer");
    const subject = `sub-${tag()}`;
    const r = await signInWithOidc(
      { issuer, subject, email: address.toUpperCase(), emailVerified: true, name: "New Comer" },
      meta(),
    );
    expect(r).toMatchObject({ email: address, name: "New Comer" });
    const actor = await loadActor(r.id);
    expect(actor?.memberships).toEqual([]);
    const me = await getMe(actor!);
    expect(me).toMatchObject({ id: r.id, orgs: [], staffRole: "none", needsInvitation: true });
    expect(await db().auditEvent.count({ where: { action: "auth.user_created", targetId: r.id } })).toBe(1);
    // The next sign-in finds the same user.
    expect((await signInWithOidc({ issuer, subject, email: address, emailVerified: true }, meta())).id).toBe(
      r.id,
    );
  });
});

describe("two first OIDC sign-ins of one person at once", () => {
  it("end with one user, whom both get", async () => {
    const profile = {
      issuer: "https://idp-race.example.com",
      subject: `sub-${tag()}`,
      email: email("racer"),
      emailVerified: true,
    };
    const [a, b] = await Promise.all([signInWithOidc(profile, meta()), signInWithOidc(profile, meta())]);
    expect(a.id).toBe(b.id);
    expect(await db().user.count({ where: { email: profile.email } })).toBe(1);
  });
});

describe("an OIDC sign-in that changes a user and its audit event share one transaction", () => {
  // A trigger that refuses audit events about one address stands in for any failure of the audit write.
  const trigger = `cp_test_refuse_oidc_audit_${Date.now()}`;
  const refused = { newcomer: email("refused-new"), linkee: email("refused-link") };

  beforeAll(async () => {
    await db().$executeRawUnsafe(
      `CREATE OR REPLACE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE EXCEPTION 'audit refused by test'; END $fn$`,
    );
    await db().$executeRawUnsafe(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON "AuditEvent" FOR EACH ROW WHEN (NEW."actorEmail" IN ('${refused.newcomer}', '${refused.linkee}')) EXECUTE FUNCTION ${trigger}()`,
    );
  });

  afterAll(async () => {
    await db().$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${trigger} ON "AuditEvent"`);
    await db().$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${trigger}()`);
  });

  it("creates no user when the audit event cannot be written", async () => {
    const issuer = "https://idp-tx.example.com";
    await expect(
      signInWithOidc(
        { issuer, subject: `sub-${tag()}`, email: refused.newcomer, emailVerified: true },
        meta(),
      ),
    ).rejects.toThrow();
    expect(await db().user.count({ where: { email: refused.newcomer } })).toBe(0);
  });

  it("links no identity when the audit event cannot be written", async () => {
    const user = await createUser({ email: refused.linkee });
    await expect(
      signInWithOidc(
        {
          issuer: "https://idp-tx.example.com",
          subject: `sub-${tag()}`,
          email: user.email,
          emailVerified: true,
        },
        meta(),
      ),
    ).rejects.toThrow();
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).oidcSubject).toBeNull();
  });
});
