// The webhooks procedures: who may manage the fleet-wide endpoints (the authorization table covers the org-scoped
// ones), and that the signing secret leaves the API only in the answers of create and rotateSecret.
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, createWorld, settle, trpcError, type World } from "../../testing/fixtures";

const URL_ = "https://93.184.216.34/hook";
let world: World;

beforeAll(async () => {
  world = await createWorld();
});

afterAll(async () => {
  // Fleet-wide endpoints would receive other tests' events.
  await db().webhookEndpoint.deleteMany({ where: { orgId: null } });
  await closeQueues();
  await closeSharedRedis();
});

const CALLERS = ["anon", "memberA", "adminA", "adminB", "support", "sre", "staffAdmin"] as const;
const userOf = (name: (typeof CALLERS)[number]) => (name === "anon" ? null : world.users[name]);

describe("fleet-wide webhook endpoints (orgId null)", () => {
  it("are managed by SREs and staff admins only", async () => {
    const expected = ["UNAUTHORIZED", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "ok", "ok"];
    const sre = await callerFor(world.users.sre);
    const outcomes: Record<string, string[]> = {};
    for (const name of CALLERS) {
      const api = await callerFor(userOf(name));
      const { endpoint } = await sre.webhooks.create({ orgId: null, url: URL_, events: [] });
      const ref = { orgId: null, webhookId: endpoint.id };
      outcomes[name] = [
        (await settle(api.webhooks.list({ orgId: null }))).outcome,
        (await settle(api.webhooks.create({ orgId: null, url: URL_, events: [] }))).outcome,
        (await settle(api.webhooks.sendTest(ref))).outcome,
        (await settle(api.webhooks.rotateSecret(ref))).outcome,
        (await settle(api.webhooks.delete(ref))).outcome,
      ];
      await db().webhookEndpoint.deleteMany({ where: { orgId: null } });
    }
    for (const [column, name] of CALLERS.entries()) {
      expect(outcomes[name], name).toEqual(Array(5).fill(expected[column]));
    }
  });

  it("are not reachable through an org's scope, and an org's endpoint is not reachable through the fleet's", async () => {
    const sre = await callerFor(world.users.sre);
    const adminA = await callerFor(world.users.adminA);
    const fleet = await sre.webhooks.create({ orgId: null, url: URL_, events: ["alert.firing"] });
    const own = await adminA.webhooks.create({ orgId: world.orgA.id, url: URL_, events: [] });

    expect((await adminA.webhooks.list({ orgId: world.orgA.id })).map((e) => e.id)).toEqual([
      own.endpoint.id,
    ]);
    expect((await sre.webhooks.list({ orgId: null })).map((e) => e.id)).toEqual([fleet.endpoint.id]);
    const viaOrg = await trpcError(
      adminA.webhooks.delete({ orgId: world.orgA.id, webhookId: fleet.endpoint.id }),
    );
    expect(viaOrg.code).toBe("NOT_FOUND");
    const viaFleet = await trpcError(sre.webhooks.rotateSecret({ orgId: null, webhookId: own.endpoint.id }));
    expect(viaFleet.code).toBe("NOT_FOUND");
    await sre.webhooks.delete({ orgId: null, webhookId: fleet.endpoint.id });
  });
});

describe("webhook secrets in the API", () => {
  it("are returned by create and rotateSecret only, and never by list", async () => {
    const api = await callerFor(world.users.adminA);
    const created = await api.webhooks.create({
      orgId: world.orgA.id,
      url: URL_,
      description: "Ops",
      events: ["alert.firing", "alert.resolved"],
    });
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.endpoint).toMatchObject({
      url: URL_,
      description: "Ops",
      events: ["alert.firing", "alert.resolved"],
    });
    const rotated = await api.webhooks.rotateSecret({ orgId: world.orgA.id, webhookId: created.endpoint.id });
    expect(rotated.secret).not.toBe(created.secret);
    const { secretCiphertext } = await db().webhookEndpoint.findUniqueOrThrow({
      where: { id: created.endpoint.id },
    });

    const listed = JSON.stringify(await api.webhooks.list({ orgId: world.orgA.id }));
    expect(listed).toContain(created.endpoint.id);
    for (const secret of [created.secret, rotated.secret, secretCiphertext])
      expect(listed).not.toContain(secret);
    const test = await api.webhooks.sendTest({ orgId: world.orgA.id, webhookId: created.endpoint.id });
    expect(JSON.stringify(test)).not.toContain(rotated.secret);
  });

  it("rejects bad input with the field to fix", async () => {
    const api = await callerFor(world.users.adminA);
    const http = await trpcError(
      api.webhooks.create({ orgId: world.orgA.id, url: "http://93.184.216.34/x", events: [] }),
    );
    expect(http.code).toBe("BAD_REQUEST");
    expect(http.message).toMatch(/^url: use https:\/\//);
    const events = await trpcError(
      api.webhooks.create({ orgId: world.orgA.id, url: URL_, events: ["alert.exploded" as "alert.firing"] }),
    );
    expect(events.code).toBe("BAD_REQUEST");
  });
});
