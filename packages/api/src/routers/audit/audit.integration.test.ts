// The audit log: filters, keyset pagination that returns every row exactly once, and a CSV export that a
// spreadsheet cannot be tricked into running.
import { db } from "@cp/db";
import { BAD_CREDENTIALS, signInWithPassword } from "@cp/services";
import { beforeAll, describe, expect, it } from "vitest";
import {
  callerFor,
  createMember,
  createOrg,
  createUser,
  settle,
  unique,
  type TestOrg,
  type TestUser,
} from "../../testing/fixtures";

const BASE = Date.parse("2020-03-01T12:00:00.000Z");
const at = (minutes: number) => new Date(BASE + minutes * 60_000);

/** RFC 4180, enough for the export: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  return rows;
}

describe("audit log", () => {
  let org: TestOrg;
  let other: TestOrg;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  const ids: { id: string; createdAt: Date }[] = [];

  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(), createOrg()]);
    admin = (await createMember(org.id, "admin")).user;
    [alice, bob] = await Promise.all([
      createUser({ email: `${unique("alice")}@example.com` }),
      createUser({ email: `${unique("bob")}@example.com` }),
    ]);
    // 24 events a minute apart, with every fourth one sharing its time with the previous one (ties broken by id).
    for (let i = 0; i < 24; i++) {
      const actor = i % 2 === 0 ? alice : bob;
      const e = await db().auditEvent.create({
        data: {
          orgId: org.id,
          actorId: actor.id,
          actorEmail: actor.email,
          actorStaffRole: "none",
          action: i % 3 === 0 ? "member.role_change" : "invitation.create",
          targetType: i % 3 === 0 ? "membership" : "invitation",
          targetId: `target-${i}`,
          createdAt: at(i % 4 === 3 ? i - 1 : i),
        },
        select: { id: true, createdAt: true },
      });
      ids.push(e);
    }
    await db().auditEvent.create({
      data: {
        orgId: other.id,
        actorId: alice.id,
        actorEmail: alice.email,
        action: "member.remove",
        targetType: "membership",
        createdAt: at(5),
      },
    });
  });

  const newestFirst = (rows: { id: string; createdAt: Date }[]) =>
    [...rows]
      .sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      )
      .map((r) => r.id);

  it("pages through the org's events newest first, every row exactly once", async () => {
    const api = await callerFor(admin);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await api.audit.list({
        orgId: org.id,
        limit: 5,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(newestFirst(ids));
  });

  it("filters by actor (id or e-mail, any case), action prefix, target and time, and pages the filtered rows", async () => {
    const api = await callerFor(admin);
    const list = async (filter: Record<string, unknown>) =>
      (await api.audit.list({ orgId: org.id, limit: 100, ...filter })).items;

    const byId = await list({ actor: alice.id });
    expect(byId).toHaveLength(12);
    expect(byId.every((e) => e.actorId === alice.id)).toBe(true);
    expect((await list({ actor: bob.email.toUpperCase().slice(0, 12) })).map((e) => e.actorId)).toEqual(
      Array(12).fill(bob.id),
    );

    const roleChanges = await list({ action: "member." });
    expect(roleChanges).toHaveLength(8);
    expect(new Set(roleChanges.map((e) => e.action))).toEqual(new Set(["member.role_change"]));

    expect((await list({ targetType: "invitation", targetId: "target-4" })).map((e) => e.targetId)).toEqual([
      "target-4",
    ]);
    expect(await list({ targetType: "membership", targetId: "target-4" })).toEqual([]);

    const window = await list({ from: at(10), to: at(13) });
    expect(window.map((e) => e.targetId).sort()).toEqual(
      ["target-10", "target-11", "target-12", "target-13"].sort(),
    );
    expect(window.every((e) => e.createdAt >= at(10) && e.createdAt <= at(13))).toBe(true);

    // Filters and pagination together.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await api.audit.list({
        orgId: org.id,
        action: "invitation.",
        limit: 3,
        cursor,
      });
      paged.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual((await list({ action: "invitation." })).map((e) => e.id));
    expect(paged).toHaveLength(16);
  });

  it("shows a customer admin only their org; staff may read every org's events", async () => {
    const mine = await (await callerFor(admin)).audit.list({ orgId: org.id, actor: alice.id, limit: 100 });
    expect(mine.items.every((e) => e.orgId === org.id)).toBe(true);
    // A customer must name the org: a missing field, not a permission question.
    expect((await settle((await callerFor(admin)).audit.list({}))).outcome).toBe("BAD_REQUEST");

    const support = await createUser({ staffRole: "support" });
    const all = await (await callerFor(support)).audit.list({ actor: alice.id, limit: 100 });
    expect(new Set(all.items.map((e) => e.orgId))).toEqual(new Set([org.id, other.id]));
  });

  it("answers BAD_REQUEST on a cursor that is not one", async () => {
    const r = await settle((await callerFor(admin)).audit.list({ orgId: org.id, cursor: "not-a-cursor!!" }));
    expect(r.outcome).toBe("BAD_REQUEST");
    expect(r.error?.message).toMatch(/^cursor: /);
  });

  it("exports CSV with formula-looking cells escaped and quoting intact", async () => {
    const csvOrg = await createOrg();
    const csvAdmin = (await createMember(csvOrg.id, "admin")).user;
    const nasty = {
      "=": '=HYPERLINK("http://evil.example","click")',
      "+": "+1+2",
      "-": "-3,4",
      "@": "@SUM(A1:A2)",
    };
    for (const [i, value] of Object.values(nasty).entries()) {
      await db().auditEvent.create({
        data: {
          orgId: csvOrg.id,
          actorEmail: `${value}@example.com`,
          action: "test.csv",
          targetType: "thing",
          targetId: value,
          createdAt: at(100 + i),
        },
      });
    }
    const plain = await db().auditEvent.create({
      data: {
        orgId: csvOrg.id,
        actorEmail: "plain@example.com",
        action: "test.csv",
        targetType: "thing",
        targetId: 'say "hi", twice',
        createdAt: at(50),
      },
    });

    const out = await (await callerFor(csvAdmin)).audit.exportCsv({ orgId: csvOrg.id });
    expect(out).toMatchObject({ rows: 5, truncated: false });
    const rows = parseCsv(out.csv);
    expect(rows[0]).toEqual([
      "time",
      "actor_id",
      "actor_email",
      "actor_staff_role",
      "via_staff",
      "ip",
      "user_agent",
      "action",
      "target_type",
      "target_id",
      "org_id",
      "before",
      "after",
    ]);
    expect(rows).toHaveLength(6);
    const targetCol = rows[0]!.indexOf("target_id");
    const emailCol = rows[0]!.indexOf("actor_email");
    const targets = rows.slice(1).map((r) => r[targetCol]);
    expect(targets).toEqual([
      "'@SUM(A1:A2)",
      "'-3,4",
      "'+1+2",
      `'=HYPERLINK("http://evil.example","click")`,
      'say "hi", twice',
    ]);
    expect(rows.slice(1).map((r) => r[emailCol]![0])).toEqual(["'", "'", "'", "'", "p"]);
    // No cell of the export starts with a character a spreadsheet would evaluate.
    expect(rows.flat().filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(out.csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(rows[5]![0]).toBe(plain.createdAt.toISOString());
  });

  it("escapes what an attacker types as an e-mail at sign-in when staff export the failures", async () => {
    const typed = `-cmd-${unique("x")}+1@evil.example`;
    await expect(
      signInWithPassword(
        { email: typed, password: "whatever-long-enough" },
        { ip: "192.0.2.99", userAgent: "x" },
      ),
    ).rejects.toThrow(BAD_CREDENTIALS);
    const staffAdmin = await createUser({ staffRole: "admin" });
    const out = await (
      await callerFor(staffAdmin)
    ).audit.exportCsv({ action: "auth.sign_in_failed", actor: typed });
    expect(out.rows).toBe(1);
    const [header, row] = parseCsv(out.csv);
    expect(row![header!.indexOf("actor_email")]).toBe(`'${typed}`);
    expect(row![header!.indexOf("after")]).toBe('{"method":"password","reason":"unknown_account"}');
  });
});
