// The Azure install template under Pulumi mocks: what it would create, with which settings.
import { describe, expect, it } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import { isSecretInput, plainStrings, runTemplate, TEST_SECRETS, unwrap, type StackConfig } from "./mock-run";

function stack(overrides: StackConfig = {}): StackConfig {
  return {
    platform: "azure",
    region: "westeurope",
    size: "minimum",
    mysqlVersion: "8.0",
    deploymentName: "acme-ml",
    backupRetentionDays: 14,
    ...overrides,
  };
}

const GROUP_ID = "/subscriptions/0000/resourceGroups/acme-ml-rg";

function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "azure-native:resources:ResourceGroup":
      return { id: GROUP_ID, name: inputs.resourceGroupName };
    case "azure-native:containerservice:ManagedCluster":
      return { name: inputs.resourceName, fqdn: "acme-ml-abc.hcp.westeurope.azmk8s.io" };
    case "azure-native:dbformysql:Server":
      return { name: inputs.serverName, fullyQualifiedDomainName: "acme-ml-db.mysql.database.azure.com" };
    case "azure-native:storage:StorageAccount":
      return {
        id: `${GROUP_ID}/providers/Microsoft.Storage/storageAccounts/${String(inputs.accountName)}`,
        name: inputs.accountName,
      };
    case "azure-native:storage:BlobContainer":
      return { name: inputs.containerName };
    case "azure-native:redis:Redis":
      return {
        id: `${GROUP_ID}/providers/Microsoft.Cache/redis/acme-ml-redis`,
        hostName: "acme-ml-redis.redis.cache.windows.net",
        sslPort: 6380,
      };
    default:
      return { name: args.name, id: `${GROUP_ID}/${args.name}` };
  }
}

function call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  if (args.token === "azure-native:redis:listRedisKeys")
    return { primaryKey: "azure-redis-key", secondaryKey: "k2" };
  throw new Error(`unexpected invoke ${args.token}`);
}

const run = (config: StackConfig) => runTemplate(config, computed, call);

// Several program runs per case: allow for a loaded machine.
describe("Azure install template", { timeout: 30_000 }, () => {
  it("sizes the AKS system pool: minimum Standard_F4s_v2 (4 vCPU / 8 GiB), recommended Standard_D8s_v5 (8 / 32)", async () => {
    const minimum = await run(stack());
    expect(minimum.failures).toEqual([]);
    expect(minimum.named("cluster").inputs.agentPoolProfiles).toEqual([
      expect.objectContaining({ vmSize: "Standard_F4s_v2", count: 2, minCount: 2, mode: "System" }),
    ]);
    expect(minimum.named("db").inputs.sku).toEqual({ name: "Standard_D2ads_v5", tier: "GeneralPurpose" });

    const recommended = await run(stack({ size: "recommended", clusterApiCidrs: ["203.0.113.0/24"] }));
    expect(recommended.named("cluster").inputs).toMatchObject({
      agentPoolProfiles: [expect.objectContaining({ vmSize: "Standard_D8s_v5", count: 3 })],
      apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24"] },
    });
    expect(recommended.named("db").inputs).toMatchObject({
      sku: { name: "Standard_E4ads_v5", tier: "MemoryOptimized" },
      highAvailability: { mode: "ZoneRedundant" },
    });
  });

  it("creates a MySQL flexible server of the configured version, VNet-only, with backups", async () => {
    for (const [version, serverVersion] of [
      ["8.0", "8.0.21"],
      ["5.7", "5.7"],
    ] as const) {
      const result = await run(stack({ mysqlVersion: version }));
      const db = result.named("db").inputs;
      expect(db).toMatchObject({
        version: serverVersion,
        backup: { backupRetentionDays: 14, geoRedundantBackup: "Disabled" },
        network: { publicNetworkAccess: "Disabled", delegatedSubnetResourceId: `${GROUP_ID}/db-subnet` },
      });
      expect(isSecretInput(db.administratorLoginPassword)).toBe(true);
      expect(unwrap(db.administratorLoginPassword)).toBe(TEST_SECRETS.databasePassword);
    }
    const result = await run(stack());
    expect(result.named("db").inputs.network).toMatchObject({
      privateDnsZoneResourceId: `${GROUP_ID}/db-zone`,
    });
    expect(result.named("db-zone").inputs.privateZoneName).toBe("acme-ml.private.mysql.database.azure.com");
    expect(result.named("db").inputs.firewallRules).toBeUndefined();
  });

  it("keeps blobs private and versioned, with reads/writes/deletes audited to Log Analytics", async () => {
    const result = await run(stack());
    const account = result.named("data").inputs;
    expect(account).toMatchObject({
      allowBlobPublicAccess: false,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
    });
    expect(account.accountName).toMatch(/^acmeml[0-9a-f]{8}$/);
    expect(result.ofType("azure-native:storage:BlobContainer")[0]!.inputs.publicAccess).toBe("None");
    expect(result.named("data-blob-service").inputs.isVersioningEnabled).toBe(true);
    expect(result.named("data-audit").inputs).toMatchObject({
      resourceUri: `${GROUP_ID}/providers/Microsoft.Storage/storageAccounts/${String(account.accountName)}/blobServices/default`,
      workspaceId: `${GROUP_ID}/logs`,
      logs: [
        { category: "StorageRead", enabled: true },
        { category: "StorageWrite", enabled: true },
        { category: "StorageDelete", enabled: true },
      ],
    });
  });

  it("creates Azure Cache for Redis only when enabled: Redis 6, TLS 1.2 only, private endpoint", async () => {
    const without = await run(stack());
    expect(without.ofType("azure-native:redis:Redis")).toEqual([]);

    const result = await run(stack({ redis: { enabled: true, memoryGb: 6 } }));
    expect(result.failures).toEqual([]);
    expect(result.named("redis").inputs).toMatchObject({
      redisVersion: "6",
      sku: { name: "Standard", family: "C", capacity: 3 },
      enableNonSslPort: false,
      minimumTlsVersion: "1.2",
      publicNetworkAccess: "Disabled",
      disableAccessKeyAuthentication: false,
    });
    expect(result.named("redis-endpoint").inputs.privateLinkServiceConnections).toEqual([
      expect.objectContaining({ groupIds: ["redisCache"] }),
    ]);
    expect(result.outputs.redisEndpoint).toBe("acme-ml-redis.redis.cache.windows.net:6380");
    const large = await run(stack({ redis: { enabled: true, memoryGb: 8 } }));
    expect(large.named("redis").inputs.sku).toMatchObject({ capacity: 4 });
  });

  it("keeps the license token, password and Redis key secret: only in the secret appSecrets output", async () => {
    const result = await run(stack({ redis: { enabled: true, memoryGb: 6 } }));
    expect(result.secretOutputs).toEqual(["appSecrets"]);
    expect(JSON.parse(String(result.outputs.appSecrets))).toMatchObject({
      licenseToken: TEST_SECRETS.licenseToken,
      databasePassword: TEST_SECRETS.databasePassword,
      redisUrl: "rediss://:azure-redis-key@acme-ml-redis.redis.cache.windows.net:6380",
    });
    const plainOutputs = JSON.stringify({ ...result.outputs, appSecrets: undefined });
    const plainInputs = result.resources.flatMap((r) => plainStrings(r.inputs)).join("\n");
    for (const secret of [TEST_SECRETS.licenseToken, TEST_SECRETS.databasePassword, "azure-redis-key"]) {
      expect(plainOutputs).not.toContain(secret);
      expect(plainInputs).not.toContain(secret);
    }
  });
});
