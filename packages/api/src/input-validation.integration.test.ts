// Bad input answers BAD_REQUEST naming the field, through the real HTTP handler so that the error formatter of
// trpc.ts (which createCaller does not run) is part of what is tested.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "./root";
import { createTRPCRouter, createTrpcContext, publicProcedure } from "./trpc";
import {
  callerFor,
  createBackup,
  createInstance,
  createWorld,
  settle,
  unique,
  type World,
} from "./testing/fixtures";

interface ErrorShape {
  message: string;
  code: number;
  data: {
    code: string;
    httpStatus: number;
    path?: string;
    field?: string;
    zodIssues?: { path: string; message: string }[];
  };
}

type ProcedureDef = { _def: { type: "query" | "mutation" | "subscription"; inputs: unknown[] } };
const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;

/** One call over HTTP as the console's client makes it; returns the formatted error, or null on success. */
async function httpCall(
  path: string,
  input: unknown,
  userId: string | null,
  router: typeof appRouter | typeof brokenRouter = appRouter,
): Promise<{ status: number; error: ErrorShape | null }> {
  const type = (router._def.procedures as unknown as Record<string, ProcedureDef>)[path]?._def.type;
  if (!type) throw new Error(`no procedure ${path}`);
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = new URL(`http://localhost/api/trpc/${path}`);
  if (type === "query") url.searchParams.set("input", encoded);
  const req = new Request(
    url,
    type === "query"
      ? { method: "GET" }
      : { method: "POST", body: encoded, headers: { "content-type": "application/json" } },
  );
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router,
    createContext: () => createTrpcContext({ userId, ip: "198.51.100.7", userAgent: "vitest-http" }),
  });
  const body = (await res.json()) as { error?: Parameters<typeof superjson.deserialize>[0] };
  return { status: res.status, error: body.error ? superjson.deserialize<ErrorShape>(body.error) : null };
}

/** Procedures that fail on the server's side with a zod error: it must not be shown as the caller's bad input. */
const brokenRouter = createTRPCRouter({
  badOutput: publicProcedure
    .output(z.object({ secretColumn: z.number() }))
    .query(() => ({ secretColumn: "oops" }) as never),
  innerZod: publicProcedure.query(() => z.object({ internalField: z.string() }).parse({})),
});

describe("bad input", () => {
  let world: World;
  beforeAll(async () => {
    world = await createWorld();
  });

  it("invitations.create with an invalid e-mail names `email`", async () => {
    const { status, error } = await httpCall(
      "invitations.create",
      { orgId: world.orgA.id, email: "not-an-email", role: "member" },
      world.users.adminA.id,
    );
    expect(status).toBe(400);
    expect(error?.data.code).toBe("BAD_REQUEST");
    expect(error?.data.field).toBe("email");
    expect(error?.message).toBe("email: must be an e-mail address like name@example.com");
    expect(error?.data.zodIssues).toEqual([
      { path: "email", message: "must be an e-mail address like name@example.com" },
    ]);
  });

  it("orgs.create with a bad slug names `slug` and says how to fix it", async () => {
    const base = { name: "Acme Corp", plan: "dedicated", firstAdminEmail: `${unique("acme")}@example.com` };
    const bad = await httpCall("orgs.create", { ...base, slug: "Acme Corp!" }, world.users.staffAdmin.id);
    expect(bad.error?.data.code).toBe("BAD_REQUEST");
    expect(bad.error?.data.field).toBe("slug");
    expect(bad.error?.message).toBe("slug: may contain only lower-case letters, digits and inner hyphens");

    const short = await httpCall("orgs.create", { ...base, slug: "ab" }, world.users.staffAdmin.id);
    expect(short.error?.data.field).toBe("slug");
    expect(short.error?.message).toBe("slug: must be at least 3 characters");
  });

  it("a taken slug is CONFLICT naming `slug` (a domain error with a field, not a zod one)", async () => {
    const slug = unique("dup");
    const input = { name: "Dup Org", slug, plan: "saas", firstAdminEmail: `${unique("dup")}@example.com` };
    expect((await httpCall("orgs.create", input, world.users.staffAdmin.id)).error).toBeNull();
    const again = await httpCall(
      "orgs.create",
      { ...input, firstAdminEmail: `${unique("dup2")}@example.com` },
      world.users.staffAdmin.id,
    );
    expect(again.status).toBe(409);
    expect(again.error?.data.code).toBe("CONFLICT");
    expect(again.error?.data.field).toBe("slug");
    expect(again.error?.message).toContain(slug);
  });

  it("names nested and refined fields: members.changeRole `role`, fleet.list `limit`, audit.list `to`", async () => {
    const role = await httpCall(
      "members.changeRole",
      { orgId: world.orgA.id, membershipId: "x", role: "owner" },
      world.users.adminA.id,
    );
    expect(role.error?.data.field).toBe("role");
    const limit = await httpCall("fleet.list", { limit: 1000 }, world.users.sre.id);
    expect(limit.error?.data.field).toBe("limit");
    expect(limit.error?.message).toBe("limit: must be at most 100");
    const range = await httpCall(
      "audit.list",
      { orgId: world.orgA.id, from: new Date("2030-01-02"), to: new Date("2030-01-01") },
      world.users.adminA.id,
    );
    expect(range.error?.data.code).toBe("BAD_REQUEST");
    expect(range.error?.data.field).toBe("to");
    expect(range.error?.message).toBe("to: must not be before from");
  });

  it("backups: a malformed policy names each field; limits broken and a wrong confirmation name say the fix", async () => {
    const i = await createInstance({ orgId: world.orgA.id, url: "https://v.example.test" });
    const bad = await httpCall(
      "backups.updatePolicy",
      {
        orgId: world.orgA.id,
        instanceId: i.id,
        policy: { startTime: "25:00", intervalHours: 8, retentionDays: 14 },
      },
      world.users.adminA.id,
    );
    expect(bad.status).toBe(400);
    expect(bad.error?.data.zodIssues).toEqual([
      { path: "policy.startTime", message: 'must be a time of day in UTC as "HH:MM", e.g. 03:00' },
      { path: "policy.intervalHours", message: "must be 6, 12 or 24 (hours between backups)" },
    ]);
    const limits = await httpCall(
      "backups.updatePolicy",
      {
        orgId: world.orgA.id,
        instanceId: i.id,
        policy: { startTime: "02:00", intervalHours: 24, retentionDays: 90 },
      },
      world.users.adminA.id,
    );
    expect(limits.error?.data.field).toBe("policy.retentionDays");
    expect(limits.error?.message).toMatch(
      /^retentionDays: must be between \d+ and \d+ days for this organization$/,
    );
    const b = await createBackup({ orgId: world.orgA.id, instanceId: i.id });
    const restore = await httpCall(
      "backups.restore",
      { orgId: world.orgA.id, backupId: b.id, confirmName: "nope" },
      world.users.adminA.id,
    );
    expect(restore.error?.data.field).toBe("confirmName");
    expect(restore.error?.message).toBe(
      `confirmName: type the instance's name, ${i.name}, to confirm the restore.`,
    );
  });

  it("a missing orgId names `orgId`; without a session the answer is UNAUTHORIZED whatever the input", async () => {
    const missing = await httpCall("members.list", {}, world.users.adminA.id);
    expect(missing.error?.data.code).toBe("BAD_REQUEST");
    expect(missing.error?.data.field).toBe("orgId");
    const anon = await httpCall("invitations.create", { orgId: world.orgA.id, email: "nope" }, null);
    expect(anon.status).toBe(401);
    expect(anon.error?.data.code).toBe("UNAUTHORIZED");
  });

  it("every procedure that takes input rejects a non-object with BAD_REQUEST", async () => {
    const withInput = Object.entries(procedures).filter(([, p]) => p._def.inputs.length > 0);
    expect(withInput.length).toBeGreaterThan(10);
    const api = await callerFor(world.users.staffAdmin);
    for (const [path] of withInput) {
      const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api);
      const result = await settle((fn as (input: unknown) => Promise<unknown>)(42));
      expect(result.outcome, path).toBe("BAD_REQUEST");
    }
  });

  it("a zod failure on the server's side is an internal error with a reference, not a field to fix", async () => {
    for (const path of ["badOutput", "innerZod"]) {
      const { status, error } = await httpCall(path, undefined, null, brokenRouter);
      expect(status, path).toBe(500);
      expect(error?.data.code).toBe("INTERNAL_SERVER_ERROR");
      expect(error?.message).toMatch(/^Something went wrong on our side\. Reference: [0-9a-f-]{36}$/);
      expect(error?.data.field).toBeUndefined();
      expect(error?.data.zodIssues).toBeUndefined();
      expect(JSON.stringify(error)).not.toMatch(/secretColumn|internalField/);
    }
  });
});
