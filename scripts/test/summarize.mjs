// Adds up the JSON reports of every tier and prints "N passed, N failed" alone on the last line.
// A tier whose report is missing counts as one failure, so a run that executed nothing cannot look green.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2] ?? ".data/test-results";
const tiers = [
  [
    "unit",
    "unit.json",
    (r) => ({
      passed: r.numPassedTests,
      failed: r.numFailedTests,
      skipped: r.numPendingTests + r.numTodoTests,
    }),
  ],
  [
    "integration",
    "integration.json",
    (r) => ({
      passed: r.numPassedTests,
      failed: r.numFailedTests,
      skipped: r.numPendingTests + r.numTodoTests,
    }),
  ],
  [
    "e2e",
    "e2e.json",
    (r) => ({
      passed: r.stats.expected + r.stats.flaky,
      failed: r.stats.unexpected + (r.errors?.length ?? 0),
      skipped: r.stats.skipped,
    }),
  ],
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, file, read] of tiers) {
  const full = path.join(dir, file);
  if (!existsSync(full)) {
    console.log(`${name.padEnd(12)} no report (the tier did not run): counted as 1 failed`);
    failed += 1;
    continue;
  }
  const r = read(JSON.parse(readFileSync(full, "utf8")));
  const ranNothing = r.passed + r.failed === 0;
  console.log(
    `${name.padEnd(12)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${ranNothing ? " (ran no test: counted as 1 failed)" : ""}`,
  );
  passed += r.passed;
  failed += r.failed + (ranNothing ? 1 : 0);
  skipped += r.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);
