// What an install template is made of, without Pulumi: the template settings, validated with zod, and the machine
// types each cloud uses for the two sizes. The bundle renderer (bundle.ts) uses this file too, so it must never import
// a cloud SDK or @pulumi/pulumi: the console loads the renderer and must not load those.
import { z } from "zod";

export const TEMPLATE_PLATFORMS = ["aws", "gcp", "azure"] as const;
export type TemplatePlatform = (typeof TEMPLATE_PLATFORMS)[number];

export const TEMPLATE_SIZES = ["minimum", "recommended"] as const;
export type TemplateSize = (typeof TEMPLATE_SIZES)[number];

export const TEMPLATE_MYSQL_VERSIONS = ["5.7", "8.0"] as const;
export type TemplateMysqlVersion = (typeof TEMPLATE_MYSQL_VERSIONS)[number];

/** The Pulumi project name of every template; stack configuration keys live in its namespace. */
export const PROJECT_NAME = "ml-platform";
/** The database the application uses, and its administrator. */
export const DATABASE_NAME = "app";
export const DATABASE_USER = "mladmin";

export interface NodeShape {
  vcpu: number;
  memoryGiB: number;
  /** Nodes when `nodeCount` is not set. */
  nodes: number;
  aws: { nodeInstanceType: string; dbInstanceClass: string; dbStorageGiB: number };
  gcp: { nodeMachineType: string; dbTier: string; dbStorageGiB: number };
  azure: {
    nodeVmSize: string;
    dbSkuName: string;
    dbSkuTier: "GeneralPurpose" | "MemoryOptimized";
    dbStorageGiB: number;
  };
}

/**
 * Node types per size (vCPU / memory of each checked against the clouds' published specs; the README has the table).
 * Minimum: 4 vCPU / 8 GiB nodes. Recommended: 8 vCPU / 32 GiB nodes. GCP has no predefined 4 vCPU / 8 GB type, so the
 * minimum uses a custom N2 shape (`n2-custom-<vcpu>-<MiB>`).
 */
export const TEMPLATE_SIZE_SHAPES: Record<TemplateSize, NodeShape> = {
  minimum: {
    vcpu: 4,
    memoryGiB: 8,
    nodes: 2,
    aws: { nodeInstanceType: "c6i.xlarge", dbInstanceClass: "db.m6g.large", dbStorageGiB: 50 },
    gcp: { nodeMachineType: "n2-custom-4-8192", dbTier: "db-custom-2-8192", dbStorageGiB: 50 },
    azure: {
      nodeVmSize: "Standard_F4s_v2",
      dbSkuName: "Standard_D2ads_v5",
      dbSkuTier: "GeneralPurpose",
      dbStorageGiB: 64,
    },
  },
  recommended: {
    vcpu: 8,
    memoryGiB: 32,
    nodes: 3,
    aws: { nodeInstanceType: "m6i.2xlarge", dbInstanceClass: "db.r6g.xlarge", dbStorageGiB: 200 },
    gcp: { nodeMachineType: "n2-standard-8", dbTier: "db-custom-4-32768", dbStorageGiB: 200 },
    azure: {
      nodeVmSize: "Standard_D8s_v5",
      dbSkuName: "Standard_E4ads_v5",
      dbSkuTier: "MemoryOptimized",
      dbStorageGiB: 256,
    },
  },
};

/**
 * Redis comes in fixed sizes on AWS and Azure: the smallest node with at least the requested memory. GCP Memorystore
 * takes the size in GB as asked.
 */
export function awsCacheNodeType(memoryGb: number): string {
  // cache.m6g.large: 6.38 GiB; cache.r6g.large: 13.07 GiB.
  return memoryGb <= 6 ? "cache.m6g.large" : "cache.r6g.large";
}

export function azureRedisSku(memoryGb: number): { name: "Standard"; family: "C"; capacity: number } {
  // C3: 6 GB; C4: 13 GB. Standard is the replicated tier (Basic has no SLA).
  return { name: "Standard", family: "C", capacity: memoryGb <= 6 ? 3 : 4 };
}

const ZFlag = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

export const ZTemplateSettings = z
  .object({
    platform: z.enum(TEMPLATE_PLATFORMS, { error: 'platform must be "aws", "gcp" or "azure"' }),
    region: z.string().min(1, "region is required, e.g. us-east-1, us-central1 or eastus"),
    size: z.enum(TEMPLATE_SIZES, { error: 'size must be "minimum" or "recommended"' }),
    nodeCount: z.coerce
      .number()
      .int()
      .min(1, "nodeCount must be at least 1")
      .max(50, "nodeCount is at most 50")
      .optional(),
    mysqlVersion: z.enum(TEMPLATE_MYSQL_VERSIONS, { error: 'mysqlVersion must be "5.7" or "8.0"' }),
    redis: z
      .object({
        enabled: ZFlag,
        memoryGb: z.coerce
          .number()
          .int()
          .min(4, "redis.memoryGb must be 4 to 8")
          .max(8, "redis.memoryGb must be 4 to 8")
          .default(6),
      })
      .default({ enabled: false, memoryGb: 6 }),
    deploymentName: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{1,18}[a-z0-9]$/,
        "deploymentName must be 3-20 lower-case letters, digits or dashes, starting with a letter (it prefixes cloud resource names)",
      ),
    backupRetentionDays: z.coerce
      .number()
      .int()
      .min(1, "backupRetentionDays must be 1 to 35 (the most RDS and Azure keep)")
      .max(35, "backupRetentionDays must be 1 to 35 (the most RDS and Azure keep)")
      .default(7),
    /** CIDR blocks that may reach the Kubernetes API; empty leaves it open to the internet (still authenticated). */
    clusterApiCidrs: z.array(z.string()).default([]),
    /** GCP only: the project to create the resources in. */
    gcpProject: z.string().optional(),
  })
  .refine((s) => s.platform !== "gcp" || !!s.gcpProject, {
    path: ["gcpProject"],
    message: "gcpProject is required on GCP: pulumi config set gcpProject <project-id>",
  });

export type TemplateSettings = z.infer<typeof ZTemplateSettings>;

export function nodeCountOf(settings: TemplateSettings): number {
  return settings.nodeCount ?? TEMPLATE_SIZE_SHAPES[settings.size].nodes;
}
