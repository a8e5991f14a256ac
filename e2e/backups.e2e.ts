import { LOCAL_CLOUD_DEFAULTS } from "@cp/config/local-cloud";
import { expect, test } from "@playwright/test";
import { createConnection } from "mysql2/promise";
import { localCloudUrl } from "./env";
import {
  deprovisionOnInstancePage,
  localTenantCleanup,
  orderLocalInstance,
  orgId,
  query,
  signedIn,
  signInWithPassword,
} from "./helpers";

// Backups on the local cloud are real: a dump of the tenant's MariaDB database in the local S3 server, verified by
// restoring it into a scratch database. Each test makes what it needs; none relies on another file's state.

/** Rows of the tenant's `runs` table with this name, read straight from the local cloud's MariaDB. */
async function runsNamed(databaseName: string, name: string): Promise<number> {
  const conn = await createConnection({
    host: LOCAL_CLOUD_DEFAULTS.mysqlHost,
    port: LOCAL_CLOUD_DEFAULTS.mysqlPort,
    user: LOCAL_CLOUD_DEFAULTS.mysqlUser,
    password: LOCAL_CLOUD_DEFAULTS.mysqlPassword,
    database: databaseName,
  });
  try {
    const [rows] = await conn.query("SELECT COUNT(*) AS n FROM runs WHERE name = ?", [name]);
    return Number((rows as { n: number | string }[])[0]?.n ?? 0);
  } finally {
    await conn.end();
  }
}

const started = localTenantCleanup();

test("an org admin backs up a running instance, sees it verified, and restores it after typing its name", async ({
  page,
  request,
}) => {
  test.setTimeout(420_000);
  const acme = await orgId("acme");
  const suffix = Date.now().toString(36);
  const name = `Acme Backups ${suffix}`;
  const sub = `acme-bk-${suffix}`;
  await signInWithPassword(page, "admin@acme.example");
  started.add(sub);
  const url = await orderLocalInstance(page, name, sub);
  await expect(page).toHaveURL(new RegExp(`/orgs/${acme}/instances/`));
  const described = (await (await request.get(`${localCloudUrl}/v1/instances/${sub}`)).json()) as {
    databaseName: string;
  };
  // A row written before the backup, through the tenant's own API.
  const write = (run: string) =>
    request.post(`${url}/api/graphql`, {
      headers: { "x-api-key": "e2e-backups" },
      data: { query: `mutation { createRun }`, operationName: run },
    });
  expect((await write("before-backup")).status()).toBe(200);

  const panel = page.getByRole("region", { name: "Backups" });
  await expect(panel.getByRole("table", { name: "Backup policy" })).toContainText(/UTC.*your time/);
  const backups = panel.getByRole("table", { name: /Backups of/ });
  await expect(backups).toContainText("No backups yet.");

  // Back up now: the list follows the backup live (no reload) until it is completed and verified.
  await panel.getByRole("button", { name: "Back up now" }).click();
  await expect(panel.getByRole("status").filter({ hasText: "Backup queued" })).toBeVisible();
  const manual = backups.getByRole("row").filter({ hasText: "Manual" });
  await expect(manual).toHaveCount(1);
  await expect(manual).toContainText("Completed", { timeout: 90_000 });
  await expect(manual).toContainText("Verified", { timeout: 90_000 });
  await expect(manual).toContainText(/\d+ tables.* checked/);
  await expect(manual).toContainText(/\d+(\.\d+)? MB/);
  const [stored] = await query<{ status: string; verification: string; tableCount: number }>(
    `SELECT b.status, b.verification, b."tableCount" FROM "Backup" b JOIN "Instance" i ON i.id = b."instanceId"
      WHERE i.slug = $1 AND b.kind = 'manual'`,
    [sub],
  );
  expect(stored).toMatchObject({ status: "completed", verification: "verified" });
  expect(stored!.tableCount).toBeGreaterThan(0);

  // A row written after the backup: the restore must take it away again.
  expect((await write("after-backup")).status()).toBe(200);
  expect(await runsNamed(described.databaseName, "after-backup")).toBe(1);

  // Restore: the dialog explains the automatic backup and refuses until the instance's name is typed.
  await manual.getByRole("button", { name: "Restore…" }).click();
  const dialog = page.getByRole("dialog", { name: `Restore ${name} from a backup` });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("an automatic backup of the database as it is now is taken");
  const confirm = dialog.getByRole("button", { name: "Restore", exact: true });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${name} to confirm`).fill(name.toUpperCase());
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(dialog).toBeHidden();
  await expect(panel.getByRole("status").filter({ hasText: "Restore queued" })).toBeVisible();

  // The backup taken first shows up, the restore succeeds and the instance runs again without the later row.
  const before = backups.getByRole("row").filter({ hasText: "Before restore" });
  await expect(before).toHaveCount(1);
  await expect(before).toContainText("Completed", { timeout: 90_000 });
  const restoreOp = page
    .getByRole("table", { name: /History of operations/ })
    .getByRole("row")
    .filter({ hasText: /^restore/ });
  await expect(restoreOp).toContainText("succeeded", { timeout: 120_000 });
  await expect
    .poll(
      async () =>
        (await query<{ status: string }>(`SELECT status FROM "Instance" WHERE slug = $1`, [sub]))[0]?.status,
      {
        timeout: 30_000,
      },
    )
    .toBe("running");
  await expect(page.getByTestId("instance-url")).toBeVisible();
  expect((await request.get(`${url}/healthz`)).status()).toBe(200);
  expect(await runsNamed(described.databaseName, "before-backup")).toBe(1);
  expect(await runsNamed(described.databaseName, "after-backup")).toBe(0);
  await expect(before).toContainText("Verified", { timeout: 90_000 });

  // Leave nothing running on the local cloud.
  await deprovisionOnInstancePage(page, name);
  started.delete(sub);
});

test("a member sees an instance's backups but cannot take, restore or clone them; an admin can, with the errors in the dialog", async ({
  browser,
}) => {
  const globex = await orgId("globex");
  const [instance] = await query<{ id: string; name: string }>(
    `SELECT id, name FROM "Instance" WHERE "orgId" = $1 AND slug = 'globex-prod-01'`,
    [globex],
  );
  expect(instance).toBeDefined();
  // The seeded policy and limits, whatever an earlier run of this test left.
  await query(
    `UPDATE "Instance" SET "backupStartTime" = '03:00', "backupIntervalHours" = 24, "backupRetentionDays" = 14
      WHERE id = $1`,
    [instance!.id],
  );
  await query(
    `UPDATE "Organization" SET "backupRetentionMinDays" = 7, "backupRetentionMaxDays" = 35,
       "backupMinIntervalHours" = 24 WHERE id = $1`,
    [globex],
  );
  // A verified backup of a demo record (it has no cloud resources, so nothing can really be restored into it).
  const backupId = `e2e-backup-${Date.now().toString(36)}`;
  await query(
    `INSERT INTO "Backup" (id, "instanceId", "orgId", kind, status, verification, "sizeBytes", "durationMs",
       "tableCount", "rowCount", "verifyReport", "startedAt", "completedAt", "verifiedAt", "expiresAt", "createdAt",
       "updatedAt")
     VALUES ($1, $2, $3, 'manual', 'completed', 'verified', 5242880, 4200, 3, 120,
       '{"ok": true, "problems": [], "checked": {"tables": 3, "rows": 120}}',
       now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours',
       now() + interval '11 days', now() - interval '3 hours', now())`,
    [backupId, instance!.id, globex],
  );
  const path = `/orgs/${globex}/instances/${instance!.id}`;

  const member = await signedIn(browser, "member@globex.example");
  await member.goto(path);
  const panel = member.getByRole("region", { name: "Backups" });
  const row = panel.getByTestId(`backup-${backupId}`);
  await expect(row).toContainText("Manual");
  await expect(row).toContainText("Completed");
  await expect(row).toContainText("Verified");
  await expect(row).toContainText("3 tables, 120 rows checked");
  await expect(row).toContainText("5.00 MB");
  await expect(row).toContainText("3 h ago");
  await expect(panel.getByRole("table", { name: "Backup policy" })).toContainText("Every 24 hours");
  await expect(panel.getByRole("button", { name: "Back up now" })).toHaveCount(0);
  await expect(panel.getByRole("button", { name: "Restore…" })).toHaveCount(0);
  await expect(panel.getByRole("button", { name: "Verify again" })).toHaveCount(0);
  await expect(panel.getByRole("button", { name: "Clone to new instance…" })).toHaveCount(0);
  await expect(panel.getByRole("form", { name: "Backup policy" })).toHaveCount(0);

  // The same page for the org's admin has the actions (Back up now waits for a running instance).
  const admin = await signedIn(browser, "admin@globex.example");
  await admin.goto(path);
  const adminPanel = admin.getByRole("region", { name: "Backups" });
  await expect(adminPanel.getByRole("button", { name: "Back up now" })).toBeDisabled();
  const adminRow = adminPanel.getByTestId(`backup-${backupId}`);

  // The policy form checks what the server checks, with the server's words, next to the field.
  const policy = adminPanel.getByRole("form", { name: "Backup policy" });
  const save = policy.getByRole("button", { name: "Save policy" });
  await policy.getByLabel("Every").selectOption("6");
  await expect(policy.getByLabel("Every")).toHaveAccessibleDescription(/may back up at most every 24 hours/);
  await expect(save).toBeDisabled();
  await policy.getByLabel("Every").selectOption("24");
  await policy.getByLabel("Keep for (days)").fill("90");
  await expect(policy.getByLabel("Keep for (days)")).toHaveAccessibleDescription(
    "must be between 7 and 35 days for this organization",
  );
  await policy.getByLabel("Keep for (days)").fill("10");
  await policy.getByLabel("Start time (UTC)").fill("25:00");
  await expect(policy.getByLabel("Start time (UTC)")).toHaveAccessibleDescription(/time of day in UTC/);
  await expect(save).toBeDisabled();
  await policy.getByLabel("Start time (UTC)").fill("04:30");
  await save.click();
  await expect(adminPanel.getByRole("status").filter({ hasText: "Backup policy saved" })).toBeVisible();
  await expect(adminPanel.getByTestId("backup-schedule")).toContainText("Every 24 hours at 04:30 UTC");
  await expect(adminPanel.getByRole("table", { name: "Backup policy" })).toContainText("10 days");
  const [saved] = await query<{ backupStartTime: string; backupRetentionDays: number }>(
    `SELECT "backupStartTime", "backupRetentionDays" FROM "Instance" WHERE id = $1`,
    [instance!.id],
  );
  expect(saved).toEqual({ backupStartTime: "04:30", backupRetentionDays: 10 });

  // Restore: refused until the name is typed; the server's refusal is shown in the dialog, which stays open.
  await adminRow.getByRole("button", { name: "Restore…" }).click();
  const dialog = admin.getByRole("dialog", { name: `Restore ${instance!.name} from a backup` });
  await expect(dialog).toContainText("automatic backup");
  const confirm = dialog.getByRole("button", { name: "Restore", exact: true });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${instance!.name} to confirm`).fill("globex-prod");
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${instance!.name} to confirm`).fill(instance!.name);
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(dialog.getByRole("alert")).toContainText("has not finished provisioning");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  const [{ n }] = (await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Operation" WHERE "instanceId" = $1 AND kind = 'restore'`,
    [instance!.id],
  )) as [{ n: number }];
  expect(n).toBe(0);

  // Clone: a taken subdomain comes back from the server and is shown next to the field; nothing is created.
  const [taken] = await query<{ slug: string }>(
    `SELECT slug FROM "Instance" WHERE slug <> 'globex-prod-01' ORDER BY slug LIMIT 1`,
  );
  await adminRow.getByRole("button", { name: "Clone to new instance…" }).click();
  const clone = admin.getByRole("dialog", { name: "Clone to a new instance" });
  await expect(clone.getByLabel("Instance name")).toHaveValue(`${instance!.name} copy`);
  await clone.getByLabel("Subdomain").fill("Bad Sub!");
  await expect(clone.getByLabel("Subdomain")).toHaveAccessibleDescription(/lower-case letters/);
  await expect(clone.getByRole("button", { name: "Create the clone" })).toBeDisabled();
  await clone.getByLabel("Subdomain").fill(taken!.slug);
  await clone.getByRole("button", { name: "Create the clone" }).click();
  await expect(clone.getByLabel("Subdomain")).toHaveAccessibleDescription(
    `"${taken!.slug}" is taken; choose another.`,
  );
  await clone.getByRole("button", { name: "Cancel" }).click();
  await expect(clone).toBeHidden();
  const [{ clones }] = (await query<{ clones: number }>(
    `SELECT count(*)::int AS clones FROM "Instance" WHERE "orgId" = $1 AND name = $2`,
    [globex, `${instance!.name} copy`],
  )) as [{ clones: number }];
  expect(clones).toBe(0);
  await member.context().close();
  await admin.context().close();
});

test("SREs set an org's backup limits on the staff org list, with field errors; support staff only see the list", async ({
  browser,
}) => {
  const initech = await orgId("initech");
  await query(
    `UPDATE "Organization" SET "backupRetentionMinDays" = 7, "backupRetentionMaxDays" = 35,
       "backupMinIntervalHours" = 24 WHERE id = $1`,
    [initech],
  );
  const sre = await signedIn(browser, "sre@provider.example");
  await sre.goto("/staff/orgs");
  const row = sre.getByRole("row").filter({ hasText: "Initech AI" });
  await row.getByText("Backup limits").click();
  const form = row.getByRole("form", { name: "Backup limits of Initech AI" });
  // Read from one of the org's instances.
  await expect(form.getByLabel("Minimum retention (days)")).toHaveValue("7");
  await expect(form.getByLabel("Maximum retention (days)")).toHaveValue("35");
  await expect(form.getByLabel("Most often")).toHaveValue("24");
  await form.getByLabel("Minimum retention (days)").fill("40");
  await expect(form.getByLabel("Minimum retention (days)")).toHaveAccessibleDescription(
    "must not be above the maximum retention",
  );
  await expect(form.getByRole("button", { name: "Save limits" })).toBeDisabled();
  await form.getByLabel("Minimum retention (days)").fill("3");
  await form.getByLabel("Most often").selectOption("12");
  await form.getByRole("button", { name: "Save limits" }).click();
  await expect(form.getByRole("status")).toContainText("Saved");
  await expect(row).toContainText("3–35 days, every ≥ 12 h");
  const [org] = await query<{ min: number; max: number; hours: number }>(
    `SELECT "backupRetentionMinDays" AS min, "backupRetentionMaxDays" AS max, "backupMinIntervalHours" AS hours
       FROM "Organization" WHERE id = $1`,
    [initech],
  );
  expect(org).toEqual({ min: 3, max: 35, hours: 12 });

  const support = await signedIn(browser, "support@provider.example");
  await support.goto("/staff/orgs");
  await expect(support.getByRole("row").filter({ hasText: "Initech AI" })).toBeVisible();
  await expect(support.getByRole("columnheader", { name: "Backup limits" })).toHaveCount(0);
  await sre.context().close();
  await support.context().close();
});
