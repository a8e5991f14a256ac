// Writes src/template-files.generated.ts: the template programs' sources and dependency versions as strings, so the
// bundle renderer reads no files at run time (the console bundles it with Next.js, where paths relative to a module
// do not survive bundling). Run after editing a template: `npx tsx infra/customer-managed/scripts/embed-sources.ts`.
// A unit test (bundle.test.ts) fails while the generated file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { renderEmbeddedSources } from "../src/embed";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = `${root}src/template-files.generated.ts`;
const text = renderEmbeddedSources((path) => readFileSync(`${root}${path}`, "utf8"));
const options = (await resolveConfig(target)) ?? {};
writeFileSync(target, await format(text, { ...options, filepath: target }));
console.log(`wrote ${target}`);
