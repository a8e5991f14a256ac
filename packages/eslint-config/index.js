// Shared flat config. Layers point down only (DESIGN.md): each package may import the ones below it.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Which workspace packages each layer must not import. */
const forbidden = {
  core: [
    "@cp/config",
    "@cp/db",
    "@cp/jobs",
    "@cp/services",
    "@cp/api",
    "@cp/engine",
    "@cp/connectors",
    "@trpc/*",
    "next",
    "next/*",
    "react",
    "@prisma/*",
    "bullmq",
    "ioredis",
  ],
  config: ["@cp/db", "@cp/jobs", "@cp/services", "@cp/api", "@cp/engine", "@cp/connectors"],
  db: ["@cp/jobs", "@cp/services", "@cp/api", "@cp/engine", "@cp/connectors", "@trpc/*"],
  jobs: ["@cp/services", "@cp/api", "@cp/engine", "@cp/connectors", "@trpc/*"],
  engine: ["@cp/services", "@cp/api", "@trpc/*"],
  connectors: ["@cp/services", "@cp/api", "@trpc/*"],
  // The Pulumi driver is injected by the worker, so the console never loads cloud SDKs.
  services: [
    "@cp/api",
    "@trpc/*",
    "next",
    "next/*",
    "react",
    "@cp/engine/pulumi",
    "@pulumi/*",
    "@cp/infra-tenant",
  ],
  api: [
    "next",
    "next/*",
    "react",
    "@prisma/*",
    "bullmq",
    "ioredis",
    "@cp/engine/pulumi",
    "@pulumi/*",
    "@cp/infra-tenant",
  ],
  // Cloud programs: pure Pulumi; nothing of the control plane's runtime.
  infra: [
    "@cp/config",
    "@cp/db",
    "@cp/jobs",
    "@cp/services",
    "@cp/api",
    "@cp/engine",
    "@cp/connectors",
    "@trpc/*",
  ],
};

const appImports = [
  { group: ["**/apps/**", "@cp/console", "@cp/worker"], message: "Packages never import from an app." },
];

/** @param {{ layer?: keyof typeof forbidden, allowProcessEnv?: boolean }} [options] */
export function config(options = {}) {
  const restricted = options.layer ? forbidden[options.layer] : [];
  return tseslint.config(
    { ignores: ["**/dist/**", "**/.next/**", "**/node_modules/**", "**/next-env.d.ts"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
      languageOptions: { globals: { ...globals.node } },
      rules: {
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "@typescript-eslint/consistent-type-imports": ["warn", { fixStyle: "inline-type-imports" }],
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              ...appImports,
              ...(restricted.length
                ? [
                    {
                      group: restricted,
                      message: `The ${options.layer} layer must not import this (DESIGN.md, Layers).`,
                    },
                  ]
                : []),
            ],
          },
        ],
        "no-restricted-properties": options.allowProcessEnv
          ? "off"
          : ["error", { object: "process", property: "env", message: "Read configuration from @cp/config." }],
      },
    },
  );
}

export default config();
