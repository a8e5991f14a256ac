import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { createConnection } from "mysql2/promise";
import { consoleUrl } from "./env";
import { orgId, query, signInWithPassword } from "./helpers";

// Customer-managed deployments end to end: a staff admin registers a deployment for Globex (a Dedicated org; any
// non-SaaS org may have one, and the seed has no customer-managed org), issues its license, reveals it, downloads
// the AWS install template with the license inside, then the tenant service's telemetry sender
// (apps/tenant-service/src/send-telemetry.ts) reports a day from a MySQL database of its own, and the deployment's
// page shows that day in its usage chart.

const root = path.resolve(import.meta.dirname, "..");

/* eslint-disable no-restricted-properties -- test harness configuration, as in env.ts */
/** The local cloud's MariaDB admin account (scripts/services.sh): the sender's database is made there. */
const MYSQL = {
  host: "127.0.0.1",
  port: Number(process.env.CP_LOCAL_CLOUD_MYSQL_PORT ?? 53306),
  user: process.env.CP_LOCAL_CLOUD_MYSQL_USER ?? "cloud",
  password: process.env.CP_LOCAL_CLOUD_MYSQL_PASSWORD ?? "cloud-demo-password",
};
const inheritedEnv = { ...process.env };
/* eslint-enable no-restricted-properties */

/** A throwaway database shaped like a tenant's: a runs table with 3 runs by 2 API keys. */
async function createTenantDatabase(name: string): Promise<() => Promise<void>> {
  const conn = await createConnection(MYSQL);
  try {
    await conn.query(`CREATE DATABASE \`${name}\``);
    await conn.query(
      `CREATE TABLE \`${name}\`.runs (
         id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
         api_key_hash CHAR(16) NOT NULL,
         name VARCHAR(200) NOT NULL,
         payload TEXT NULL,
         created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
       )`,
    );
    await conn.query(`INSERT INTO \`${name}\`.runs (api_key_hash, name) VALUES (?, ?), (?, ?), (?, ?)`, [
      "aaaaaaaaaaaaaaaa",
      "run-1",
      "aaaaaaaaaaaaaaaa",
      "run-2",
      "bbbbbbbbbbbbbbbb",
      "run-3",
    ]);
  } finally {
    await conn.end();
  }
  return async () => {
    const c = await createConnection(MYSQL);
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await c.end();
    }
  };
}

/** Runs the tenant service's one-shot sender, as a deployment would send its daily report. */
function sendTelemetry(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(root, "node_modules/.bin/tsx"),
      [path.join(root, "apps/tenant-service/src/send-telemetry.ts")],
      { cwd: root, env: { ...inheritedEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

test("staff register a deployment and license it; its template carries the license; its telemetry shows up", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const globex = await orgId("globex");
  const suffix = Date.now().toString(36);
  const name = `Globex On-Prem ${suffix}`;

  await signInWithPassword(page, "staff-admin@provider.example");
  await page.goto("/staff/deployments");
  await expect(page.getByRole("heading", { name: "Customer-managed deployments" })).toBeVisible();

  // Register: the org select lists every org with its plan.
  const register = page.getByRole("form", { name: "Register a deployment" });
  await register.getByLabel("Organization").selectOption({ label: "Globex Research (Dedicated)" });
  await register.getByLabel("Deployment name").fill(name);
  await register.getByLabel("Platform").selectOption("aws");
  await register.getByLabel("Version").fill("0.66.0");
  await register.getByLabel("Contact name").fill("Globex Platform Team");
  await register.getByLabel("Contact e-mail").fill("platform@globex.example");
  await register.getByRole("button", { name: "Register deployment" }).click();
  await expect(register.getByRole("status")).toContainText(`${name} registered for Globex Research`);
  const [deployment] = await query<{ id: string; orgId: string }>(
    `SELECT id, "orgId" FROM "CustomerDeployment" WHERE name = $1`,
    [name],
  );
  expect(deployment?.orgId).toBe(globex);
  const deploymentId = deployment!.id;
  const staffRow = page
    .getByTestId("staff-deployments-table")
    .locator(`tr[data-deployment-id="${deploymentId}"]`);
  await expect(staffRow).toContainText("No license");

  // Issue its license (the new deployment's licenses open below the table).
  const issue = page.getByRole("form", { name: "Issue a license" });
  await issue.getByLabel("Seats").fill("250");
  await issue.getByRole("checkbox", { name: "Weave" }).check();
  await issue.getByRole("button", { name: "Issue license" }).click();
  await expect(issue.getByRole("status")).toContainText("License issued");
  await expect(staffRow.getByTestId("license-status")).toHaveText("Active");
  const audits = await query<{ action: string }>(
    `SELECT action FROM "AuditEvent" WHERE action IN ('deployment.register', 'license.issue') AND "orgId" = $1
       AND ("targetId" = $2 OR after->>'deploymentId' = $2)`,
    [globex, deploymentId],
  );
  expect(audits.map((a) => a.action).sort()).toEqual(["deployment.register", "license.issue"]);

  // The customer's view of it: listed with its license standing, and the detail page.
  await page.goto(`/orgs/${globex}/deployments`);
  const row = page.getByTestId("deployments-table").locator(`tr[data-deployment-id="${deploymentId}"]`);
  await expect(row).toContainText("AWS");
  await expect(row).toContainText("0.66.0");
  await expect(row).toContainText("Never");
  await expect(row.getByTestId("license-status")).toHaveText("Active");
  await row.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  const license = page.getByTestId("license-row");
  await expect(license).toHaveCount(1);
  await expect(license).toContainText("250");
  await expect(license).toContainText("Single sign-on, Audit logs, Weave");
  await expect(page.getByTestId("license-jwks-url")).toContainText("/api/licenses/jwks");
  await expect(page.getByTestId("license-public-key").first()).toContainText("BEGIN PUBLIC KEY");

  // Reveal the token (audited), as an admin copies it into the deployment.
  await license.getByRole("button", { name: "Show license" }).click();
  const dialog = page.getByRole("dialog");
  const token = await dialog.getByTestId("license-token").inputValue();
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const [view] = await query<{ n: string }>(
    `SELECT count(*) AS n FROM "AuditEvent" WHERE action = 'license.token_view' AND "orgId" = $1`,
    [globex],
  );
  expect(Number(view?.n)).toBeGreaterThan(0);

  // The public key verifies it: the JWKS is public (no session needed) and names the token's key.
  const jwks = (await (await fetch(`${consoleUrl}/api/licenses/jwks`)).json()) as { keys: { kid: string }[] };
  const kid = (JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;
  expect(jwks.keys.map((k) => k.kid)).toContain(kid);

  // The AWS template: a gzip (tar) whose files carry this license.
  await page.getByLabel("Node size").selectOption("minimum");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("template-download-aws").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.tar\.gz$|\.tgz$/);
  const file = await download.path();
  const gz = await readFile(file);
  expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
  expect(gunzipSync(gz).toString("latin1")).toContain(token);

  // Telemetry, sent the way the tenant service sends it, from a database of its own.
  const day = new Date().toISOString().slice(0, 10);
  // The local cloud's MariaDB account may create only tenant-style databases (t_*).
  const dbName = `t_e2e_cm_${suffix}`;
  const dropDatabase = await createTenantDatabase(dbName);
  try {
    const sent = await sendTelemetry({
      DB_HOST: MYSQL.host,
      DB_PORT: String(MYSQL.port),
      DB_USER: MYSQL.user,
      DB_PASSWORD: MYSQL.password,
      DB_NAME: dbName,
      VERSION: "0.67.1",
      TELEMETRY_URL: `${consoleUrl}/api/telemetry/v1/reports`,
      LICENSE_TOKEN: token,
    });
    expect(sent.code, sent.output).toBe(0);
    expect(sent.output).toContain(`telemetry for ${day} accepted`);
    // The sender never prints the license.
    expect(sent.output).not.toContain(token);
  } finally {
    await dropDatabase();
  }
  const reports = await query<{ day: string; version: string }>(
    `SELECT day, version FROM "TelemetryReport" WHERE "deploymentId" = $1`,
    [deploymentId],
  );
  expect(reports).toEqual([{ day, version: "0.67.1" }]);

  // The deployment's page: the reported day in the usage chart and the latest report; the version follows it.
  await page.reload();
  const usage = page.getByTestId("deployment-usage");
  await expect(usage).toBeVisible();
  await expect(usage.getByTestId("usage-latest-day")).toHaveText(day);
  await expect(usage.getByTestId("usage-latest-runCount")).toHaveText("3");
  await expect(usage.getByTestId("usage-chart").locator("svg.recharts-surface").first()).toBeVisible();
  await expect(page.getByTestId("deployment-version")).toHaveText("0.67.1");
  await expect(page.getByTestId("deployment-last-report")).toContainText(day);
});
