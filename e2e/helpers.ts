import { expect, test, type Browser, type Page } from "@playwright/test";
import pg from "pg";
import { consoleUrl, databaseUrl, localCloudUrl } from "./env";

export const DEMO_PASSWORD = "demo-password-123";

/** Reads the e2e database directly, to find ids and check what the product wrote. */
export async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function orgId(slug: string): Promise<string> {
  const [row] = await query<{ id: string }>(`SELECT id FROM "Organization" WHERE slug = $1`, [slug]);
  if (!row) throw new Error(`no org ${slug}`);
  return row.id;
}

export async function signInWithPassword(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("E-mail", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(email);
}

/** The product's own alert (Next's route announcer also has role=alert). */
export function alertOn(page: Page) {
  return page.locator('p[role="alert"]');
}

/** Through the test OIDC provider's own login and consent pages, as `login` (see OIDC_ACCOUNTS). */
export async function signInThroughOidc(page: Page, login: string) {
  await page.goto("/signin");
  await page.getByRole("button", { name: "Sign in with Test IdP" }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: /continue/i }).click();
}

/** Orders a minimal local-cloud instance through the wizard and waits on its page until it runs. */
export async function orderLocalInstance(page: Page, name: string, subdomain: string) {
  await page.getByRole("link", { name: "Order a dedicated instance" }).click();
  await page.getByRole("radio", { name: /Local cloud/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Minimum/ }).check();
  await page.getByRole("radio", { name: "MySQL 8.0" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Provider-hosted bucket/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Provider-managed/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Instance name").fill(name);
  await page.getByLabel("Subdomain").fill(subdomain);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByTestId("instance-url")).toBeVisible({ timeout: 120_000 });
  return (await page.getByTestId("instance-url").textContent())!;
}

/**
 * Tenants a spec starts on the shared local cloud and has not yet deprovisioned through the console: call once at the
 * top of a spec file; after each test whatever is left is removed from the local cloud, so a test that failed midway
 * leaves no tenant process and database behind.
 */
export function localTenantCleanup(): Set<string> {
  const started = new Set<string>();
  test.afterEach(async ({ request }) => {
    for (const slug of started) await request.delete(`${localCloudUrl}/v1/instances/${slug}`);
    started.clear();
  });
  return started;
}

/** Deprovisions the instance whose page is open, typing its name, and waits until the control plane took it. */
export async function deprovisionOnInstancePage(page: Page, name: string) {
  const dep = page.getByRole("form", { name: "Deprovision the instance" });
  await dep.getByLabel(`Type ${name} to confirm`).fill(name);
  await dep.getByRole("button", { name: "Deprovision" }).click();
  await expect(page.getByTestId("status-reason")).toContainText(/data kept until|All resources removed/, {
    timeout: 60_000,
  });
}

/** A signed-in page in its own browser context, so two people can be compared side by side. */
export async function signedIn(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: consoleUrl });
  const page = await context.newPage();
  await signInWithPassword(page, email);
  return page;
}
