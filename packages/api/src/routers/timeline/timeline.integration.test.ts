// The timeline through the API: a page with its cursor, input errors that name their field, org scoping.
import { beforeAll, describe, expect, it } from "vitest";
import {
  callerFor,
  createBackup,
  createInstance,
  createWorld,
  settle,
  type Caller,
  type World,
} from "../../testing/fixtures";

describe("timeline.list", () => {
  let world: World;
  let instanceId: string;
  let adminA: Caller;

  beforeAll(async () => {
    world = await createWorld();
    instanceId = (await createInstance({ orgId: world.orgA.id })).id;
    for (let n = 0; n < 3; n++) await createBackup({ orgId: world.orgA.id, instanceId });
    adminA = await callerFor(world.users.adminA);
  });

  it("pages through the instance's events with the cursor", async () => {
    const input = { orgId: world.orgA.id, instanceId, kinds: ["backup" as const], limit: 2 };
    const first = await adminA.timeline.list(input);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await adminA.timeline.list({ ...input, cursor: first.nextCursor });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((i) => i.id)).size).toBe(3);
  });

  it("names the field of a bad input", async () => {
    const kind = await settle(
      adminA.timeline.list({ orgId: world.orgA.id, instanceId, kinds: ["nope" as "backup"] }),
    );
    expect(kind.outcome).toBe("BAD_REQUEST");
    expect(kind.error?.message).toContain("must be one of operation, backup");
    const limit = await settle(adminA.timeline.list({ orgId: world.orgA.id, instanceId, limit: 500 }));
    expect(limit.outcome).toBe("BAD_REQUEST");
    expect(limit.error?.message).toContain("must be at most 200");
    const cursor = await settle(adminA.timeline.list({ orgId: world.orgA.id, instanceId, cursor: "%%%" }));
    expect(cursor.outcome).toBe("BAD_REQUEST");
    expect(cursor.error?.message).toMatch(/^cursor: /);
  });

  it("answers NOT_FOUND for another org's instance", async () => {
    const foreign = (await createInstance({ orgId: world.orgB.id })).id;
    const r = await settle(adminA.timeline.list({ orgId: world.orgA.id, instanceId: foreign }));
    expect(r.outcome).toBe("NOT_FOUND");
  });
});
