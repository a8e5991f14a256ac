import { defineConfig } from "vitest/config";

// Two tiers (STYLE.md #12): unit tests have no I/O; integration tests run against the real PostgreSQL and Redis of
// scripts/services.sh, in a throwaway database created per run by scripts/test/integration-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/**/src/**/*.test.ts", "apps/**/src/**/*.test.ts", "infra/**/src/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/**/src/**/*.integration.test.ts", "apps/**/src/**/*.integration.test.ts"],
          exclude: ["**/node_modules/**"],
          environment: "node",
          globalSetup: ["scripts/test/integration-setup.ts"],
          // One database per run, shared by the files: run them one at a time.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
