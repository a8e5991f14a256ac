import { expect, test } from "@playwright/test";
import { alertOn, orgId, query, signInWithPassword } from "./helpers";

test("an admin invites someone, the audit log shows it, and the invitee joins through the e-mailed link", async ({
  page,
  browser,
}) => {
  const acme = await orgId("acme");
  const invitee = `new.engineer.${Date.now()}@acme.example`;
  await signInWithPassword(page, "admin@acme.example");
  await page.goto(`/orgs/${acme}/members`);
  const form = page.getByRole("form", { name: "Invite a member" });
  await form.getByLabel("E-mail address").fill("not-an-email");
  await form.getByLabel("E-mail address").evaluate((el: HTMLInputElement) => (el.type = "text"));
  await form.getByRole("button", { name: "Send invitation" }).click();
  await expect(alertOn(page)).toContainText("email: must be an e-mail address");

  await form.getByLabel("E-mail address").fill(invitee);
  await form.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveText(
    `Invitation sent to ${invitee}.`,
  );
  await expect(page.getByRole("table", { name: "Invitations sent for this organization" })).toContainText(
    invitee,
  );

  await page.getByRole("link", { name: "Audit log" }).click();
  const audit = page.getByRole("table", { name: "Audit events, newest first" });
  await expect(audit.locator("tbody tr").first()).toContainText("invitation.create");
  await expect(audit.locator("tbody tr").first()).toContainText(invitee);
  await expect(audit.locator("tbody tr").first()).toContainText("admin@acme.example");

  // The e-mail went through the outbox; its link is the only place the token exists.
  const [mail] = await query<{ bodyText: string }>(
    `SELECT "bodyText" FROM "OutboxMessage" WHERE "toAddress" = $1`,
    [invitee],
  );
  const link = /(http\S+\/invite\/\S+)/.exec(mail?.bodyText ?? "")?.[1];
  expect(link).toBeTruthy();

  const context = await browser.newContext();
  const guest = await context.newPage();
  await guest.goto(link!);
  await expect(guest.getByRole("heading", { name: "Join Acme Robotics" })).toBeVisible();
  await guest.getByLabel("Your name").fill("New Engineer");
  await guest.getByLabel(/Choose a password/).fill("a-long-enough-password");
  await guest.getByRole("button", { name: "Create account and join" }).click();
  await expect(guest.getByTestId("signed-in-as")).toHaveText(invitee);
  await expect(guest).toHaveURL(new RegExp(`/orgs/${acme}$`));
  // The link works once.
  await guest.goto(link!);
  await expect(alertOn(guest)).toContainText("already been used");
  await context.close();
});

test("the shared-responsibility matrix lists the three deployment types", async ({ page }) => {
  await signInWithPassword(page, "admin@acme.example");
  await page.getByRole("link", { name: "Shared responsibility" }).click();
  const table = page.getByRole("table", { name: "Shared-responsibility matrix by deployment type" });
  await expect(table.getByRole("columnheader")).toHaveText([
    "Area",
    "SaaS (multi-tenant)",
    "Dedicated",
    "Customer-managed",
  ]);
  await expect(table.getByRole("row", { name: /Database \(MySQL\)/ })).toContainText(
    "Dedicated MySQL 5.7 or 8",
  );
});
