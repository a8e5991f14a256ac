import { expect, test } from "@playwright/test";
import { alertOn, DEMO_PASSWORD, orgId, query, signInThroughOidc, signInWithPassword } from "./helpers";

test("a customer admin signs in with a local account and lands on their org", async ({ page }) => {
  await signInWithPassword(page, "admin@acme.example");
  await expect(page).toHaveURL(new RegExp(`/orgs/${await orgId("acme")}$`));
  await expect(page.getByRole("heading", { name: "Acme Robotics: instances" })).toBeVisible();
  // Acme has no instances yet: the empty state explains what an instance is and how to get one.
  await expect(
    page.getByRole("status").getByRole("heading", { name: "No dedicated instances yet" }),
  ).toBeVisible();
});

test("a wrong password and an unknown account get the same message", async ({ page }) => {
  for (const email of ["admin@acme.example", "nobody@nowhere.example"]) {
    await page.goto("/signin");
    await page.getByLabel("E-mail", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not-the-password-at-all");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(alertOn(page)).toHaveText("The e-mail or password is incorrect.");
  }
});

test("sign-in through the OIDC provider links a verified e-mail to the existing account", async ({
  page,
}) => {
  await signInThroughOidc(page, "globex-admin");
  await expect(page.getByTestId("signed-in-as")).toHaveText("admin@globex.example");
  await expect(page).toHaveURL(new RegExp(`/orgs/${await orgId("globex")}$`));
  const [user] = await query<{ oidcSubject: string }>(
    `SELECT "oidcSubject" FROM "User" WHERE email = 'admin@globex.example'`,
  );
  expect(user?.oidcSubject).toBe("globex-admin");
});

test("someone new from the OIDC provider is told they need an invitation", async ({ page }) => {
  await signInThroughOidc(page, "newcomer");
  await expect(page.getByRole("heading", { name: "You need an invitation" })).toBeVisible();
  await expect(page.getByText("newcomer@example.com")).toBeVisible();
});

test("an identity without a verified e-mail is refused with a clear message", async ({ page }) => {
  await signInThroughOidc(page, "unverified");
  await expect(alertOn(page)).toContainText("did not send a verified e-mail address");
});

test("signed out visitors are sent to sign in", async ({ page }) => {
  await page.goto(`/orgs/${await orgId("acme")}/members`);
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole("heading", { name: "Sign in to the Control Plane" })).toBeVisible();
  expect(DEMO_PASSWORD.length).toBeGreaterThanOrEqual(12);
});
