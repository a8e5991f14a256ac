// The Azure install template: a resource group and virtual network, AKS with a system agent pool, Azure Database for
// MySQL flexible server on a delegated subnet (no public access), a storage account and blob container whose blob
// reads/writes/deletes go to a Log Analytics workspace through a diagnostic setting, and optional Azure Cache for
// Redis 6 behind a private endpoint with TLS 1.2 only and the non-TLS port off.
//
// Only the modules used are imported: the package root would load (and type-check) every Azure service.
import { createHash } from "node:crypto";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as dbformysql from "@pulumi/azure-native/dbformysql";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as redis from "@pulumi/azure-native/redis";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { appSecretOutput, type TemplateConfig, type TemplateOutputs } from "./config";
import { azureRedisSku, DATABASE_NAME, DATABASE_USER, nodeCountOf, TEMPLATE_SIZE_SHAPES } from "./settings";

export function azureProgram({ settings, secrets }: TemplateConfig): TemplateOutputs {
  const shape = TEMPLATE_SIZE_SHAPES[settings.size].azure;
  const prefix = settings.deploymentName;
  const location = settings.region;
  const tags = { "ml-platform-deployment": prefix, "managed-by": "pulumi" };

  const group = new resources.ResourceGroup("group", { resourceGroupName: `${prefix}-rg`, location, tags });
  const resourceGroupName = group.name;

  // Network: one subnet for the nodes (Azure CNI overlay: pods do not take subnet addresses), one delegated to MySQL,
  // one for private endpoints.
  const vnet = new network.VirtualNetwork("vnet", {
    resourceGroupName,
    location,
    virtualNetworkName: `${prefix}-vnet`,
    addressSpace: { addressPrefixes: ["10.50.0.0/16"] },
    tags,
  });
  const nodeSubnet = new network.Subnet("nodes-subnet", {
    resourceGroupName,
    virtualNetworkName: vnet.name,
    subnetName: "nodes",
    addressPrefix: "10.50.0.0/20",
  });
  const dbSubnet = new network.Subnet(
    "db-subnet",
    {
      resourceGroupName,
      virtualNetworkName: vnet.name,
      subnetName: "mysql",
      addressPrefix: "10.50.16.0/24",
      delegations: [{ name: "mysql", serviceName: "Microsoft.DBforMySQL/flexibleServers" }],
    },
    { dependsOn: [nodeSubnet] },
  );
  const endpointSubnet = new network.Subnet(
    "endpoints-subnet",
    {
      resourceGroupName,
      virtualNetworkName: vnet.name,
      subnetName: "endpoints",
      addressPrefix: "10.50.17.0/24",
    },
    { dependsOn: [dbSubnet] },
  );
  const privateZone = (name: string, zoneName: string) => {
    const zone = new privatedns.PrivateZone(name, {
      resourceGroupName,
      privateZoneName: zoneName,
      location: "global",
      tags,
    });
    new privatedns.VirtualNetworkLink(`${name}-link`, {
      resourceGroupName,
      privateZoneName: zone.name,
      location: "global",
      virtualNetwork: { id: vnet.id },
      registrationEnabled: false,
      tags,
    });
    return zone;
  };

  // Cluster: AKS with a system pool of the size's VM, Azure RBAC-less Kubernetes RBAC, optional API allowlist.
  const nodes = nodeCountOf(settings);
  const cluster = new containerservice.ManagedCluster("cluster", {
    resourceGroupName,
    location,
    resourceName: prefix,
    dnsPrefix: prefix,
    identity: { type: "SystemAssigned" },
    enableRBAC: true,
    agentPoolProfiles: [
      {
        name: "system",
        mode: "System",
        type: "VirtualMachineScaleSets",
        osType: "Linux",
        vmSize: shape.nodeVmSize,
        count: nodes,
        enableAutoScaling: true,
        minCount: nodes,
        maxCount: nodes + 2,
        osDiskSizeGB: 128,
        vnetSubnetID: nodeSubnet.id,
      },
    ],
    networkProfile: {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      podCidr: "10.244.0.0/16",
      serviceCidr: "10.60.0.0/16",
      dnsServiceIP: "10.60.0.10",
    },
    apiServerAccessProfile: settings.clusterApiCidrs.length
      ? { authorizedIPRanges: settings.clusterApiCidrs }
      : undefined,
    tags,
  });

  // Database: MySQL flexible server inside the VNet (no public endpoint), backups kept backupRetentionDays.
  const dbZone = privateZone("db-zone", `${prefix}.private.mysql.database.azure.com`);
  const db = new dbformysql.Server(
    "db",
    {
      resourceGroupName,
      location,
      serverName: `${prefix}-db`,
      version: settings.mysqlVersion === "5.7" ? "5.7" : "8.0.21",
      administratorLogin: DATABASE_USER,
      administratorLoginPassword: secrets.databasePassword,
      createMode: "Default",
      sku: { name: shape.dbSkuName, tier: shape.dbSkuTier },
      storage: { storageSizeGB: shape.dbStorageGiB, autoGrow: "Enabled" },
      backup: { backupRetentionDays: settings.backupRetentionDays, geoRedundantBackup: "Disabled" },
      highAvailability: { mode: settings.size === "recommended" ? "ZoneRedundant" : "Disabled" },
      network: {
        delegatedSubnetResourceId: dbSubnet.id,
        privateDnsZoneResourceId: dbZone.id,
        publicNetworkAccess: "Disabled",
      },
      tags,
    },
    { dependsOn: [dbZone] },
  );
  new dbformysql.Database("db-app", {
    resourceGroupName,
    serverName: db.name,
    databaseName: DATABASE_NAME,
    charset: "utf8mb4",
    collation: "utf8mb4_unicode_ci",
  });

  // Storage: account names are global, 3-24 lower-case letters and digits; the hash of the resource group's id (which
  // holds the subscription id) keeps two subscriptions' deployments of the same name apart.
  const accountName = group.id.apply(
    (id) =>
      `${prefix.replace(/[^a-z0-9]/g, "").slice(0, 14)}${createHash("sha256").update(id).digest("hex").slice(0, 8)}`,
  );
  const account = new storage.StorageAccount("data", {
    resourceGroupName,
    location,
    accountName,
    kind: "StorageV2",
    sku: { name: "Standard_ZRS" },
    allowBlobPublicAccess: false,
    enableHttpsTrafficOnly: true,
    minimumTlsVersion: "TLS1_2",
    tags,
  });
  new storage.BlobServiceProperties("data-blob-service", {
    resourceGroupName,
    accountName: account.name,
    blobServicesName: "default",
    isVersioningEnabled: true,
    deleteRetentionPolicy: { enabled: true, days: 7 },
  });
  const container = new storage.BlobContainer("data-container", {
    resourceGroupName,
    accountName: account.name,
    containerName: "ml-platform",
    publicAccess: "None",
  });
  // Audit: every blob read, write and delete is logged to a Log Analytics workspace (the classic storage analytics
  // logs are deprecated in favour of diagnostic settings).
  const workspace = new operationalinsights.Workspace("logs", {
    resourceGroupName,
    location,
    workspaceName: `${prefix}-logs`,
    sku: { name: "PerGB2018" },
    retentionInDays: 90,
    tags,
  });
  new monitor.DiagnosticSetting("data-audit", {
    name: "blob-audit",
    resourceUri: pulumi.interpolate`${account.id}/blobServices/default`,
    workspaceId: workspace.id,
    logs: [
      { category: "StorageRead", enabled: true },
      { category: "StorageWrite", enabled: true },
      { category: "StorageDelete", enabled: true },
    ],
  });

  // Redis (optional): Azure Cache for Redis 6, TLS 1.2 only, access-key auth, reachable through a private endpoint.
  let redisEndpoint: pulumi.Output<string | null> = pulumi.output(null);
  let redisUrl: pulumi.Output<string | null> = pulumi.output(null);
  if (settings.redis.enabled) {
    const cache = new redis.Redis("redis", {
      resourceGroupName,
      location,
      name: `${prefix}-redis`,
      sku: azureRedisSku(settings.redis.memoryGb),
      redisVersion: "6",
      enableNonSslPort: false,
      minimumTlsVersion: "1.2",
      publicNetworkAccess: "Disabled",
      disableAccessKeyAuthentication: false,
      tags,
    });
    const redisZone = privateZone("redis-zone", "privatelink.redis.cache.windows.net");
    const endpoint = new network.PrivateEndpoint("redis-endpoint", {
      resourceGroupName,
      location,
      privateEndpointName: `${prefix}-redis`,
      subnet: { id: endpointSubnet.id },
      privateLinkServiceConnections: [
        { name: "redis", privateLinkServiceId: cache.id, groupIds: ["redisCache"] },
      ],
      tags,
    });
    new network.PrivateDnsZoneGroup("redis-dns", {
      resourceGroupName,
      privateEndpointName: endpoint.name,
      privateDnsZoneGroupName: "default",
      privateDnsZoneConfigs: [{ name: "redis", privateDnsZoneId: redisZone.id }],
    });
    const keys = redis.listRedisKeysOutput({ resourceGroupName, name: cache.name });
    redisEndpoint = pulumi.interpolate`${cache.hostName}:${cache.sslPort}`;
    redisUrl = pulumi.secret(
      pulumi.interpolate`rediss://:${keys.primaryKey}@${cache.hostName}:${cache.sslPort}`,
    );
  }

  return {
    clusterName: cluster.name,
    clusterEndpoint: cluster.fqdn.apply((fqdn) => `https://${fqdn}`),
    kubeconfigCommand: pulumi.interpolate`az aks get-credentials --resource-group ${resourceGroupName} --name ${cluster.name}`,
    databaseEndpoint: pulumi.interpolate`${db.fullyQualifiedDomainName}:3306`,
    databaseName: pulumi.output(DATABASE_NAME),
    bucket: pulumi.interpolate`${account.name}/${container.name}`,
    auditLog: pulumi.interpolate`Log Analytics workspace ${workspace.name} (StorageBlobLogs)`,
    redisEndpoint,
    appSecrets: appSecretOutput({
      licenseToken: secrets.licenseToken,
      databaseHost: db.fullyQualifiedDomainName.apply((h) => h ?? ""),
      databaseName: DATABASE_NAME,
      databaseUser: DATABASE_USER,
      databasePassword: secrets.databasePassword,
      bucket: pulumi.interpolate`${account.name}/${container.name}`,
      redisUrl,
    }),
  };
}
