import { defineConfig } from "@playwright/test";
import path from "node:path";
import { appEnv, consoleUrl, E2E, oidcIssuer } from "./env";

// Run scripts/test-all.sh (or `tsx e2e/prepare.ts` and a console build) first: this config serves the built console.
const root = path.resolve(import.meta.dirname, "..");

export default defineConfig({
  testDir: ".",
  testMatch: /.*\.e2e\.ts$/,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: path.join(root, ".data/test-results/e2e.json") }]],
  outputDir: path.join(root, ".data/test-results/e2e-artifacts"),
  use: {
    baseURL: consoleUrl,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: [
    {
      command: "node_modules/.bin/tsx e2e/oidc-server.ts",
      cwd: root,
      url: `${oidcIssuer}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
    },
    {
      command: "node apps/worker/dist/main.js",
      cwd: root,
      url: `http://127.0.0.1:${E2E.workerPort}/readyz`,
      env: appEnv(),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
    },
    {
      command: `node_modules/.bin/next start apps/console -p ${E2E.consolePort}`,
      cwd: root,
      url: `${consoleUrl}/healthz`,
      env: appEnv(),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
    },
  ],
});
