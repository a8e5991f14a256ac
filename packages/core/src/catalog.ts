// What a customer can order: regions per cloud and size presets with what each maps to on each cloud.
import type { Cloud } from "./deployment";

export const ORDERABLE_CLOUDS = ["aws", "gcp", "local"] as const;
export type OrderableCloud = (typeof ORDERABLE_CLOUDS)[number];
/** Shown in the wizard but not selectable yet. */
export const COMING_SOON_CLOUDS: readonly Cloud[] = ["azure"];

export interface Region {
  code: string;
  name: string;
}

export const REGIONS: Record<OrderableCloud, readonly Region[]> = {
  aws: [
    { code: "us-east-1", name: "US East (N. Virginia)" },
    { code: "us-east-2", name: "US East (Ohio)" },
    { code: "us-west-2", name: "US West (Oregon)" },
    { code: "ca-central-1", name: "Canada (Central)" },
    { code: "eu-west-1", name: "Europe (Ireland)" },
    { code: "eu-west-2", name: "Europe (London)" },
    { code: "eu-central-1", name: "Europe (Frankfurt)" },
    { code: "eu-north-1", name: "Europe (Stockholm)" },
    { code: "ap-northeast-1", name: "Asia Pacific (Tokyo)" },
    { code: "ap-southeast-1", name: "Asia Pacific (Singapore)" },
    { code: "ap-southeast-2", name: "Asia Pacific (Sydney)" },
    { code: "ap-south-1", name: "Asia Pacific (Mumbai)" },
  ],
  gcp: [
    { code: "us-central1", name: "Iowa" },
    { code: "us-east1", name: "South Carolina" },
    { code: "us-east4", name: "Northern Virginia" },
    { code: "us-west1", name: "Oregon" },
    { code: "northamerica-northeast1", name: "Montréal" },
    { code: "europe-west1", name: "Belgium" },
    { code: "europe-west2", name: "London" },
    { code: "europe-west3", name: "Frankfurt" },
    { code: "europe-west4", name: "Netherlands" },
    { code: "asia-northeast1", name: "Tokyo" },
    { code: "asia-southeast1", name: "Singapore" },
    { code: "australia-southeast1", name: "Sydney" },
  ],
  local: [{ code: "local", name: "This machine" }],
};

export function isKnownRegion(cloud: OrderableCloud, region: string): boolean {
  return REGIONS[cloud].some((r) => r.code === region);
}

export const SIZE_IDS = ["small", "recommended", "large", "xlarge"] as const;
export type SizeId = (typeof SIZE_IDS)[number];

export interface SizePreset {
  id: SizeId;
  label: string;
  vcpu: number;
  memoryGiB: number;
  /** Kubernetes nodes in the node group. */
  nodes: number;
  storageQuotaGiB: number;
  /** vCPUs of the database (the dbInstanceClass / dbTier below); database CPU % is measured against them. */
  dbVcpus: number;
  note?: string;
  aws: { nodeInstanceType: string; dbInstanceClass: string; dbStorageGiB: number };
  gcp: { nodeMachineType: string; dbTier: string; dbStorageGiB: number };
  /** The local cloud's tenant service limits (a stand-in: it runs on this machine; its database gets one core). */
  local: { maxConnections: number; dbVcpus: number };
}

export const SIZES: Record<SizeId, SizePreset> = {
  small: {
    id: "small",
    label: "Minimum",
    vcpu: 4,
    memoryGiB: 8,
    nodes: 2,
    storageQuotaGiB: 100,
    dbVcpus: 2,
    note: "The floor: evaluation and small teams.",
    aws: { nodeInstanceType: "m6i.xlarge", dbInstanceClass: "db.m6g.large", dbStorageGiB: 50 },
    gcp: { nodeMachineType: "e2-standard-4", dbTier: "db-custom-2-8192", dbStorageGiB: 50 },
    local: { maxConnections: 20, dbVcpus: 1 },
  },
  recommended: {
    id: "recommended",
    label: "Recommended",
    vcpu: 8,
    memoryGiB: 32,
    nodes: 3,
    storageQuotaGiB: 500,
    dbVcpus: 4,
    note: "Recommended for production.",
    aws: { nodeInstanceType: "m6i.2xlarge", dbInstanceClass: "db.r6g.xlarge", dbStorageGiB: 200 },
    gcp: { nodeMachineType: "n2-standard-8", dbTier: "db-custom-4-32768", dbStorageGiB: 200 },
    local: { maxConnections: 50, dbVcpus: 1 },
  },
  large: {
    id: "large",
    label: "Large",
    vcpu: 16,
    memoryGiB: 64,
    nodes: 3,
    storageQuotaGiB: 2000,
    dbVcpus: 8,
    aws: { nodeInstanceType: "m6i.4xlarge", dbInstanceClass: "db.r6g.2xlarge", dbStorageGiB: 500 },
    gcp: { nodeMachineType: "n2-standard-16", dbTier: "db-custom-8-65536", dbStorageGiB: 500 },
    local: { maxConnections: 100, dbVcpus: 1 },
  },
  xlarge: {
    id: "xlarge",
    label: "Extra large",
    vcpu: 32,
    memoryGiB: 128,
    nodes: 4,
    storageQuotaGiB: 5000,
    dbVcpus: 16,
    aws: { nodeInstanceType: "m6i.8xlarge", dbInstanceClass: "db.r6g.4xlarge", dbStorageGiB: 1000 },
    gcp: { nodeMachineType: "n2-standard-32", dbTier: "db-custom-16-131072", dbStorageGiB: 1000 },
    local: { maxConnections: 200, dbVcpus: 1 },
  },
};

export const MYSQL_VERSIONS = ["5.7", "8.0"] as const;
export type MysqlVersion = (typeof MYSQL_VERSIONS)[number];

export const DEFAULT_RATE_LIMITS = { filestream: 20, graphql: 200 } as const;

/** The release new instances run until the release catalog exists. */
export const DEFAULT_APP_VERSION = "0.64.0";
