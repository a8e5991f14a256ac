// The staff fleet list: search, filters, the filtered total and keyset pagination, over instances inserted directly.
import { beforeAll, describe, expect, it } from "vitest";
import {
  callerFor,
  createInstance,
  createOrg,
  createUser,
  settle,
  unique,
  type Caller,
  type TestOrg,
} from "../../testing/fixtures";

const BASE = Date.parse("2021-06-01T00:00:00.000Z");

describe("fleet.list", () => {
  let tag: string;
  let acme: TestOrg;
  let globex: TestOrg;
  let api: Caller;
  /** What was inserted, newest first by (createdAt, id): the order the list must use. */
  let expected: {
    id: string;
    orgId: string;
    cloud: string;
    status: string;
    region: string;
    createdAt: Date;
  }[];

  beforeAll(async () => {
    tag = unique("fleet");
    // Every org name carries the tag, so a search for it isolates this file's instances from the rest of the run.
    [acme, globex] = await Promise.all([
      createOrg({ name: `Acme ${tag}` }),
      createOrg({ name: `Globex ${tag}` }),
    ]);
    const specs = [
      ...Array.from({ length: 8 }, (_, i) => ({
        org: acme,
        cloud: "aws" as const,
        status: "running" as const,
        region: "eu-west-1",
        minute: i,
      })),
      ...Array.from({ length: 4 }, () => ({
        org: globex,
        cloud: "gcp" as const,
        status: "running" as const,
        region: "us-central1",
        minute: 3,
      })),
      { org: globex, cloud: "gcp" as const, status: "failed" as const, region: "europe-west4", minute: 20 },
      { org: acme, cloud: "aws" as const, status: "provisioning" as const, region: "ap-south-1", minute: 21 },
      { org: acme, cloud: "aws" as const, status: "deleted" as const, region: "eu-west-1", minute: 22 },
    ];
    const made = [];
    for (const s of specs) {
      const inst = await createInstance({
        orgId: s.org.id,
        cloud: s.cloud,
        status: s.status,
        region: s.region,
        createdAt: new Date(BASE + s.minute * 60_000),
      });
      made.push({
        id: inst.id,
        orgId: s.org.id,
        cloud: s.cloud,
        status: s.status,
        region: s.region,
        createdAt: inst.createdAt,
      });
    }
    expected = made.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    api = await callerFor(await createUser({ staffRole: "support" }));
  });

  const visible = () => expected.filter((i) => i.status !== "deleted");

  it("searches by org name and hides deleted instances unless asked; the total counts every match", async () => {
    const page = await api.fleet.list({ q: tag.toUpperCase(), limit: 100 });
    expect(page.total).toBe(14);
    expect(page.items.map((i) => i.id)).toEqual(visible().map((i) => i.id));
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]).toMatchObject({
      orgName: expect.stringContaining(tag),
      orgSlug: expect.any(String),
    });

    const deleted = await api.fleet.list({ q: tag, status: "deleted" });
    expect(deleted.total).toBe(1);
    expect(deleted.items.map((i) => i.status)).toEqual(["deleted"]);
  });

  it("filters by status, cloud, org and region text", async () => {
    const failed = await api.fleet.list({ q: tag, status: "failed" });
    expect(failed.items.map((i) => [i.status, i.orgId])).toEqual([["failed", globex.id]]);
    expect(failed.total).toBe(1);

    const gcp = await api.fleet.list({ q: tag, cloud: "gcp", limit: 100 });
    expect(gcp.total).toBe(5);
    expect(gcp.items.every((i) => i.cloud === "gcp" && i.orgId === globex.id)).toBe(true);

    const acmeRunningAws = await api.fleet.list({
      orgId: acme.id,
      status: "running",
      cloud: "aws",
      limit: 100,
    });
    expect(acmeRunningAws.total).toBe(8);

    const byRegion = await api.fleet.list({ q: "AP-SOUTH", orgId: acme.id });
    expect(byRegion.items.map((i) => i.region)).toEqual(["ap-south-1"]);

    const none = await api.fleet.list({ q: `${tag}-nothing-matches` });
    expect(none).toEqual({ items: [], total: 0, nextCursor: null });
  });

  it("pages with a cursor: every instance exactly once, in order, with the same total on every page", async () => {
    const seen: string[] = [];
    const totals = new Set<number>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { id: string }[]; total: number; nextCursor: string | null } =
        await api.fleet.list({ q: tag, limit: 4, cursor });
      seen.push(...page.items.map((i) => i.id));
      totals.add(page.total);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(totals).toEqual(new Set([14]));
    expect(seen).toEqual(visible().map((i) => i.id));
  });

  it("a cursor that is not one is BAD_REQUEST; customers may not list the fleet", async () => {
    const bad = await settle(api.fleet.list({ q: tag, cursor: "%%%" }));
    expect(bad.outcome).toBe("BAD_REQUEST");
    expect(bad.error?.message).toMatch(/^cursor: /);
    const customer = await createUser();
    expect((await settle((await callerFor(customer)).fleet.list({}))).outcome).toBe("FORBIDDEN");
  });
});
