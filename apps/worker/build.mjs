// Bundles the worker into one ESM file. Workspace packages (@cp/*) export TypeScript source, so they are bundled;
// every other bare import stays external and loads from node_modules at run time (Prisma, BullMQ, pino, ...).
import { build } from "esbuild";
import path from "node:path";

const root = import.meta.dirname;

/** @type {import("esbuild").Plugin} */
const externalizeDependencies = {
  name: "externalize-dependencies",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@cp/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: [path.join(root, "src/main.ts")],
  outfile: path.join(root, "dist/main.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "info",
  plugins: [externalizeDependencies],
  // ESM has no `require`; a bundled dependency that calls it (or esbuild's __require shim) needs one.
  banner: {
    js: 'import { createRequire as __cpCreateRequire } from "node:module"; const require = __cpCreateRequire(import.meta.url);',
  },
});
