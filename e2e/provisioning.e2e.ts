import { expect, test } from "@playwright/test";
import { orgId, signInWithPassword } from "./helpers";
import { localCloudUrl } from "./env";

// Provisioning on the local cloud is real: a MariaDB database, an s3rver bucket and a tenant process.
test.setTimeout(180_000);

test("a customer orders a local-cloud instance, watches it come up, updates it and deprovisions it", async ({
  page,
  request,
}) => {
  const acme = await orgId("acme");
  const sub = `acme-ml-${Date.now().toString(36)}`;
  await signInWithPassword(page, "admin@acme.example");
  await page.getByRole("link", { name: "Order a dedicated instance" }).click();

  // Cloud and region: Azure is shown but cannot be picked.
  await expect(page.getByRole("radio", { name: /Azure/ })).toBeDisabled();
  await page.getByRole("radio", { name: /Local cloud/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Minimum/ }).check();
  await page.getByRole("radio", { name: "MySQL 8.0" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Provider-hosted bucket/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Provider-managed/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel(/GraphQL API rate limit/).fill("200");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByLabel("Instance name").fill("Acme ML");
  await page.getByLabel("Subdomain").fill("Bad Sub!");
  await expect(page.getByRole("list", { name: "Fix these to continue" })).toContainText("subdomain:");
  await page.getByLabel("Subdomain").fill(sub);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("table", { name: "Shared responsibility: Dedicated" })).toContainText(
    "Database (MySQL)",
  );
  await page.getByRole("button", { name: "Place order" }).click();

  // The instance page: live progress, then running with a URL that answers.
  await expect(page).toHaveURL(new RegExp(`/orgs/${acme}/instances/`));
  await expect(page.getByRole("heading", { name: "Acme ML" })).toBeVisible();
  await expect(page.getByRole("log", { name: "Live log" })).toContainText(/\S/, { timeout: 30_000 });
  const url = page.getByTestId("instance-url");
  await expect(url).toBeVisible({ timeout: 90_000 });
  const instanceUrl = (await url.textContent())!;
  expect((await request.get(`${instanceUrl}/healthz`)).status()).toBe(200);
  const cloud = await request.get(`${localCloudUrl}/v1/instances/${sub}`);
  expect(cloud.status()).toBe(200);
  const described = (await cloud.json()) as { databaseName: string; bucket: string };
  expect(described.databaseName).toBeTruthy();
  expect(described.bucket).toBeTruthy();
  await expect(page.getByRole("table", { name: "What the instance is made of" })).toContainText(
    described.bucket,
  );

  // An update changes what the tenant enforces.
  const form = page.getByRole("form", { name: "Update the instance" });
  await form.getByLabel("GraphQL limit (req/s)").fill("300");
  await form.getByRole("button", { name: "Apply changes" }).click();
  await expect
    .poll(
      async () =>
        ((await (await request.get(`${instanceUrl}/config`)).json()) as { rateLimits: { graphql: number } })
          .rateLimits.graphql,
      {
        timeout: 60_000,
      },
    )
    .toBe(300);
  await expect(page.getByRole("table", { name: /History of operations/ })).toContainText("update");

  // Deprovision: typed-name confirmation; retention is seconds long in this run, then everything is removed.
  const dep = page.getByRole("form", { name: "Deprovision the instance" });
  await dep.getByLabel(/Type Acme ML to confirm/).fill("Acme ML");
  await dep.getByRole("button", { name: "Deprovision" }).click();
  await expect(page.getByTestId("status-reason")).toContainText(/data kept until|All resources removed/, {
    timeout: 60_000,
  });
  await expect
    .poll(async () => (await request.get(`${localCloudUrl}/v1/instances/${sub}`)).status(), {
      timeout: 90_000,
    })
    .toBe(404);
  await expect(page.getByTestId("status-reason")).toContainText("All resources removed", { timeout: 30_000 });
});
