import { expect, test } from "@playwright/test";
import {
  deprovisionOnInstancePage,
  localTenantCleanup,
  orderLocalInstance,
  orgId,
  query,
  signedIn,
  signInWithPassword,
} from "./helpers";

// A fleet upgrade on a real local instance: a staff admin adds a release above everything in the catalog, an SRE
// creates a campaign for that one instance, sees its planned schedule, marks it urgent with a reason, starts it and
// watches the instance upgrade and the campaign complete; the instance page then shows the new version. Globex,
// because the sign-in spec expects Acme to have no instances.

const started = localTenantCleanup();

/** MAJOR.MINOR.PATCH of a version, ignoring a prerelease suffix. */
const core = (v: string) => v.split("-")[0]!.split(".").map(Number) as [number, number, number];
const compareCore = (a: string, b: string) => {
  const [x, y] = [core(a), core(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

test("an SRE previews, starts and watches an urgent campaign upgrade a local instance to a new release", async ({
  page,
  browser,
}) => {
  test.setTimeout(480_000);
  const globex = await orgId("globex");
  const suffix = Date.now().toString(36);
  const name = `Globex Upgrade ${suffix}`;
  const sub = `globex-up-${suffix}`;

  // A running local instance in Globex, ordered by its admin.
  await signInWithPassword(page, "admin@globex.example");
  started.add(sub);
  await orderLocalInstance(page, name, sub);
  const instancePath = new URL(page.url()).pathname;
  const instanceId = instancePath.split("/").at(-1)!;
  const [instance] = await query<{ version: string | null; orgId: string }>(
    `SELECT version, "orgId" FROM "Instance" WHERE id = $1`,
    [instanceId],
  );
  expect(instance?.orgId).toBe(globex);
  const from = instance!.version!;
  await expect(page.getByTestId("instance-version")).toHaveText(from);

  // A new release above everything in the catalog (and above the instance), added through the catalog page. Beta, so
  // the default version of new orders in other specs stays what it was.
  const catalog = await query<{ version: string }>(`SELECT version FROM "Release"`);
  const top = [from, ...catalog.map((r) => r.version)].sort(compareCore).at(-1)!;
  const [major, minor, patch] = core(top);
  const target = `${major}.${minor}.${patch + 1}`;

  const admin = await signedIn(browser, "staff-admin@provider.example");
  await admin.goto("/staff/releases");
  await expect(admin.getByRole("heading", { name: "Releases" })).toBeVisible();
  await admin.getByRole("button", { name: "Add release" }).click();
  const add = admin.getByRole("form", { name: "Add a release" });
  // The server names the field it refuses.
  await add.getByLabel("Version", { exact: true }).fill("not-a-version");
  await add.getByRole("button", { name: "Add release" }).click();
  await expect(add.getByLabel("Version", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await add.getByLabel("Version", { exact: true }).fill(target);
  await add.getByLabel("Channel").selectOption("beta");
  await add.getByLabel("Notes").fill(`e2e release ${suffix}`);
  await add.getByRole("button", { name: "Add release" }).click();
  const releaseRow = admin.locator(`[data-testid="release-row"][data-version="${target}"]`);
  await expect(releaseRow).toBeVisible();
  await expect(releaseRow).toContainText("beta");
  await expect(releaseRow.getByTestId("support-state")).toHaveAttribute("data-state", "supported");
  await admin.context().close();

  // The SRE creates a campaign for exactly this instance.
  const sre = await signedIn(browser, "sre@provider.example");
  await sre.goto("/fleet/campaigns");
  await sre.getByRole("link", { name: "New campaign" }).click();
  await expect(sre.getByRole("heading", { name: "New upgrade campaign" })).toBeVisible();
  const form = sre.getByRole("form", { name: "New campaign" });
  await form.getByLabel("Name", { exact: true }).fill(`e2e upgrade ${suffix}`);
  await form.getByLabel("Target version").selectOption(target);
  await form.getByLabel("Instance ids").fill(instanceId);
  await form.getByLabel("Canary instances").fill("0");
  await form.getByLabel("Waves", { exact: true }).fill("100");
  await form.getByLabel("Max concurrent upgrades").fill("1");
  await form.getByLabel("Soak (seconds)").fill("10");
  await form.getByLabel("Minimum requests during the soak").fill("5");

  // The planned schedule: one wave holding the instance, planned in its maintenance window.
  await form.getByRole("button", { name: "Preview" }).click();
  const preview = sre.getByTestId("campaign-preview");
  await expect(preview).toBeVisible({ timeout: 30_000 });
  await expect(preview.getByTestId("preview-wave")).toHaveCount(1);
  const planned = preview.locator(`[data-testid="preview-instance"][data-instance-id="${instanceId}"]`);
  await expect(planned).toHaveCount(1);
  // Columns: instance, version path, planned, window end.
  await expect(planned.locator("td").nth(1)).toContainText(`${from} → `);
  await expect(planned.locator("td").nth(3)).not.toContainText("urgent");
  await expect(preview).toContainText("your time zone");

  // Urgent: windows are ignored, and a reason is required.
  await form.getByRole("checkbox", { name: /Urgent/ }).check();
  await expect(form.getByRole("button", { name: "Create" })).toBeDisabled();
  await form.getByLabel("Reason for urgency").fill("e2e: the fix cannot wait for the window");
  await form.getByRole("button", { name: "Preview" }).click();
  await expect(planned.locator("td").nth(3)).toContainText("urgent", { timeout: 30_000 });
  await form.getByRole("button", { name: "Create" }).click();

  // The campaign page: a draft until started, then live until the instance succeeded and the campaign completed.
  await expect(sre).toHaveURL(/\/fleet\/campaigns\/(?!new$)[^/]+$/, { timeout: 30_000 });
  await expect(sre.getByTestId("campaign-status")).toHaveAttribute("data-status", "draft");
  await expect(sre.getByTestId("campaign-target-version")).toHaveText(target);
  const row = sre.locator(`[data-testid="campaign-target"][data-instance-id="${instanceId}"]`);
  await expect(row).toContainText(name);
  await expect(row).toContainText(`${from} → ${target}`);
  await sre.getByRole("button", { name: "Start", exact: true }).click();
  await expect(sre.getByTestId("campaign-status")).not.toHaveAttribute("data-status", "draft", {
    timeout: 15_000,
  });
  await expect(row).toHaveAttribute("data-status", "succeeded", { timeout: 180_000 });
  await expect(row.getByTestId("target-gate")).toContainText("Passed");
  await expect(sre.getByTestId("campaign-status")).toHaveAttribute("data-status", "completed", {
    timeout: 60_000,
  });
  await expect(sre.getByTestId("campaign-progress")).toContainText("1/1 succeeded");
  await sre.context().close();

  // The instance page shows the new version, and the instance still answers.
  await page.goto(instancePath);
  await expect(page.getByTestId("instance-version")).toHaveText(target, { timeout: 30_000 });
  await expect(page.getByTestId("instance-url")).toBeVisible();
  await deprovisionOnInstancePage(page, name);
  started.delete(sub);
});
