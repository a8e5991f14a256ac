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

// Support on a real local instance: its provisioning queues the support channel's setup (the console serves as the
// channel here: no Slack is configured), a customer opens a P2 request about it, support answers from the queue, the
// customer sees the answer in the same thread, and the instance's timeline shows provisioning, the channel setup
// and the request in order. Globex, because the sign-in spec expects Acme to have no instances.

const started = localTenantCleanup();

test("a customer opens a P2 request; support answers; the customer sees the answer and the timeline shows it in order", async ({
  page,
  browser,
}) => {
  test.setTimeout(300_000);
  const globex = await orgId("globex");
  const suffix = Date.now().toString(36);
  const name = `Globex Support ${suffix}`;
  const sub = `globex-sp-${suffix}`;
  await signInWithPassword(page, "admin@globex.example");
  started.add(sub);
  await orderLocalInstance(page, name, sub);
  const instancePath = new URL(page.url()).pathname;

  // The channel is set up by its own operation after the provision, and says where its posts go.
  const channel = page.getByRole("region", { name: /^Support channel/ });
  await expect(channel).toContainText("Console notifications", { timeout: 60_000 });
  await expect(channel).toContainText(/ready/i, { timeout: 60_000 });

  // The customer opens a P2 request about this instance.
  await page.goto(`/orgs/${globex}/support`);
  await page.getByRole("button", { name: "Open a request" }).click();
  const form = page.getByRole("form", { name: "Open a support request" });
  // The server names the field it refuses.
  await form.getByLabel("Subject").fill("No");
  await form.getByLabel("Description").fill("x");
  await form.getByRole("button", { name: "Open request" }).click();
  await expect(form).toContainText(/Subject/);
  await form.getByLabel("Severity").selectOption("P2");
  await form.getByLabel("Affected instance").selectOption({ label: name });
  await form.getByLabel("Subject").fill(`Training runs fail to log artifacts ${suffix}`);
  await form
    .getByLabel("Description")
    .fill("Since this morning every run fails when it uploads an artifact.");
  await form.getByRole("button", { name: "Open request" }).click();
  await expect(
    page.getByRole("heading", { name: new RegExp(`Training runs fail to log artifacts ${suffix}`) }),
  ).toBeVisible();
  await expect(page.getByTestId("support-request-status")).toContainText("Open");
  await expect(page.getByTestId("sla-first-response")).toContainText(/on track|near breach/);
  const threadPath = new URL(page.url()).pathname;
  const [row] = await query<{ number: number; severity: string; status: string }>(
    `SELECT number, severity::text AS severity, status::text AS status FROM "SupportRequest"
      WHERE subject = $1`,
    [`Training runs fail to log artifacts ${suffix}`],
  );
  expect(row).toMatchObject({ severity: "P2", status: "open" });

  // Support finds it in the queue and answers.
  const support = await signedIn(browser, "support@provider.example");
  await support.goto("/staff/support");
  const queued = support
    .getByRole("table", { name: "Support requests by next due target" })
    .getByRole("row")
    .filter({ hasText: `#${row!.number}` });
  await expect(queued).toHaveCount(1);
  await expect(queued).toContainText("P2");
  await queued.getByRole("link", { name: new RegExp(`#${row!.number}`) }).click();
  const reply = support.getByRole("form", { name: "Reply" });
  await reply.getByLabel("Your reply").fill("We are looking at the artifact store of your instance now.");
  await reply.getByRole("button", { name: "Send reply" }).click();
  await expect(
    support.getByTestId("support-message").filter({ hasText: "looking at the artifact store" }),
  ).toHaveAttribute("data-from-staff", "true");
  await expect(support.getByTestId("sla-first-response")).toContainText("met");

  // The customer's open thread shows the answer without a reload, marked as from support.
  expect(new URL(page.url()).pathname).toBe(threadPath);
  const answer = page.getByTestId("support-message").filter({ hasText: "looking at the artifact store" });
  await expect(answer).toBeVisible({ timeout: 15_000 });
  await expect(answer).toContainText("Support");
  // The customer was told in the console, too.
  await page.goto("/notifications");
  await expect(page.getByText(new RegExp(`#${row!.number}`)).first()).toBeVisible();

  // The timeline: provisioning, then the channel setup, then the request (newest first on the page).
  await page.goto(`${instancePath}/timeline`);
  await expect(page.getByRole("heading", { name: "Timeline" })).toBeVisible();
  const items = page.getByTestId("timeline-item");
  await expect(items.filter({ hasText: /Support request #\d+ opened \(P2\)/ })).toHaveCount(1);
  const titles = await items.evaluateAll((rows) =>
    rows.map((r) => `${r.getAttribute("data-kind")}: ${r.textContent ?? ""}`),
  );
  const indexOf = (pattern: RegExp) => titles.findIndex((t) => pattern.test(t));
  const request = indexOf(new RegExp(`support_request: .*#${row!.number} opened \\(P2\\)`));
  const setup = indexOf(/operation: .*Support channel setup succeeded/);
  const provision = indexOf(/operation: .*Provision succeeded/);
  expect(request, titles.join("\n")).toBeGreaterThanOrEqual(0);
  expect(setup, titles.join("\n")).toBeGreaterThan(request);
  expect(provision, titles.join("\n")).toBeGreaterThan(setup);
  // Filtering by kind leaves only that kind.
  await page.getByRole("checkbox", { name: "Operations and upgrades" }).uncheck();
  await expect(items.filter({ hasText: /Provision succeeded/ })).toHaveCount(0);
  await expect(items.filter({ hasText: /opened \(P2\)/ })).toHaveCount(1);

  await support.context().close();
  await page.goto(instancePath);
  await deprovisionOnInstancePage(page, name);
  started.delete(sub);
});
