// The AWS install template: a VPC over two zones, EKS with a managed node group, RDS MySQL, an S3 bucket with server
// access logging into a log bucket, and optional ElastiCache Redis 6 with TLS and an auth token. Everything is pinned
// to an explicit provider in the configured region, so nothing depends on ambient AWS configuration but credentials.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { appSecretOutput, type TemplateConfig, type TemplateOutputs } from "./config";
import {
  awsCacheNodeType,
  DATABASE_NAME,
  DATABASE_USER,
  nodeCountOf,
  TEMPLATE_SIZE_SHAPES,
} from "./settings";

const VPC_CIDR = "10.40.0.0/16";
const ZONE_COUNT = 2;

export function awsProgram({ settings, secrets }: TemplateConfig): TemplateOutputs {
  const shape = TEMPLATE_SIZE_SHAPES[settings.size].aws;
  const prefix = settings.deploymentName;
  const tags = { "ml-platform/deployment": prefix, "managed-by": "pulumi" };
  const provider = new aws.Provider("aws", { region: settings.region as aws.Region });
  const opts: pulumi.CustomResourceOptions = { provider };

  // Network: public subnets for load balancers and the NAT gateway, private subnets for nodes, database and cache.
  const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { provider });
  const zone = (i: number) =>
    zones.names.apply((names) => {
      const name = names[i];
      if (!name) throw new Error(`region ${settings.region} has fewer than ${ZONE_COUNT} availability zones`);
      return name;
    });
  const vpc = new aws.ec2.Vpc(
    "vpc",
    {
      cidrBlock: VPC_CIDR,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { ...tags, Name: prefix },
    },
    opts,
  );
  const gateway = new aws.ec2.InternetGateway("igw", { vpcId: vpc.id, tags }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    "public-routes",
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags },
    opts,
  );
  const publicSubnets: aws.ec2.Subnet[] = [];
  const privateSubnets: aws.ec2.Subnet[] = [];
  for (let i = 0; i < ZONE_COUNT; i++) {
    const subnet = new aws.ec2.Subnet(
      `public-${i}`,
      {
        vpcId: vpc.id,
        availabilityZone: zone(i),
        cidrBlock: `10.40.${i * 16}.0/20`,
        mapPublicIpOnLaunch: false,
        tags: { ...tags, Name: `${prefix}-public-${i}`, "kubernetes.io/role/elb": "1" },
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(
      `public-${i}`,
      { subnetId: subnet.id, routeTableId: publicRoutes.id },
      opts,
    );
    publicSubnets.push(subnet);
  }
  // One NAT gateway: the nodes' egress (images, the license server's telemetry endpoint). A second zone's gateway
  // doubles the cost for availability of egress only; add one per zone if that matters to you.
  const natIp = new aws.ec2.Eip("nat", { domain: "vpc", tags }, opts);
  const nat = new aws.ec2.NatGateway(
    "nat",
    { allocationId: natIp.id, subnetId: publicSubnets[0]!.id, tags },
    { ...opts, dependsOn: [gateway] },
  );
  const privateRoutes = new aws.ec2.RouteTable(
    "private-routes",
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags },
    opts,
  );
  for (let i = 0; i < ZONE_COUNT; i++) {
    const subnet = new aws.ec2.Subnet(
      `private-${i}`,
      {
        vpcId: vpc.id,
        availabilityZone: zone(i),
        cidrBlock: `10.40.${64 + i * 64}.0/18`,
        tags: { ...tags, Name: `${prefix}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(
      `private-${i}`,
      { subnetId: subnet.id, routeTableId: privateRoutes.id },
      opts,
    );
    privateSubnets.push(subnet);
  }
  const privateSubnetIds = privateSubnets.map((s) => s.id);

  // Cluster: EKS with API authentication (the creator is admin), nodes in the private subnets.
  const role = (name: string, service: string, policies: string[]) => {
    const r = new aws.iam.Role(
      name,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      opts,
    );
    const attachments = policies.map(
      (policy, i) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-${i}`,
          { role: r.name, policyArn: `arn:aws:iam::aws:policy/${policy}` },
          opts,
        ),
    );
    return { role: r, attachments };
  };
  const clusterRole = role("cluster-role", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]);
  const nodeRole = role("node-role", "ec2.amazonaws.com", [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
  ]);
  const cluster = new aws.eks.Cluster(
    "cluster",
    {
      name: prefix,
      roleArn: clusterRole.role.arn,
      vpcConfig: {
        subnetIds: [...privateSubnetIds, ...publicSubnets.map((s) => s.id)],
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: settings.clusterApiCidrs.length ? settings.clusterApiCidrs : undefined,
      },
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      tags,
    },
    { ...opts, dependsOn: clusterRole.attachments },
  );
  const nodes = nodeCountOf(settings);
  new aws.eks.NodeGroup(
    "nodes",
    {
      clusterName: cluster.name,
      nodeRoleArn: nodeRole.role.arn,
      subnetIds: privateSubnetIds,
      instanceTypes: [shape.nodeInstanceType],
      diskSize: 100,
      scalingConfig: { desiredSize: nodes, minSize: nodes, maxSize: nodes + 2 },
      updateConfig: { maxUnavailable: 1 },
      tags,
    },
    { ...opts, dependsOn: nodeRole.attachments },
  );
  const clusterSecurityGroupId = cluster.vpcConfig.clusterSecurityGroupId;

  // Database: RDS MySQL in the private subnets, reachable from the cluster only, TLS required, encrypted, backed up.
  const dbSubnets = new aws.rds.SubnetGroup(
    "db-subnets",
    { name: `${prefix}-db`, subnetIds: privateSubnetIds, tags },
    opts,
  );
  const dbSecurityGroup = new aws.ec2.SecurityGroup(
    "db-sg",
    {
      vpcId: vpc.id,
      description: "MySQL from the cluster only",
      ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, securityGroups: [clusterSecurityGroupId] }],
      tags,
    },
    opts,
  );
  const dbParameters = new aws.rds.ParameterGroup(
    "db-params",
    {
      family: `mysql${settings.mysqlVersion}`,
      parameters: [{ name: "require_secure_transport", value: "1" }],
      tags,
    },
    opts,
  );
  const db = new aws.rds.Instance(
    "db",
    {
      identifier: `${prefix}-db`,
      engine: "mysql",
      engineVersion: settings.mysqlVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: shape.dbInstanceClass,
      allocatedStorage: shape.dbStorageGiB,
      maxAllocatedStorage: shape.dbStorageGiB * 4,
      storageType: "gp3",
      storageEncrypted: true,
      dbName: DATABASE_NAME,
      username: DATABASE_USER,
      password: secrets.databasePassword,
      dbSubnetGroupName: dbSubnets.name,
      vpcSecurityGroupIds: [dbSecurityGroup.id],
      parameterGroupName: dbParameters.name,
      publiclyAccessible: false,
      multiAz: settings.size === "recommended",
      backupRetentionPeriod: settings.backupRetentionDays,
      backupWindow: "03:00-03:30",
      maintenanceWindow: "sun:04:30-sun:05:00",
      copyTagsToSnapshot: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${prefix}-db-final`,
      tags,
    },
    opts,
  );

  // Storage: the data bucket (versioned, SSE-KMS, no public access) logs every request into a log bucket: S3 server
  // access logs are the bucket's audit trail. Server access logs can only be written with SSE-S3, hence AES256 there.
  const privateBucket = (name: string, sse: "aws:kms" | "AES256") => {
    const bucket = new aws.s3.Bucket(
      name,
      { bucketPrefix: `${prefix}-${name}-`, forceDestroy: false, tags },
      opts,
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      opts,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      opts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          { applyServerSideEncryptionByDefault: { sseAlgorithm: sse }, bucketKeyEnabled: sse === "aws:kms" },
        ],
      },
      opts,
    );
    return bucket;
  };
  const logs = privateBucket("logs", "AES256");
  new aws.s3.BucketPolicy(
    "logs-policy",
    {
      bucket: logs.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "S3ServerAccessLogs",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${logs.arn}/s3-access/*`,
          },
        ],
      }),
    },
    opts,
  );
  const data = privateBucket("data", "aws:kms");
  new aws.s3.BucketVersioning(
    "data-versioning",
    { bucket: data.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  new aws.s3.BucketLogging(
    "data-logging",
    { bucket: data.id, targetBucket: logs.id, targetPrefix: "s3-access/" },
    opts,
  );

  // Redis (optional): ElastiCache Redis 6, two nodes across zones, TLS in transit, encrypted at rest, auth token.
  let redisEndpoint: pulumi.Output<string | null> = pulumi.output(null);
  let redisUrl: pulumi.Output<string | null> = pulumi.output(null);
  if (settings.redis.enabled) {
    if (!secrets.redisAuthToken) throw new Error("redisAuthToken is required when redis.enabled is true");
    const cacheSubnets = new aws.elasticache.SubnetGroup(
      "redis-subnets",
      { name: `${prefix}-redis`, subnetIds: privateSubnetIds, description: `${prefix} Redis`, tags },
      opts,
    );
    const cacheSecurityGroup = new aws.ec2.SecurityGroup(
      "redis-sg",
      {
        vpcId: vpc.id,
        description: "Redis from the cluster only",
        ingress: [
          { protocol: "tcp", fromPort: 6379, toPort: 6379, securityGroups: [clusterSecurityGroupId] },
        ],
        tags,
      },
      opts,
    );
    const redis = new aws.elasticache.ReplicationGroup(
      "redis",
      {
        replicationGroupId: `${prefix}-redis`,
        description: `${prefix} Redis`,
        engine: "redis",
        engineVersion: "6.2",
        parameterGroupName: "default.redis6.x",
        nodeType: awsCacheNodeType(settings.redis.memoryGb),
        numCacheClusters: 2,
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        port: 6379,
        subnetGroupName: cacheSubnets.name,
        securityGroupIds: [cacheSecurityGroup.id],
        transitEncryptionEnabled: true,
        atRestEncryptionEnabled: true,
        authToken: secrets.redisAuthToken,
        tags,
      },
      opts,
    );
    redisEndpoint = pulumi.interpolate`${redis.primaryEndpointAddress}:6379`;
    redisUrl = pulumi.interpolate`rediss://:${secrets.redisAuthToken}@${redis.primaryEndpointAddress}:6379`;
  }

  return {
    clusterName: cluster.name,
    clusterEndpoint: cluster.endpoint,
    kubeconfigCommand: pulumi.interpolate`aws eks update-kubeconfig --region ${settings.region} --name ${cluster.name}`,
    databaseEndpoint: pulumi.interpolate`${db.address}:${db.port}`,
    databaseName: pulumi.output(DATABASE_NAME),
    bucket: data.bucket,
    auditLog: pulumi.interpolate`s3://${logs.bucket}/s3-access/`,
    redisEndpoint,
    appSecrets: appSecretOutput({
      licenseToken: secrets.licenseToken,
      databaseHost: db.address,
      databaseName: DATABASE_NAME,
      databaseUser: DATABASE_USER,
      databasePassword: secrets.databasePassword,
      bucket: data.bucket,
      redisUrl,
    }),
  };
}
