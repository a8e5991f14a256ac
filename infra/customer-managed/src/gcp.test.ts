// The GCP install template under Pulumi mocks: what it would create, with which settings.
import { describe, expect, it } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import { isSecretInput, plainStrings, runTemplate, TEST_SECRETS, unwrap, type StackConfig } from "./mock-run";

function stack(overrides: StackConfig = {}): StackConfig {
  return {
    platform: "gcp",
    region: "europe-west1",
    gcpProject: "acme-ml-prod",
    size: "minimum",
    mysqlVersion: "8.0",
    deploymentName: "acme-ml",
    backupRetentionDays: 14,
    ...overrides,
  };
}

function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "gcp:container/cluster:Cluster":
      return { endpoint: "34.1.2.3" };
    case "gcp:sql/databaseInstance:DatabaseInstance":
      return { privateIpAddress: "10.100.0.3" };
    case "gcp:storage/bucket:Bucket":
      return { name: `acme-ml-${args.name}-1a2b3c`, id: `acme-ml-${args.name}-1a2b3c` };
    case "gcp:redis/instance:Instance":
      return { host: "10.100.1.4", port: 6378, authString: "gcp-generated-auth" };
    default:
      return { name: inputs.name ?? args.name };
  }
}

const run = (config: StackConfig) => runTemplate(config, computed);

// Several program runs per case: allow for a loaded machine.
describe("GCP install template", { timeout: 30_000 }, () => {
  it("sizes the node pool: minimum is n2-custom-4-8192 (4 vCPU / 8 GB), recommended n2-standard-8 (8 / 32)", async () => {
    const minimum = await run(stack());
    expect(minimum.failures).toEqual([]);
    expect(minimum.ofType("pulumi:providers:gcp")[0]!.inputs).toMatchObject({
      project: "acme-ml-prod",
      region: "europe-west1",
    });
    expect(minimum.named("nodes").inputs).toMatchObject({
      location: "europe-west1",
      autoscaling: { totalMinNodeCount: 2, totalMaxNodeCount: 4 },
      nodeConfig: { machineType: "n2-custom-4-8192", workloadMetadataConfig: { mode: "GKE_METADATA" } },
    });
    expect(minimum.named("cluster").inputs).toMatchObject({
      removeDefaultNodePool: true,
      privateClusterConfig: { enablePrivateNodes: true },
      workloadIdentityConfig: { workloadPool: "acme-ml-prod.svc.id.goog" },
    });

    const recommended = await run(stack({ size: "recommended", clusterApiCidrs: ["203.0.113.0/24"] }));
    expect(recommended.named("nodes").inputs).toMatchObject({
      autoscaling: { totalMinNodeCount: 3, totalMaxNodeCount: 5 },
      nodeConfig: { machineType: "n2-standard-8" },
    });
    expect(recommended.named("cluster").inputs.masterAuthorizedNetworksConfig).toEqual({
      cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }],
    });
    expect(recommended.named("db").inputs.settings).toMatchObject({
      tier: "db-custom-4-32768",
      availabilityType: "REGIONAL",
    });
  });

  it("creates Cloud SQL MySQL of the configured version on a private IP only, with daily backups", async () => {
    for (const [version, databaseVersion] of [
      ["8.0", "MYSQL_8_0"],
      ["5.7", "MYSQL_5_7"],
    ] as const) {
      const result = await run(stack({ mysqlVersion: version }));
      const db = result.named("db").inputs;
      expect(db).toMatchObject({ databaseVersion, deletionProtection: true });
      expect(db.settings).toMatchObject({
        tier: "db-custom-2-8192",
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: "network-id",
          sslMode: "ENCRYPTED_ONLY",
          authorizedNetworks: [],
        },
        backupConfiguration: {
          enabled: true,
          binaryLogEnabled: true,
          backupRetentionSettings: { retainedBackups: 14, retentionUnit: "COUNT" },
          transactionLogRetentionDays: 7,
        },
      });
    }
    const result = await run(stack());
    expect(result.named("services-peering").inputs.reservedPeeringRanges).toEqual(["acme-ml-services"]);
    const user = result.named("db-user").inputs;
    expect(isSecretInput(user.password)).toBe(true);
    expect(unwrap(user.password)).toBe(TEST_SECRETS.databasePassword);
  });

  it("keeps the bucket private and versioned, with usage logs and Data Access audit logs", async () => {
    const result = await run(stack());
    expect(result.named("data").inputs).toMatchObject({
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      logging: { logBucket: "acme-ml-logs-1a2b3c", logObjectPrefix: "gcs-usage/" },
    });
    expect(result.named("logs").inputs.publicAccessPrevention).toBe("enforced");
    expect(result.named("logs-writer").inputs).toMatchObject({
      bucket: "acme-ml-logs-1a2b3c",
      role: "roles/storage.objectCreator",
      member: "group:cloud-storage-analytics@google.com",
    });
    expect(result.named("storage-audit").inputs).toMatchObject({
      project: "acme-ml-prod",
      service: "storage.googleapis.com",
      auditLogConfigs: [{ logType: "ADMIN_READ" }, { logType: "DATA_READ" }, { logType: "DATA_WRITE" }],
    });
    expect(result.outputs).toMatchObject({
      bucket: "acme-ml-data-1a2b3c",
      databaseEndpoint: "10.100.0.3:3306",
      redisEndpoint: null,
    });
  });

  it("creates Memorystore only when enabled: Redis 6, AUTH, TLS, private service access", async () => {
    const without = await run(stack());
    expect(without.ofType("gcp:redis/instance:Instance")).toEqual([]);

    const result = await run(stack({ redis: { enabled: true, memoryGb: 5 } }));
    expect(result.failures).toEqual([]);
    expect(result.named("redis").inputs).toMatchObject({
      memorySizeGb: 5,
      redisVersion: "REDIS_6_X",
      authEnabled: true,
      transitEncryptionMode: "SERVER_AUTHENTICATION",
      connectMode: "PRIVATE_SERVICE_ACCESS",
      authorizedNetwork: "network-id",
    });
    expect(result.outputs.redisEndpoint).toBe("10.100.1.4:6378");
    const material = JSON.parse(String(result.outputs.appSecrets)) as Record<string, unknown>;
    expect(material.redisUrl).toBe("rediss://:gcp-generated-auth@10.100.1.4:6378");
  });

  it("keeps the license token and password secret: only in the secret appSecrets output", async () => {
    const result = await run(stack({ redis: { enabled: true, memoryGb: 4 } }));
    expect(result.secretOutputs).toEqual(["appSecrets"]);
    expect(JSON.parse(String(result.outputs.appSecrets))).toMatchObject({
      licenseToken: TEST_SECRETS.licenseToken,
      databasePassword: TEST_SECRETS.databasePassword,
    });
    const plainOutputs = JSON.stringify({ ...result.outputs, appSecrets: undefined });
    const plainInputs = result.resources.flatMap((r) => plainStrings(r.inputs)).join("\n");
    for (const secret of [TEST_SECRETS.licenseToken, TEST_SECRETS.databasePassword, "gcp-generated-auth"]) {
      expect(plainOutputs).not.toContain(secret);
      expect(plainInputs).not.toContain(secret);
    }
  });

  it("asks for the project", async () => {
    await expect(run(stack({ gcpProject: null }))).rejects.toThrow(
      /gcpProject: gcpProject is required on GCP: pulumi config set gcpProject/,
    );
  });
});
