// The tenant timeline against the real database: rows of every kind written directly (support requests and channel
// posts may have no producer yet), then pages read through instanceTimeline. Other test files share the database,
// so every assertion is scoped to this file's instances.
import { randomUUID } from "node:crypto";
import { AppError, TIMELINE_KINDS, type Actor, type TimelineKind } from "@cp/core";
import { db } from "@cp/db";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestInstance } from "../testing/instances";
import { instanceTimeline, type TimelineItem } from "./timeline";

const SECRET = `s3cr3t-${randomUUID()}`;

async function createOrgWithPeople() {
  const suffix = randomUUID().slice(0, 8);
  const org = await db().organization.create({
    data: { name: `Tl ${suffix}`, slug: `tl-${suffix}`, plan: "dedicated", instanceQuota: 10 },
  });
  const admin = await db().user.create({ data: { email: `tl-admin-${suffix}@example.com` } });
  const member = await db().user.create({ data: { email: `tl-member-${suffix}@example.com` } });
  await db().membership.create({ data: { orgId: org.id, userId: admin.id, role: "admin" } });
  await db().membership.create({ data: { orgId: org.id, userId: member.id, role: "member" } });
  const actor = (u: { id: string; email: string }, role: "admin" | "member"): { actor: Actor } => ({
    actor: { userId: u.id, email: u.email, staffRole: "none", memberships: [{ orgId: org.id, role }] },
  });
  return { org, admin: actor(admin, "admin"), member: actor(member, "member"), adminUser: admin };
}

async function createInstance(orgId: string) {
  const slug = `tl-${randomUUID().slice(0, 12)}`;
  return createTestInstance(orgId, slug);
}

let ruleId: string;

/** One row of `kind` for the instance at `at`; returns its id. */
async function createEvent(
  kind: TimelineKind,
  inst: { id: string; orgId: string },
  at: Date,
  openedById: string,
): Promise<string> {
  switch (kind) {
    case "operation":
      return (
        await db().operation.create({
          data: { instanceId: inst.id, kind: "provision", status: "succeeded", createdAt: at },
        })
      ).id;
    case "backup":
      return (
        await db().backup.create({
          data: {
            instanceId: inst.id,
            orgId: inst.orgId,
            kind: "scheduled",
            status: "completed",
            verification: "verified",
            sizeBytes: 5n * 1_048_576n,
            createdAt: at,
          },
        })
      ).id;
    case "alert":
      return (
        await db().alert.create({
          data: {
            ruleId,
            instanceId: inst.id,
            orgId: inst.orgId,
            state: "firing",
            severity: "warning",
            value: 83.5,
            threshold: 70,
            pendingSince: at,
            firedAt: at,
            lastEvaluatedAt: at,
            createdAt: at,
          },
        })
      ).id;
    case "audit":
      return (
        await db().auditEvent.create({
          data: {
            actorId: openedById,
            actorEmail: "someone@example.com",
            action: "instance.update",
            targetType: "instance",
            targetId: inst.id,
            orgId: inst.orgId,
            before: { sso: { clientSecret: SECRET } },
            after: { note: SECRET },
            createdAt: at,
          },
        })
      ).id;
    case "support_request":
      return (
        await db().supportRequest.create({
          data: {
            orgId: inst.orgId,
            instanceId: inst.id,
            openedById,
            subject: "Uploads are slow",
            severity: "P2",
            plan: "standard",
            firstResponseDueAt: new Date(at.getTime() + 3_600_000),
            resolutionDueAt: new Date(at.getTime() + 86_400_000),
            createdAt: at,
          },
        })
      ).id;
    case "channel_post":
      return (
        await db().channelPost.create({
          data: {
            instanceId: inst.id,
            orgId: inst.orgId,
            kind: "setup",
            text: "Support channel ready for this instance.",
            dedupeKey: `tl-${randomUUID()}`,
            createdAt: at,
          },
        })
      ).id;
  }
}

async function walk(
  ctx: { actor: Actor },
  q: { orgId: string; instanceId: string; kinds?: TimelineKind[] },
  limit: number,
): Promise<TimelineItem[]> {
  const all: TimelineItem[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await instanceTimeline(ctx, { ...q, cursor, limit });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    all.push(...page.items);
    if (!page.nextCursor) return all;
    expect(page.items).toHaveLength(limit);
    cursor = page.nextCursor;
  }
  throw new Error("the walk did not end");
}

async function expectAppError(call: Promise<unknown>, code: string): Promise<AppError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe("instanceTimeline", () => {
  let world: Awaited<ReturnType<typeof createOrgWithPeople>>;
  let instance: Awaited<ReturnType<typeof createInstance>>;
  const ids: Partial<Record<TimelineKind, string>> = {};
  const t0 = new Date(Date.UTC(2026, 5, 1, 12, 0, 0));

  beforeAll(async () => {
    const rule = await db().alertRule.create({
      data: {
        key: `tl_db_cpu_${randomUUID().slice(0, 8)}`,
        name: "Database CPU high (timeline test)",
        metric: "db_cpu_percent",
        comparison: "gt",
        threshold: 70,
        resolveThreshold: 60,
        forSeconds: 300,
        severity: "warning",
        runbook: "https://runbooks.example.test/db-cpu",
      },
    });
    ruleId = rule.id;
    world = await createOrgWithPeople();
    instance = await createInstance(world.org.id);
    // One of each kind, a second apart, oldest first in TIMELINE_KINDS order.
    for (const [k, kind] of TIMELINE_KINDS.entries()) {
      ids[kind] = await createEvent(kind, instance, new Date(t0.getTime() + k * 1000), world.adminUser.id);
    }
    // Not this instance's timeline: another instance's events, and an audit event about one of its backups.
    const other = await createInstance(world.org.id);
    for (const kind of TIMELINE_KINDS) await createEvent(kind, other, t0, world.adminUser.id);
    await db().auditEvent.create({
      data: {
        action: "backup.create",
        targetType: "backup",
        targetId: ids.backup!,
        orgId: world.org.id,
        createdAt: t0,
      },
    });
  });

  it("merges every kind, newest first, with readable titles and links", async () => {
    const page = await instanceTimeline(world.admin, { orgId: world.org.id, instanceId: instance.id });
    expect(page.nextCursor).toBeNull();
    expect(page.kinds).toEqual([...TIMELINE_KINDS]);
    expect(page.items.map((i) => [i.kind, i.id])).toEqual(
      [...TIMELINE_KINDS].reverse().map((k) => [k, ids[k]]),
    );
    const by = Object.fromEntries(page.items.map((i) => [i.kind, i])) as Record<TimelineKind, TimelineItem>;
    const inst = `/orgs/${world.org.id}/instances/${instance.id}`;
    expect(by.operation).toMatchObject({
      title: "Provision succeeded",
      status: "succeeded",
      link: `${inst}#operations`,
    });
    expect(by.backup).toMatchObject({
      title: "Backup completed (scheduled)",
      detail: "5.00 MB · verification verified",
      link: `${inst}#backups-title`,
    });
    expect(by.alert).toMatchObject({
      title: "Alert firing: Database CPU > 70 %",
      severity: "warning",
      status: "firing",
      link: `${inst}/health`,
    });
    expect(by.audit).toMatchObject({
      title: "Audit: instance.update",
      actorEmail: "someone@example.com",
      link: `/orgs/${world.org.id}/audit`,
    });
    expect(by.support_request.title).toMatch(/^Support request #\d+ opened \(P2\)$/);
    expect(by.support_request).toMatchObject({
      detail: "Uploads are slow",
      severity: "P2",
      link: `/orgs/${world.org.id}/support/${ids.support_request}`,
    });
    expect(by.channel_post).toMatchObject({
      title: "Channel post: Support channel ready for this instance.",
      link: inst,
    });
    expect(by.operation.at).toEqual(t0);
  });

  it("never sends an audit event's before/after", async () => {
    const page = await instanceTimeline(world.admin, {
      orgId: world.org.id,
      instanceId: instance.id,
      kinds: ["audit"],
    });
    expect(page.items).toHaveLength(1);
    expect(Object.keys(page.items[0]!)).not.toContain("before");
    expect(Object.keys(page.items[0]!)).not.toContain("after");
    expect(JSON.stringify(page)).not.toContain(SECRET);
  });

  it("filters by kind; audit events only for those who may read the org's audit log", async () => {
    const two = await instanceTimeline(world.member, {
      orgId: world.org.id,
      instanceId: instance.id,
      kinds: ["alert", "backup"],
    });
    expect(two.items.map((i) => [i.kind, i.id])).toEqual([
      ["alert", ids.alert],
      ["backup", ids.backup],
    ]);
    const member = await instanceTimeline(world.member, { orgId: world.org.id, instanceId: instance.id });
    expect(member.kinds).not.toContain("audit");
    expect(member.items.map((i) => i.kind)).toEqual(
      [...TIMELINE_KINDS].reverse().filter((k) => k !== "audit"),
    );
    const auditOnly = await instanceTimeline(world.member, {
      orgId: world.org.id,
      instanceId: instance.id,
      kinds: ["audit"],
    });
    expect(auditOnly).toEqual({ items: [], nextCursor: null, kinds: [] });
    await expectAppError(
      instanceTimeline(world.admin, { orgId: world.org.id, instanceId: instance.id, kinds: [] }),
      "BAD_REQUEST",
    );
  });

  it("paginates events at equal times across tables with no duplicates and no gaps", async () => {
    const inst = await createInstance(world.org.id);
    // Three instants; at each, several rows of every kind: ties within and across tables.
    const created: string[] = [];
    for (const s of [0, 1, 2]) {
      const at = new Date(t0.getTime() + 60_000 + s * 1000);
      for (const kind of TIMELINE_KINDS) {
        for (let n = 0; n < 3; n++) created.push(await createEvent(kind, inst, at, world.adminUser.id));
      }
    }
    const q = { orgId: world.org.id, instanceId: inst.id };
    const whole = (await instanceTimeline(world.admin, { ...q, limit: 200 })).items;
    expect(whole.map((i) => i.id).sort()).toEqual([...created].sort());
    for (const limit of [1, 2, 5, 7, 18, 53]) {
      const walked = await walk(world.admin, q, limit);
      expect(
        walked.map((i) => i.id),
        `limit ${limit}`,
      ).toEqual(whole.map((i) => i.id));
    }
    // Newest first throughout.
    for (let k = 1; k < whole.length; k++) {
      expect(whole[k - 1]!.at.getTime()).toBeGreaterThanOrEqual(whole[k]!.at.getTime());
    }
    const filtered = await walk(world.admin, { ...q, kinds: ["backup", "channel_post"] }, 4);
    expect(filtered.map((i) => i.id)).toEqual(
      whole.filter((i) => i.kind === "backup" || i.kind === "channel_post").map((i) => i.id),
    );
  });

  it("answers a bad cursor with BAD_REQUEST naming `cursor`", async () => {
    for (const cursor of ["!!!", btoa("not-a-position"), btoa("yesterday|abc")]) {
      const err = await expectAppError(
        instanceTimeline(world.admin, { orgId: world.org.id, instanceId: instance.id, cursor }),
        "BAD_REQUEST",
      );
      expect(err.field).toBe("cursor");
      expect(err.message).toContain("cursor");
    }
    await expectAppError(
      instanceTimeline(world.admin, { orgId: world.org.id, instanceId: instance.id, limit: 201 }),
      "BAD_REQUEST",
    );
  });

  it("answers NOT_FOUND for another org's instance, and for an org the caller has no tie to", async () => {
    const other = await createOrgWithPeople();
    const foreign = await createInstance(other.org.id);
    await createEvent("operation", foreign, t0, other.adminUser.id);
    await expectAppError(
      instanceTimeline(world.admin, { orgId: world.org.id, instanceId: foreign.id }),
      "NOT_FOUND",
    );
    await expectAppError(
      instanceTimeline(world.admin, { orgId: other.org.id, instanceId: foreign.id }),
      "NOT_FOUND",
    );
    const staff: { actor: Actor } = {
      actor: {
        userId: "support-x",
        email: "support@provider.example",
        staffRole: "support",
        memberships: [],
      },
    };
    const seen = await instanceTimeline(staff, { orgId: other.org.id, instanceId: foreign.id });
    expect(seen.items.map((i) => i.kind)).toEqual(["operation"]);
  });
});
