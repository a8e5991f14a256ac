// The GCP install template: a VPC with a subnetwork for GKE (pods/services ranges) and Cloud NAT, private services
// access for Cloud SQL and Memorystore, a regional GKE cluster with private nodes, Cloud SQL MySQL on a private IP
// only, a GCS bucket with usage logs into a log bucket plus Data Access audit logs for Cloud Storage, and optional
// Memorystore Redis 6 with AUTH and TLS. Everything is pinned to an explicit provider for the configured project.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { appSecretOutput, type TemplateConfig, type TemplateOutputs } from "./config";
import { DATABASE_NAME, DATABASE_USER, nodeCountOf, TEMPLATE_SIZE_SHAPES } from "./settings";

export function gcpProgram({ settings, secrets }: TemplateConfig): TemplateOutputs {
  const shape = TEMPLATE_SIZE_SHAPES[settings.size].gcp;
  const prefix = settings.deploymentName;
  const project = settings.gcpProject!;
  const region = settings.region;
  const labels = { "ml-platform-deployment": prefix, "managed-by": "pulumi" };
  const provider = new gcp.Provider("gcp", { project, region });
  const opts: pulumi.CustomResourceOptions = { provider };

  // Network.
  const network = new gcp.compute.Network(
    "network",
    { name: `${prefix}-net`, autoCreateSubnetworks: false },
    opts,
  );
  const subnet = new gcp.compute.Subnetwork(
    "nodes-subnet",
    {
      name: `${prefix}-nodes`,
      region,
      network: network.id,
      ipCidrRange: "10.40.0.0/20",
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.44.0.0/14" },
        { rangeName: "services", ipCidrRange: "10.48.0.0/20" },
      ],
    },
    opts,
  );
  const router = new gcp.compute.Router(
    "router",
    { name: `${prefix}-router`, region, network: network.id },
    opts,
  );
  new gcp.compute.RouterNat(
    "nat",
    {
      name: `${prefix}-nat`,
      region,
      router: router.name,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
    },
    opts,
  );
  // Private services access: Cloud SQL and Memorystore get addresses in this range, reachable from the VPC only.
  const peeringRange = new gcp.compute.GlobalAddress(
    "services-range",
    {
      name: `${prefix}-services`,
      network: network.id,
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      prefixLength: 16,
    },
    opts,
  );
  const peering = new gcp.servicenetworking.Connection(
    "services-peering",
    {
      network: network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [peeringRange.name],
    },
    opts,
  );

  // Cluster: regional control plane, private nodes (egress through Cloud NAT), workload identity.
  const cluster = new gcp.container.Cluster(
    "cluster",
    {
      name: prefix,
      location: region,
      network: network.id,
      subnetwork: subnet.id,
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: false,
        masterIpv4CidrBlock: "172.16.0.32/28",
      },
      masterAuthorizedNetworksConfig: settings.clusterApiCidrs.length
        ? { cidrBlocks: settings.clusterApiCidrs.map((cidrBlock) => ({ cidrBlock })) }
        : undefined,
      workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      releaseChannel: { channel: "REGULAR" },
      deletionProtection: true,
      resourceLabels: labels,
    },
    opts,
  );
  const nodes = nodeCountOf(settings);
  new gcp.container.NodePool(
    "nodes",
    {
      name: `${prefix}-nodes`,
      cluster: cluster.name,
      location: region,
      // A regional pool's node count is per zone; the autoscaler's totals are across zones, so they carry nodeCount.
      initialNodeCount: 1,
      autoscaling: { totalMinNodeCount: nodes, totalMaxNodeCount: nodes + 2, locationPolicy: "BALANCED" },
      management: { autoRepair: true, autoUpgrade: true },
      nodeConfig: {
        machineType: shape.nodeMachineType,
        diskSizeGb: 100,
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        resourceLabels: labels,
      },
    },
    opts,
  );

  // Database: Cloud SQL MySQL on a private IP only, TLS required, daily backups with binary logs.
  const db = new gcp.sql.DatabaseInstance(
    "db",
    {
      name: `${prefix}-db`,
      region,
      databaseVersion: settings.mysqlVersion === "5.7" ? "MYSQL_5_7" : "MYSQL_8_0",
      deletionProtection: true,
      settings: {
        tier: shape.dbTier,
        edition: "ENTERPRISE",
        availabilityType: settings.size === "recommended" ? "REGIONAL" : "ZONAL",
        diskSize: shape.dbStorageGiB,
        diskAutoresize: true,
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: network.id,
          sslMode: "ENCRYPTED_ONLY",
          authorizedNetworks: [],
        },
        backupConfiguration: {
          enabled: true,
          binaryLogEnabled: true,
          startTime: "03:00",
          backupRetentionSettings: { retainedBackups: settings.backupRetentionDays, retentionUnit: "COUNT" },
          transactionLogRetentionDays: Math.min(settings.backupRetentionDays, 7),
        },
        userLabels: labels,
      },
    },
    { ...opts, dependsOn: [peering] },
  );
  new gcp.sql.Database("db-app", { name: DATABASE_NAME, instance: db.name }, opts);
  new gcp.sql.User(
    "db-user",
    { name: DATABASE_USER, instance: db.name, password: secrets.databasePassword },
    opts,
  );

  // Storage: usage logs of the data bucket go to a log bucket, written by Cloud Storage's analytics group; Data Access
  // audit logs (reads and writes) for Cloud Storage are turned on in the project and land in Cloud Logging.
  const logs = new gcp.storage.Bucket(
    "logs",
    {
      location: region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 365 } }],
      labels,
    },
    opts,
  );
  new gcp.storage.BucketIAMMember(
    "logs-writer",
    {
      bucket: logs.name,
      role: "roles/storage.objectCreator",
      member: "group:cloud-storage-analytics@google.com",
    },
    opts,
  );
  const data = new gcp.storage.Bucket(
    "data",
    {
      location: region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      logging: { logBucket: logs.name, logObjectPrefix: "gcs-usage/" },
      forceDestroy: false,
      labels,
    },
    opts,
  );
  new gcp.projects.IAMAuditConfig(
    "storage-audit",
    {
      project,
      service: "storage.googleapis.com",
      auditLogConfigs: [{ logType: "ADMIN_READ" }, { logType: "DATA_READ" }, { logType: "DATA_WRITE" }],
    },
    opts,
  );

  // Redis (optional): Memorystore Redis 6, replicated, AUTH on, TLS with server authentication, private access.
  let redisEndpoint: pulumi.Output<string | null> = pulumi.output(null);
  let redisUrl: pulumi.Output<string | null> = pulumi.output(null);
  if (settings.redis.enabled) {
    const redis = new gcp.redis.Instance(
      "redis",
      {
        name: `${prefix}-redis`,
        region,
        tier: "STANDARD_HA",
        memorySizeGb: settings.redis.memoryGb,
        redisVersion: "REDIS_6_X",
        authorizedNetwork: network.id,
        connectMode: "PRIVATE_SERVICE_ACCESS",
        authEnabled: true,
        transitEncryptionMode: "SERVER_AUTHENTICATION",
        labels,
      },
      { ...opts, dependsOn: [peering] },
    );
    redisEndpoint = pulumi.interpolate`${redis.host}:${redis.port}`;
    redisUrl = pulumi.secret(pulumi.interpolate`rediss://:${redis.authString}@${redis.host}:${redis.port}`);
  }

  return {
    clusterName: cluster.name,
    clusterEndpoint: cluster.endpoint,
    kubeconfigCommand: pulumi.interpolate`gcloud container clusters get-credentials ${cluster.name} --region ${region} --project ${project}`,
    databaseEndpoint: pulumi.interpolate`${db.privateIpAddress}:3306`,
    databaseName: pulumi.output(DATABASE_NAME),
    bucket: data.name,
    auditLog: pulumi.interpolate`gs://${logs.name}/gcs-usage/ and Cloud Logging (storage.googleapis.com data_access)`,
    redisEndpoint,
    appSecrets: appSecretOutput({
      licenseToken: secrets.licenseToken,
      databaseHost: db.privateIpAddress,
      databaseName: DATABASE_NAME,
      databaseUser: DATABASE_USER,
      databasePassword: secrets.databasePassword,
      bucket: data.name,
      redisUrl,
    }),
  };
}
