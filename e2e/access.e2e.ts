import { expect, test } from "@playwright/test";
import { orgId, query, signInWithPassword } from "./helpers";

test("a customer sees only their own org; another org's page is not found", async ({ page }) => {
  await signInWithPassword(page, "admin@acme.example");
  const options = page.getByLabel("Organization").locator("option");
  await expect(options).toHaveText(["Choose…", "Acme Robotics"]);
  const response = await page.goto(`/orgs/${await orgId("globex")}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  // The API answers NOT_FOUND too, never the other org's data.
  const api = await page.request.get(
    `/api/trpc/instances.list?input=${encodeURIComponent(JSON.stringify({ json: { orgId: await orgId("globex") } }))}`,
  );
  expect(api.status()).toBe(404);
  // And staff pages are closed to customers.
  await page.goto("/fleet");
  await expect(page).toHaveURL(new RegExp(`/orgs/${await orgId("acme")}$`));
});

test("a staff user sees the fleet across orgs, searches, filters and pages", async ({ page }) => {
  await signInWithPassword(page, "sre@provider.example");
  await expect(page).toHaveURL(/\/fleet$/);
  await expect(page.getByRole("status").filter({ hasText: "match" })).toHaveText("28 instances match");
  const rows = page
    .getByRole("table", { name: "Dedicated instances across all organizations" })
    .locator("tbody tr");
  await expect(rows).toHaveCount(25);
  await expect(rows.first()).toContainText("Initech AI");
  await page.getByRole("button", { name: "Next page" }).click();
  await expect(rows).toHaveCount(3);
  await page.getByLabel("Search", { exact: true }).fill("europe-west4");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const [{ n }] = (await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Instance" WHERE region = 'europe-west4'`,
  )) as [{ n: number }];
  expect(n).toBeGreaterThan(0);
  await expect(page.getByRole("status").filter({ hasText: "match" })).toHaveText(
    `${n} instance${n === 1 ? "" : "s"} match`,
  );
  await expect(rows).toHaveCount(n);
  for (const text of await rows.allInnerTexts()) expect(text).toContain("europe-west4");
  await page.getByLabel("Search", { exact: true }).fill("");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByLabel("Status").selectOption("failed");
  const [{ failed }] = (await query<{ failed: number }>(
    `SELECT count(*)::int AS failed FROM "Instance" WHERE status = 'failed'`,
  )) as [{ failed: number }];
  await expect(page.getByRole("status").filter({ hasText: "match" })).toHaveText(
    `${failed} instance${failed === 1 ? "" : "s"} match`,
  );
  for (const text of await rows.allInnerTexts()) expect(text).toContain("Failed");
  await page.getByLabel("Status").selectOption("");
  await page
    .getByRole("search", { name: "Search the fleet" })
    .getByLabel("Organization")
    .selectOption({ label: "Globex Research" });
  const [{ g }] = (await query<{ g: number }>(
    `SELECT count(*)::int AS g FROM "Instance" i JOIN "Organization" o ON o.id = i."orgId" WHERE o.slug = 'globex' AND i.status <> 'deleted'`,
  )) as [{ g: number }];
  await expect(page.getByRole("status").filter({ hasText: "match" })).toHaveText(`${g} instances match`);
  for (const text of await rows.allInnerTexts()) expect(text).toContain("Globex Research");
});

test("a customer member cannot invite: no form, and the API refuses", async ({ page }) => {
  await signInWithPassword(page, "member@globex.example");
  const globex = await orgId("globex");
  await page.goto(`/orgs/${globex}/members`);
  await expect(
    page.getByRole("table", { name: "People who can sign in to this organization" }),
  ).toBeVisible();
  await expect(page.getByRole("form", { name: "Invite a member" })).toHaveCount(0);
  const res = await page.request.post("/api/trpc/invitations.create", {
    data: { json: { orgId: globex, email: "sneaky@example.com", role: "admin" } },
  });
  expect(res.status()).toBe(403);
  const body = (await res.json()) as { error: { json: { data: { code: string } } } };
  expect(body.error.json.data.code).toBe("FORBIDDEN");
});
