import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { orgId, query, signInWithPassword } from "./helpers";

// Webhooks end to end: an org admin adds an endpoint in the console, sees its secret once, and a receiver on
// loopback gets signed deliveries from the worker; the signature is checked here the way a receiver would.

interface Delivery {
  headers: http.IncomingHttpHeaders;
  rawBody: string;
}

const deliveries: Delivery[] = [];
const statuses: number[] = [];
let server: http.Server;
let base = "";

test.beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString() });
      res.writeHead(statuses.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** The receiver's check: HMAC-SHA256 over "<t>.<raw body>" keyed with the secret, t within 5 minutes. */
function signatureValid(secret: string, d: Delivery): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(d.headers["x-cp-signature"]));
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${m[1]}.${d.rawBody}`).digest();
  return timingSafeEqual(Buffer.from(m[2]!, "hex"), expected);
}

async function readSecret(page: Page): Promise<string> {
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  const secret = await dialog.getByLabel("Signing secret").inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  return secret;
}

test("an org admin adds a webhook, sees the secret once, and receives signed test deliveries", async ({
  page,
  context,
}) => {
  const acme = await orgId("acme");
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signInWithPassword(page, "admin@acme.example");
  await page.goto(`/orgs/${acme}`);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Acme Robotics: webhooks" })).toBeVisible();

  // https is required unless an operator allows the host: a private address over http is refused at the field.
  await page.getByLabel("URL").fill("http://10.9.8.7/hook");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText(/10\.9\.8\.7 is a private network address/)).toBeVisible();

  const url = `${base}/acme-${Date.now()}`;
  await page.getByLabel("URL").fill(url);
  await page.getByLabel("Description (optional)").fill("On-call bridge");
  await page.getByRole("checkbox", { name: /Alert firing/ }).check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = await readSecret(page);
  await page.getByRole("button", { name: "Copy secret" }).click();
  await expect(page.getByRole("dialog").getByRole("status")).toHaveText("Copied.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  const row = page.getByRole("row", { name: new RegExp(url) });
  await expect(row).toContainText("On-call bridge");
  await expect(row).toContainText("Alert firing");
  await expect(row).toContainText("None yet");
  // Shown once: not in the page any more, and stored only encrypted.
  expect(await page.content()).not.toContain(secret);
  const [stored] = await query<{ secretCiphertext: string }>(
    `SELECT "secretCiphertext" FROM "WebhookEndpoint" WHERE url = $1`,
    [url],
  );
  expect(stored?.secretCiphertext).toMatch(/^v1\./);
  expect(stored?.secretCiphertext).not.toContain(secret.slice(6));

  await row.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Test delivery queued" })).toBeVisible();
  await expect(row).toContainText("HTTP 204", { timeout: 20_000 });
  const test1 = deliveries.at(-1)!;
  expect(test1.headers["x-cp-event"]).toBe("webhook.test");
  expect(test1.headers["content-type"]).toBe("application/json");
  expect(JSON.parse(test1.rawBody)).toMatchObject({
    id: test1.headers["x-cp-delivery"],
    type: "webhook.test",
  });
  expect(signatureValid(secret, test1)).toBe(true);

  // A receiver that refuses (4xx) is shown as the last delivery's status.
  statuses.push(400);
  await row.getByRole("button", { name: "Send test" }).click();
  await expect(row).toContainText("HTTP 400", { timeout: 20_000 });

  // Rotation: a new secret, shown once; the next delivery is signed with it and not with the old one.
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = await readSecret(page);
  expect(rotated).not.toBe(secret);
  await page.getByRole("button", { name: "Done" }).click();
  const before = deliveries.length;
  await row.getByRole("button", { name: "Send test" }).click();
  await expect(row).toContainText("HTTP 204", { timeout: 20_000 });
  expect(deliveries.length).toBe(before + 1);
  expect(signatureValid(rotated, deliveries.at(-1)!)).toBe(true);
  expect(signatureValid(secret, deliveries.at(-1)!)).toBe(false);

  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("row", { name: new RegExp(url) })).toHaveCount(0);
});

test("members do not get the webhooks page or its link", async ({ page }) => {
  const globex = await orgId("globex");
  await signInWithPassword(page, "member@globex.example");
  await page.goto(`/orgs/${globex}`);
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }),
  ).toBeVisible();
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }),
  ).toHaveCount(0);
  await page.goto(`/orgs/${globex}/webhooks`);
  await expect(page.getByText("Only an admin of this organization")).toBeVisible();
  await expect(page.getByRole("button", { name: "Add endpoint" })).toHaveCount(0);
});
