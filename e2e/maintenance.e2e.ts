import { expect, test } from "@playwright/test";
import { orgId, query, signInWithPassword } from "./helpers";

// A customer moves their instance's maintenance window to another weekday, time and zone, and sees the next three
// windows in their own browser's time zone; a bad value is named at its field. A demo instance of Globex (a record
// without cloud resources: the window is control-plane data), since the sign-in spec expects Acme to have none.

// The viewer's zone differs from the window's, so the page must convert: 10:00 in Tokyo is 02:00 (03:00 in summer)
// the same day in Berlin.
test.use({ timezoneId: "Europe/Berlin" });

test("an org admin changes the maintenance window and sees the next three windows in their time zone", async ({
  page,
}) => {
  const globex = await orgId("globex");
  const [instance] = await query<{ id: string; name: string; maintenanceWeekday: number }>(
    `SELECT id, name, "maintenanceWeekday" FROM "Instance"
      WHERE "orgId" = $1 AND slug = 'globex-research-03' AND "deletedAt" IS NULL`,
    [globex],
  );
  expect(instance).toBeDefined();
  // Another weekday than the current one, so saving always changes something (also on a second run).
  const [weekday, dayName, dayShort] =
    instance!.maintenanceWeekday === 4 ? [5, "Friday", "Fri"] : [4, "Thursday", "Thu"];

  await signInWithPassword(page, "admin@globex.example");
  await page.goto(`/orgs/${globex}/instances/${instance!.id}`);
  await expect(page.getByRole("heading", { name: instance!.name })).toBeVisible();
  const panel = page.getByTestId("maintenance-panel");
  await expect(panel.getByTestId("maintenance-viewer-zone")).toHaveText("Europe/Berlin");
  const form = panel.getByRole("form", { name: "Maintenance window" });

  // A bad value is named at its field (and the window is not saved).
  const duration = form.getByLabel("Duration (minutes)");
  await duration.fill("10");
  await expect(duration).toHaveAttribute("aria-invalid", "true");
  await expect(duration).toHaveAccessibleDescription(/at least 30/);
  await expect(form.getByRole("button", { name: "Save window" })).toBeDisabled();
  const start = form.getByLabel("Start time");
  await start.fill("25:00");
  await expect(start).toHaveAttribute("aria-invalid", "true");
  await expect(start).toHaveAccessibleDescription(/HH:MM/);

  // The new window: Thursdays (or Fridays) 10:00–14:00 in Tokyo.
  await form.getByLabel("Weekday").selectOption(String(weekday));
  await start.fill("10:00");
  await duration.fill("240");
  await form.getByLabel("Time zone").selectOption("Asia/Tokyo");
  await expect(start).not.toHaveAttribute("aria-invalid", "true");
  await expect(duration).not.toHaveAttribute("aria-invalid", "true");
  await form.getByRole("button", { name: "Save window" }).click();
  await expect(panel.getByRole("status")).toContainText("Maintenance window saved.");
  await expect(panel.getByTestId("maintenance-window")).toContainText(
    `Every other ${dayName} 10:00–14:00 Asia/Tokyo`,
  );

  // The next three windows, in Berlin time: still the same weekday there, two weeks apart.
  const rows = panel.getByTestId("maintenance-next-window");
  await expect(rows).toHaveCount(3);
  for (const row of await rows.all()) {
    await expect(row.locator("td").first()).toHaveText(
      new RegExp(`^${dayShort} .*, 0[23]:00–0[67]:00 \\S+$`),
    );
    await expect(row.locator("td").nth(1)).toContainText(`${dayShort} `);
    await expect(row.locator("td").nth(1)).toContainText("10:00–14:00");
  }
  // Taking place or skipped (the seeded fleet blackout over Christmas skips one), the windows are two weeks apart.
  const starts = (
    await panel
      .locator('[data-testid="maintenance-next-window"], [data-testid="maintenance-skipped-window"]')
      .evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute("data-start")!)))
  ).sort((a, b) => a - b);
  expect(starts.length).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < starts.length; i++) {
    expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(14 * 86_400_000 - 3_600_000);
    expect(starts[i]! - starts[i - 1]!).toBeLessThanOrEqual(14 * 86_400_000 + 3_600_000);
  }
  const [saved] = await query<{ weekday: number; start: string; zone: string }>(
    `SELECT "maintenanceWeekday" AS weekday, "maintenanceStart" AS start, "maintenanceTimezone" AS zone
       FROM "Instance" WHERE id = $1`,
    [instance!.id],
  );
  expect(saved).toEqual({ weekday, start: "10:00", zone: "Asia/Tokyo" });

  // Deferring the next window marks it skipped; three windows still take place.
  const defer = panel.getByRole("button", { name: "Defer this window" });
  const nextStart = await rows
    .filter({ has: page.getByRole("button", { name: "Defer this window" }) })
    .getAttribute("data-start");
  await expect(panel.getByTestId("maintenance-deferrals-left")).toContainText(/^[1-9]/);
  await defer.click();
  const deferred = panel.locator(`[data-testid="maintenance-skipped-window"][data-start="${nextStart}"]`);
  await expect(deferred).toContainText("deferred");
  await expect(rows).toHaveCount(3);
  await expect(
    panel.locator(`[data-testid="maintenance-next-window"][data-start="${nextStart}"]`),
  ).toHaveCount(0);
});
