// The downloadable install bundle: a tar.gz with a ready-to-run Pulumi project for one cloud (the template sources,
// package.json with the exact versions tested here, Pulumi.yaml, tsconfig.json, README.md and setup.sh, which sets the
// stack configuration and stores the license as a Pulumi secret), or for bare metal a README and Helm values.
//
// The console imports this module (`@cp/infra-customer-managed/bundle`), so it imports no Pulumi package and reads no
// files: the sources are embedded in template-files.generated.ts (scripts/embed-sources.ts).
import { gzipSync } from "node:zlib";
import { z } from "zod";
import {
  DATABASE_NAME,
  PROJECT_NAME,
  TEMPLATE_MYSQL_VERSIONS,
  TEMPLATE_SIZE_SHAPES,
  TEMPLATE_SIZES,
  type TemplatePlatform,
} from "./settings";
import { TEMPLATE_DEPENDENCIES, TEMPLATE_SOURCES } from "./template-files.generated";

export const BUNDLE_PLATFORMS = ["aws", "gcp", "azure", "bare_metal"] as const;
export type BundlePlatform = (typeof BUNDLE_PLATFORMS)[number];

export const ZBundleOptions = z.object({
  platform: z.enum(BUNDLE_PLATFORMS, { error: 'platform must be "aws", "gcp", "azure" or "bare_metal"' }),
  licenseToken: z.string().min(1, "licenseToken is required: issue a license for the deployment first"),
  /** The deployment's display name; cloud resource names use its slug (templateSlug). */
  deploymentName: z.string().min(1, "deploymentName is required"),
  size: z.enum(TEMPLATE_SIZES, { error: 'size must be "minimum" or "recommended"' }).default("recommended"),
  mysqlVersion: z
    .enum(TEMPLATE_MYSQL_VERSIONS, { error: 'mysqlVersion must be "5.7" or "8.0"' })
    .default("8.0"),
  redis: z
    .object({
      enabled: z.boolean(),
      memoryGb: z
        .number()
        .int()
        .min(4, "redis.memoryGb must be 4 to 8")
        .max(8, "redis.memoryGb must be 4 to 8"),
    })
    .default({ enabled: false, memoryGb: 6 }),
  /** Pre-filled in setup.sh; otherwise setup.sh asks for REGION. */
  region: z
    .string()
    .regex(/^[a-z0-9-]{2,40}$/, "region must look like us-east-1, us-central1 or eastus")
    .optional(),
  backupRetentionDays: z.number().int().min(1).max(35).default(7),
});
export type BundleOptions = z.input<typeof ZBundleOptions>;

/**
 * A name usable in cloud resource names (the templates' deploymentName): lower-case letters, digits and dashes, 3-20
 * characters, starting with a letter.
 */
export function templateSlug(deploymentName: string): string {
  let slug = deploymentName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 20)
    .replace(/-+$/, "");
  if (slug.length < 3) slug = `ml-${slug || "platform"}`.slice(0, 20).replace(/-+$/, "");
  return slug;
}

/** `<deployment>-<platform>-install.tar.gz` */
export function bundleFileName(deploymentName: string, platform: BundlePlatform): string {
  return `${templateSlug(deploymentName)}-${platform.replace("_", "-")}-install.tar.gz`;
}

export interface BundleFile {
  path: string;
  content: string;
  /** Executable (setup.sh). */
  executable?: boolean;
}

/** The files of a bundle, before packing; `renderTemplateBundle` packs them. */
export function templateBundleFiles(options: BundleOptions): BundleFile[] {
  const o = ZBundleOptions.parse(options);
  const slug = templateSlug(o.deploymentName);
  if (o.platform === "bare_metal") {
    return [
      { path: "README.md", content: bareMetalReadme(o.deploymentName) },
      { path: "values.yaml", content: bareMetalValues(o, slug) },
    ];
  }
  const platform = o.platform;
  const program = `${platform}.ts`;
  const source = (file: string) => {
    const text = TEMPLATE_SOURCES[file];
    if (text === undefined)
      throw new Error(`template source ${file} is not embedded; run scripts/embed-sources.ts`);
    return text;
  };
  return [
    { path: "README.md", content: cloudReadme(o, slug) },
    { path: "setup.sh", content: setupScript(o, slug), executable: true },
    { path: "Pulumi.yaml", content: pulumiYaml(o.deploymentName) },
    { path: "package.json", content: packageJson(platform, slug) },
    { path: "tsconfig.json", content: TSCONFIG },
    { path: "index.ts", content: entrySource(platform) },
    { path: "settings.ts", content: source("settings.ts") },
    { path: "config.ts", content: source("config.ts") },
    { path: program, content: source(program) },
  ];
}

/** The tar.gz a customer downloads: every file under `<deployment>-<platform>-install/`. */
export async function renderTemplateBundle(options: BundleOptions, now = new Date()): Promise<Buffer> {
  const o = ZBundleOptions.parse(options);
  const root = bundleFileName(o.deploymentName, o.platform).replace(/\.tar\.gz$/, "");
  const files = templateBundleFiles(options);
  return gzipSync(tarArchive(root, files, now));
}

// --- files -----------------------------------------------------------------------------------------------------------

const CLOUD_SDK: Record<TemplatePlatform, string> = {
  aws: "@pulumi/aws",
  gcp: "@pulumi/gcp",
  azure: "@pulumi/azure-native",
};

const PROGRAM_FUNCTION: Record<TemplatePlatform, string> = {
  aws: "awsProgram",
  gcp: "gcpProgram",
  azure: "azureProgram",
};

const OUTPUT_NAMES = [
  "clusterName",
  "clusterEndpoint",
  "kubeconfigCommand",
  "databaseEndpoint",
  "databaseName",
  "bucket",
  "auditLog",
  "redisEndpoint",
  "appSecrets",
];

function entrySource(platform: TemplatePlatform): string {
  const fn = PROGRAM_FUNCTION[platform];
  return [
    `// The ${platform} install template. Configuration: setup.sh (see README.md). Stack outputs are exported below;`,
    "// appSecrets is a secret: `pulumi stack output appSecrets --show-secrets`.",
    'import { readTemplateConfig } from "./config";',
    `import { ${fn} } from "./${platform}";`,
    "",
    `const outputs = ${fn}(readTemplateConfig("${platform}"));`,
    "",
    ...OUTPUT_NAMES.map((name) => `export const ${name} = outputs.${name};`),
    "",
  ].join("\n");
}

function pulumiYaml(deploymentName: string): string {
  return [
    `name: ${PROJECT_NAME}`,
    `description: ${JSON.stringify(`ML platform install template for ${deploymentName}`)}`,
    "runtime:",
    "  name: nodejs",
    "  options:",
    "    typescript: true",
    "",
  ].join("\n");
}

function packageJson(platform: TemplatePlatform, slug: string): string {
  const pin = (name: string) => {
    const version = TEMPLATE_DEPENDENCIES[name];
    if (!version) throw new Error(`no pinned version for ${name}; run scripts/embed-sources.ts`);
    return version;
  };
  const dependencies = Object.fromEntries(
    ["@pulumi/pulumi", CLOUD_SDK[platform], "zod"].sort().map((name) => [name, pin(name)]),
  );
  return `${JSON.stringify(
    {
      name: `${slug}-install`,
      private: true,
      main: "index.ts",
      dependencies,
      devDependencies: { "@types/node": "^20.19.0", typescript: "^5.9.3" },
    },
    null,
    2,
  )}\n`;
}

// CommonJS on purpose: Pulumi runs it through ts-node without a loader, and @pulumi/azure-native's per-service
// modules are directories, which Node's ESM resolver refuses.
const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      strict: true,
      target: "ES2022",
      module: "commonjs",
      moduleResolution: "node",
      esModuleInterop: true,
      skipLibCheck: true,
      noUncheckedIndexedAccess: true,
      forceConsistentCasingInFileNames: true,
      outDir: "bin",
    },
    files: ["index.ts"],
  },
  null,
  2,
)}\n`;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function setupScript(o: z.output<typeof ZBundleOptions>, slug: string): string {
  const set = (key: string, value: string | number) =>
    `pulumi config set ${key} ${shellQuote(String(value))}`;
  const secretIfUnset = (key: string, bytes: number) =>
    `pulumi config get ${key} >/dev/null 2>&1 || pulumi config set --secret ${key} "$(openssl rand -hex ${bytes})"`;
  const lines = [
    "#!/usr/bin/env bash",
    `# Configures the Pulumi stack for ${o.deploymentName} on ${o.platform}. Run once from this directory:`,
    "#   REGION=<region> ./setup.sh            (STACK defaults to prod)",
    "# It stores the license and generated passwords as Pulumi secrets (encrypted in the stack configuration).",
    "set -euo pipefail",
    'cd "$(dirname "$0")"',
    "",
    `REGION="\${REGION:-${o.region ?? ""}}"`,
    'if [ -z "$REGION" ]; then echo "Set REGION, e.g. REGION=us-east-1 ./setup.sh" >&2; exit 1; fi',
  ];
  if (o.platform === "gcp") {
    lines.push(
      'if [ -z "${GCP_PROJECT:-}" ]; then echo "Set GCP_PROJECT to the project id, e.g. GCP_PROJECT=acme-ml ./setup.sh" >&2; exit 1; fi',
    );
  }
  lines.push(
    'command -v pulumi >/dev/null || { echo "Install the Pulumi CLI: https://www.pulumi.com/docs/install/" >&2; exit 1; }',
    'command -v openssl >/dev/null || { echo "openssl is needed to generate passwords" >&2; exit 1; }',
    "",
    "npm install",
    'pulumi stack select --create "${STACK:-prod}"',
    "",
    set("platform", o.platform),
    'pulumi config set region "$REGION"',
  );
  if (o.platform === "gcp") lines.push('pulumi config set gcpProject "$GCP_PROJECT"');
  lines.push(
    set("deploymentName", slug),
    set("size", o.size),
    set("mysqlVersion", o.mysqlVersion),
    set("backupRetentionDays", o.backupRetentionDays),
    `pulumi config set --path redis.enabled ${o.redis.enabled ? "true" : "false"}`,
    `pulumi config set --path redis.memoryGb ${o.redis.memoryGb}`,
    "",
    "# The deployment's license (the application sends it with its telemetry; renewals: set it again and `pulumi up`).",
    `pulumi config set --secret licenseToken ${shellQuote(o.licenseToken)}`,
    "# Generated here, never sent anywhere: kept only in the stack's encrypted configuration.",
    secretIfUnset("databasePassword", 24),
  );
  if (o.platform === "aws" && o.redis.enabled) lines.push(secretIfUnset("redisAuthToken", 32));
  lines.push("", 'echo "Configured. Review with \\`pulumi config\\`, then run \\`pulumi up\\`."', "");
  return lines.join("\n");
}

function sizeTable(platform: TemplatePlatform): string {
  const key = platform === "aws" ? "nodeInstanceType" : platform === "gcp" ? "nodeMachineType" : "nodeVmSize";
  const rows = TEMPLATE_SIZES.map((size) => {
    const shape = TEMPLATE_SIZE_SHAPES[size];
    const cloud = shape[platform] as unknown as Record<string, string>;
    return `| ${size} | ${shape.vcpu} vCPU / ${shape.memoryGiB} GiB | ${cloud[key]} | ${shape.nodes} |`;
  });
  return ["| size | nodes of | node type | default node count |", "| --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

function cloudReadme(o: z.output<typeof ZBundleOptions>, slug: string): string {
  const platform = o.platform as TemplatePlatform;
  const login = {
    aws: "AWS credentials for the target account (`aws configure` or `AWS_PROFILE`)",
    gcp: "`gcloud auth application-default login`, and the project's Compute, Kubernetes Engine, Cloud SQL Admin, Service Networking, Redis and Cloud Storage APIs enabled",
    azure: "`az login` and `az account set --subscription <id>`",
  }[platform];
  return `# ${o.deploymentName}: install on ${platform.toUpperCase()}

A Pulumi program that creates what the ML platform needs in your ${platform.toUpperCase()} account: a Kubernetes cluster,
MySQL ${o.mysqlVersion} with automated backups (${o.backupRetentionDays} days), an object-storage bucket with access/audit
logging${o.redis.enabled ? `, and Redis 6 (${o.redis.memoryGb} GB) with TLS and authentication` : ""}. Databases,
caches and buckets are private: reachable from the cluster's network only, never from the internet.

## Steps

1. Install Node.js 20+, the Pulumi CLI and openssl; ${login}.
2. \`pulumi login\` (Pulumi Cloud or a self-managed backend such as \`pulumi login s3://…\`).
3. \`REGION=<region>${platform === "gcp" ? " GCP_PROJECT=<project>" : ""} ./setup.sh\`: installs the dependencies, creates
   the stack and sets its configuration. Your license is stored with \`pulumi config set --secret licenseToken\`,
   so it is encrypted in the stack configuration; the database password${platform === "aws" && o.redis.enabled ? " and the Redis auth token are" : " is"} generated on your machine.
4. \`pulumi up\`.
5. Point kubectl at the cluster (\`pulumi stack output kubeconfigCommand\`), then create the application's secret from
   \`pulumi stack output appSecrets --show-secrets\` (license, database and Redis credentials, bucket) and install the
   Helm chart.

## Size

${sizeTable(platform)}

Change with \`pulumi config set size minimum|recommended\` or \`pulumi config set nodeCount <n>\`. Restrict the Kubernetes
API to your networks with \`pulumi config set --path 'clusterApiCidrs[0]' 203.0.113.0/24\`.

## Outputs

clusterName, clusterEndpoint, kubeconfigCommand, databaseEndpoint, databaseName (\`${DATABASE_NAME}\`), bucket,
auditLog (where the bucket's access logs go), redisEndpoint, appSecrets (secret).

Deployment: ${slug}. Databases and buckets are protected against deletion; \`pulumi destroy\` stops at them until you
lift that protection yourself.
`;
}

function bareMetalReadme(deploymentName: string): string {
  return `# ${deploymentName}: install on your own Kubernetes

No cloud program for bare metal: bring a Kubernetes cluster (nodes of at least 4 vCPU / 8 GiB; 8 vCPU / 32 GiB
recommended), MySQL 5.7 or 8.0 with backups, S3-compatible object storage with access logging, and optionally Redis 6
(4-8 GB) with TLS and a password.

1. Fill in \`values.yaml\`: the database, bucket and Redis endpoints and credentials. The license is already in it.
2. Keep \`values.yaml\` private (it holds the license): store it as a Kubernetes secret or in your secrets manager, not
   in a public repository.
3. \`helm install ml-platform <chart> -f values.yaml\`.
`;
}

function bareMetalValues(o: z.output<typeof ZBundleOptions>, slug: string): string {
  return [
    `# Helm values for ${o.deploymentName}. Holds the license: keep this file private.`,
    `license: ${JSON.stringify(o.licenseToken)}`,
    `deploymentName: ${slug}`,
    "mysql:",
    "  # MySQL 5.7 or 8.0; TLS required.",
    '  host: ""',
    "  port: 3306",
    `  database: ${DATABASE_NAME}`,
    '  user: ""',
    '  password: ""',
    "bucket:",
    "  # S3-compatible; enable access logging on it.",
    '  name: ""',
    '  endpoint: ""',
    '  region: ""',
    '  accessKeyId: ""',
    '  secretAccessKey: ""',
    "redis:",
    `  enabled: ${o.redis.enabled}`,
    '  url: "" # rediss://:<password>@<host>:6379',
    "",
  ].join("\n");
}

// --- tar ---------------------------------------------------------------------------------------------------------------

// A minimal POSIX ustar writer: a bundle is a handful of small text files, which does not justify a dependency.
function tarArchive(root: string, files: BundleFile[], now: Date): Buffer {
  const mtime = Math.floor(now.getTime() / 1000);
  const blocks: Buffer[] = [tarHeader(`${root}/`, 0, 0o755, "5", mtime)];
  for (const file of files) {
    const body = Buffer.from(file.content, "utf8");
    blocks.push(tarHeader(`${root}/${file.path}`, body.length, file.executable ? 0o755 : 0o644, "0", mtime));
    blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function tarHeader(path: string, size: number, mode: number, type: "0" | "5", mtime: number): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`tar path too long for ustar: ${path}`);
  const header = Buffer.alloc(512);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  header.write(path, 0, 100, "utf8");
  header.write(octal(mode, 8), 100, 8, "ascii");
  header.write(octal(0, 8), 108, 8, "ascii");
  header.write(octal(0, 8), 116, 8, "ascii");
  header.write(octal(size, 12), 124, 12, "ascii");
  header.write(octal(mtime, 12), 136, 12, "ascii");
  header.write("        ", 148, 8, "ascii");
  header.write(type, 156, 1, "ascii");
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return header;
}
