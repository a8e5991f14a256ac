import { expect, test } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { consoleUrl, localCloudUrl } from "./env";
import {
  deprovisionOnInstancePage,
  localTenantCleanup,
  orderLocalInstance,
  orgId,
  query,
  signedIn,
  signInWithPassword,
} from "./helpers";

// Alerts in the browser. First a real one: a local-cloud instance ordered in the wizard, its tenant service driven
// above 70% database CPU by its load knob; the worker polls it, the evaluator fires the default rule (its for-duration
// shortened on this instance by an override, as an SRE would set it) and the customer's instance page shows it.
// Then alert handling: an SRE acknowledges a firing alert and silences its rule on the instance for an
// hour; a customer sees the alert on their instance page but gets no buttons, and the API refuses them too.
//
// Fixture: the alert rows are inserted here rather than raised by the worker. A real firing alert needs a running
// local-cloud tenant (ordering one takes a minute or two, see backups.e2e.ts) and a sustained breach for the rule's
// for-duration; the evaluator and the poll that feed it have their own integration tests
// (packages/services/src/alerts, apps/worker/src/alerts.integration.test.ts). The rows are what the evaluator
// writes for a firing alert: an Alert in state "firing" with its openKey, and Instance.alertRank/openAlerts. The
// instance is a demo record of its own (no cloud resources), so no other spec's instance is touched; its cloud has
// no metrics collector, so the running worker never samples it and leaves the alert as it is (no fresh sample:
// nothing changes), and no other rule fires on it mid-test. The rule is this spec's own.

async function insertFiringAlert(org: string) {
  const suffix = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const instanceId = `e2e-inst-${suffix}`;
  const ruleId = `e2e-rule-${suffix}`;
  const alertId = `e2e-alert-${suffix}`;
  const ruleName = `Database CPU high (e2e ${suffix})`;
  const now = Date.now();
  await query(
    `INSERT INTO "Instance" (id, "orgId", name, slug, cloud, region, size, "mysqlVersion", "storageMode", status,
       "statusReason", version, "healthStatus", "healthCheckedAt", "alertRank", "openAlerts", "updatedAt")
     VALUES ($1, $2, $3, $4, 'azure', 'westeurope', 'small', '8.0', 'provider', 'running',
       'Demo record: no cloud resources behind it', '0.64.0', 'degraded', now(), 3, 1, now())`,
    [instanceId, org, `globex-health-${suffix}`, `globex-health-${suffix}`],
  );
  await query(
    `INSERT INTO "AlertRule" (id, key, name, metric, comparison, threshold, "resolveThreshold", "forSeconds",
       severity, runbook, "updatedAt")
     VALUES ($1, $2, $3, 'db_cpu_percent', 'gt', 70, 60, 600, 'critical', 'See the database CPU runbook.', now())`,
    [ruleId, `e2e_db_cpu_${suffix}`, ruleName],
  );
  await query(
    `INSERT INTO "Alert" (id, "ruleId", "instanceId", "orgId", state, severity, "openKey", value, threshold,
       "pendingSince", "firedAt", "lastEvaluatedAt", "updatedAt")
     VALUES ($1, $2, $3, $4, 'firing', 'critical', $5, 93.5, 70, $6, $7, now(), now())`,
    [
      alertId,
      ruleId,
      instanceId,
      org,
      `${ruleId}:${instanceId}`,
      new Date(now - 15 * 60_000),
      new Date(now - 5 * 60_000),
    ],
  );
  return { instanceId, ruleId, alertId, ruleName };
}

test("an SRE acknowledges an alert and silences its rule for an hour; a customer sees it but cannot act", async ({
  browser,
}) => {
  const globex = await orgId("globex");
  const { instanceId, ruleId, alertId, ruleName } = await insertFiringAlert(globex);
  const instancePath = `/orgs/${globex}/instances/${instanceId}`;

  // The customer sees the firing alert on the instance page, without Acknowledge or Silence.
  const customer = await signedIn(browser, "member@globex.example");
  await customer.goto(instancePath);
  const customerPanel = customer.getByTestId("alerts-panel");
  const customerRow = customerPanel.getByTestId("alert-row").filter({ hasText: ruleName });
  await expect(customerRow).toBeVisible();
  await expect(customerRow).toHaveAttribute("data-state", "firing");
  await expect(customerPanel.getByTestId("open-alert-count")).toHaveText("1 open");
  await expect(customerPanel.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
  await expect(customerPanel.getByRole("button", { name: "Silence" })).toHaveCount(0);
  // ... and the API refuses the customer, whatever the page shows.
  const refused = await customer.request.post("/api/trpc/alerts.acknowledge", {
    data: { json: { alertId } },
  });
  expect(refused.status()).toBe(403);

  // The SRE acknowledges it on the tenant health page, then silences the rule on this instance for an hour.
  const sre = await signedIn(browser, "sre@provider.example");
  await sre.goto(instancePath);
  await sre.getByRole("link", { name: "Health, metrics and alert history" }).click();
  await expect(sre).toHaveURL(`${consoleUrl}${instancePath}/health`);
  await expect(sre.getByTestId("chart-db_cpu_percent")).toBeVisible();
  const row = sre.getByTestId("alert-row").filter({ hasText: ruleName });
  await expect(row).toHaveAttribute("data-state", "firing");
  await row.getByRole("button", { name: "Acknowledge" }).click();
  await expect(row).toHaveAttribute("data-state", "acknowledged");
  await expect(row).toContainText("by sre@provider.example");
  await expect(row.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);

  await row.getByRole("button", { name: "Silence" }).click();
  const dialog = sre.getByRole("dialog", { name: `Silence ${ruleName}` });
  await expect(dialog.getByRole("combobox", { name: "For" })).toHaveValue("60");
  // A reason is required: the button stays disabled until there is one.
  await expect(dialog.getByRole("button", { name: "Silence" })).toBeDisabled();
  await dialog.getByLabel("Reason (required)").fill("Customer is running a planned load test");
  await dialog.getByRole("button", { name: "Silence" }).click();
  await expect(dialog).toBeHidden();
  await expect(
    sre.getByRole("status").filter({ hasText: "is silenced on this instance until" }),
  ).toBeVisible();
  await expect(row).toContainText("Notifications silenced");

  // What was written: the acknowledgement and a one-hour silence of this rule on this instance, both audited.
  const [alert] = await query<{ state: string; email: string }>(
    `SELECT a.state, u.email FROM "Alert" a JOIN "User" u ON u.id = a."acknowledgedById" WHERE a.id = $1`,
    [alertId],
  );
  expect(alert).toEqual({ state: "acknowledged", email: "sre@provider.example" });
  const silences = await query<{ minutes: number; reason: string }>(
    `SELECT extract(epoch FROM "expiresAt" - "startsAt") / 60 AS minutes, reason
     FROM "AlertSilence" WHERE "ruleId" = $1 AND "instanceId" = $2 AND "cancelledAt" IS NULL`,
    [ruleId, instanceId],
  );
  expect(silences.map((s) => [Number(s.minutes), s.reason])).toEqual([
    [60, "Customer is running a planned load test"],
  ]);
  const audit = await query<{ action: string }>(
    `SELECT action FROM "AuditEvent" WHERE "targetId" = $1 OR ("action" = 'alert_silence.create' AND after->>'instance' = $2)
     ORDER BY "createdAt"`,
    [alertId, `globex-health-${instanceId.slice("e2e-inst-".length)}`],
  );
  expect(audit.map((a) => a.action)).toEqual(["alert.acknowledge", "alert_silence.create"]);

  // The SRE overrides the rule's for-duration on this instance through the dialog, prefilled with the values in
  // force. A resolve threshold above the threshold comes back as an error on that field, and nothing is saved.
  const overrideRows = () =>
    query<{
      threshold: number | null;
      resolve: number | null;
      forSeconds: number | null;
      enabled: boolean | null;
      reason: string;
      email: string;
    }>(
      `SELECT o.threshold, o."resolveThreshold" AS resolve, o."forSeconds", o.enabled, o.reason, u.email
       FROM "AlertRuleOverride" o JOIN "User" u ON u.id = o."updatedById"
       WHERE o."ruleId" = $1 AND o."instanceId" = $2`,
      [ruleId, instanceId],
    );
  const overrides = sre.getByTestId("rule-overrides-panel");
  await expect(overrides.getByRole("heading", { name: "Alert rules on this instance" })).toBeVisible();
  const ruleRow = overrides.getByTestId("rule-override-row").filter({ hasText: ruleName });
  await expect(ruleRow).toHaveAttribute("data-overridden", "false");
  await expect(ruleRow).toContainText("600 s");
  await expect(ruleRow.getByRole("button", { name: "Clear override" })).toHaveCount(0);
  await ruleRow.getByRole("button", { name: "Override", exact: true }).click();
  const overrideDialog = sre.getByRole("dialog", { name: `Override ${ruleName} on this instance` });
  await expect(overrideDialog.getByLabel("Threshold", { exact: true })).toHaveValue("70");
  await expect(overrideDialog.getByLabel("Resolve threshold")).toHaveValue("60");
  await expect(overrideDialog.getByLabel("For (seconds)")).toHaveValue("600");
  await expect(overrideDialog.getByLabel("Enabled")).toBeChecked();
  await overrideDialog.getByLabel("For (seconds)").fill("120");
  // A reason is required: the button stays disabled until there is one.
  await expect(overrideDialog.getByRole("button", { name: "Save override" })).toBeDisabled();
  await overrideDialog.getByLabel("Reason (required)").fill("e2e override");
  await overrideDialog.getByLabel("Resolve threshold").fill("80");
  await overrideDialog.getByRole("button", { name: "Save override" }).click();
  const resolveInput = overrideDialog.getByLabel("Resolve threshold");
  await expect(resolveInput).toHaveAttribute("aria-invalid", "true");
  await expect(resolveInput).toHaveAccessibleDescription(/must be at or below the threshold \(70\)/);
  expect(await overrideRows()).toEqual([]);
  await resolveInput.fill("60");
  await expect(resolveInput).not.toHaveAttribute("aria-invalid");
  await overrideDialog.getByRole("button", { name: "Save override" }).click();
  await expect(overrideDialog).toBeHidden();
  await expect(ruleRow).toHaveAttribute("data-overridden", "true");
  await expect(ruleRow).toContainText("overridden");
  await expect(ruleRow).toContainText("e2e override");
  await expect(ruleRow).toContainText("120 s");
  await expect(ruleRow).toContainText("fleet: 600 s");

  // Only the changed value is stored (the others follow the fleet default), by the SRE, and audited.
  expect(await overrideRows()).toEqual([
    {
      threshold: null,
      resolve: null,
      forSeconds: 120,
      enabled: null,
      reason: "e2e override",
      email: "sre@provider.example",
    },
  ]);
  const overrideAudit = () =>
    query<{ action: string; email: string; rule: string; forSeconds: string | null }>(
      `SELECT action, "actorEmail" AS email, coalesce(after, before)->>'rule' AS rule,
         after->>'forSeconds' AS "forSeconds"
       FROM "AuditEvent" WHERE "targetType" = 'instance' AND "targetId" = $1 AND action LIKE 'alert_rule.%'
       ORDER BY "createdAt"`,
      [instanceId],
    );
  const ruleKey = `e2e_db_cpu_${ruleId.slice("e2e-rule-".length)}`;
  expect(await overrideAudit()).toEqual([
    { action: "alert_rule.override_set", email: "sre@provider.example", rule: ruleKey, forSeconds: "120" },
  ]);

  // Clearing it puts the fleet default back in force.
  await ruleRow.getByRole("button", { name: "Clear override" }).click();
  await expect(ruleRow).toHaveAttribute("data-overridden", "false");
  await expect(ruleRow).toContainText("600 s");
  await expect(ruleRow).not.toContainText("e2e override");
  await expect(ruleRow.getByRole("button", { name: "Clear override" })).toHaveCount(0);
  expect(await overrideRows()).toEqual([]);
  expect((await overrideAudit()).map((a) => a.action)).toEqual([
    "alert_rule.override_set",
    "alert_rule.override_clear",
  ]);

  // The customer's page follows live: acknowledged, still no buttons.
  await expect(customerRow).toHaveAttribute("data-state", "acknowledged", { timeout: 15_000 });
  await expect(customerPanel.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
});

const started = localTenantCleanup();

test("database load above 70% CPU on a real local instance fires the CPU alert, and the customer sees it", async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  // Globex, not Acme: the sign-in spec expects Acme to have no instances.
  const globex = await orgId("globex");
  const suffix = Date.now().toString(36);
  const name = `Globex Load ${suffix}`;
  const sub = `globex-load-${suffix}`;
  await signInWithPassword(page, "admin@globex.example");
  started.add(sub);
  const url = await orderLocalInstance(page, name, sub);
  await expect(page).toHaveURL(new RegExp(`/orgs/${globex}/instances/`));
  const instanceId = new URL(page.url()).pathname.split("/").pop()!;

  // Four seconds instead of the default ten minutes: two polls of this run's worker.
  await query(
    `INSERT INTO "AlertRuleOverride" ("ruleId", "instanceId", "forSeconds", reason, "updatedAt")
     SELECT id, $1, 4, 'e2e: two polling intervals', now() FROM "AlertRule" WHERE key = 'database_cpu_high'`,
    [instanceId],
  );
  const { adminToken } = (await (
    await request.get(`${localCloudUrl}/v1/instances/${sub}/admin-token`)
  ).json()) as { adminToken: string };
  const load = await request.post(`${url}/admin/load`, {
    headers: { authorization: `Bearer ${adminToken}` },
    data: { durationSeconds: 90, concurrency: 2 },
  });
  expect(load.status()).toBe(202);

  try {
    const panel = page.getByTestId("alerts-panel");
    const row = panel.getByTestId("alert-row").filter({ hasText: "Database CPU high" });
    await expect(row).toHaveAttribute("data-state", "firing", { timeout: 90_000 });
    await expect(panel.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
    const [fired] = await query<{ value: number; state: string }>(
      `SELECT a.value, a.state FROM "Alert" a JOIN "AlertRule" r ON r.id = a."ruleId"
       WHERE a."instanceId" = $1 AND r.key = 'database_cpu_high'`,
      [instanceId],
    );
    expect(fired!.state).toBe("firing");
    expect(Number(fired!.value)).toBeGreaterThan(70);
  } finally {
    await request.post(`${url}/admin/load/stop`, { headers: { authorization: `Bearer ${adminToken}` } });
  }

  // Leave nothing running: deprovisioned through the console, so no later spec sees a dead instance alerting.
  await deprovisionOnInstancePage(page, name);
  started.delete(sub);
});

test("an SRE acknowledges an alert on Fleet alerts; support sees the row but no buttons", async ({
  browser,
}) => {
  const globex = await orgId("globex");
  const { instanceId, alertId, ruleName } = await insertFiringAlert(globex);
  const instanceName = `globex-health-${instanceId.slice("e2e-inst-".length)}`;

  // The SRE opens the staff page from the navigation and finds the firing alert with its instance and org.
  const sre = await signedIn(browser, "sre@provider.example");
  await sre.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fleet alerts" }).click();
  await expect(sre).toHaveURL(`${consoleUrl}/fleet/alerts`);
  await expect(sre.getByRole("heading", { name: "Fleet alerts" })).toBeVisible();
  const row = sre.getByTestId("fleet-alert-row").filter({ hasText: ruleName });
  await expect(row).toHaveAttribute("data-state", "firing");
  await expect(row).toHaveAttribute("data-alert-id", alertId);
  await expect(row).toContainText("Critical");
  await expect(row).toContainText("93.50 > 70");
  await expect(row).toContainText("Globex Research");
  await expect(row.getByRole("link", { name: instanceName })).toHaveAttribute(
    "href",
    `/orgs/${globex}/instances/${instanceId}/health`,
  );

  // Acknowledged there: the row says by whom, offers no second Acknowledge, and the database agrees.
  await row.getByRole("button", { name: "Acknowledge" }).click();
  await expect(row).toHaveAttribute("data-state", "acknowledged");
  await expect(row).toContainText("sre@provider.example");
  await expect(row.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
  await expect(row.getByRole("button", { name: "Silence" })).toBeVisible();
  const [alert] = await query<{ state: string; email: string }>(
    `SELECT a.state, u.email FROM "Alert" a JOIN "User" u ON u.id = a."acknowledgedById" WHERE a.id = $1`,
    [alertId],
  );
  expect(alert).toEqual({ state: "acknowledged", email: "sre@provider.example" });

  // Support reads the same row, acknowledged by the SRE, with no actions at all.
  const support = await signedIn(browser, "support@provider.example");
  await support.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fleet alerts" }).click();
  await expect(support).toHaveURL(`${consoleUrl}/fleet/alerts`);
  const supportRow = support.getByTestId("fleet-alert-row").filter({ hasText: ruleName });
  await expect(supportRow).toHaveAttribute("data-state", "acknowledged");
  await expect(supportRow).toContainText("sre@provider.example");
  await expect(supportRow.getByRole("button")).toHaveCount(0);
  await expect(support.getByRole("columnheader", { name: "Actions" })).toHaveCount(0);
  await sre.context().close();
  await support.context().close();
});
