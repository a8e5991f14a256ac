// The AWS install template under Pulumi mocks: what it would create, with which settings.
import { describe, expect, it } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import { isSecretInput, plainStrings, runTemplate, TEST_SECRETS, unwrap, type StackConfig } from "./mock-run";

function stack(overrides: StackConfig = {}): StackConfig {
  return {
    platform: "aws",
    region: "eu-west-1",
    size: "minimum",
    mysqlVersion: "8.0",
    deploymentName: "acme-ml",
    backupRetentionDays: 14,
    ...overrides,
  };
}

function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const arn = `arn:aws:mock:eu-west-1:111122223333:${args.name}`;
  switch (args.type) {
    case "aws:eks/cluster:Cluster":
      return {
        arn,
        endpoint: "https://ABC123.gr7.eu-west-1.eks.amazonaws.com",
        vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: "sg-cluster" },
      };
    case "aws:rds/instance:Instance":
      return { arn, address: "acme-ml-db.abc.eu-west-1.rds.amazonaws.com", port: 3306 };
    case "aws:s3/bucket:Bucket": {
      const bucket = `${String(inputs.bucketPrefix)}20260101`;
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return { arn, primaryEndpointAddress: "master.acme-ml-redis.abc.euw1.cache.amazonaws.com" };
    case "aws:iam/role:Role":
      return { arn, name: args.name };
    default:
      return { arn };
  }
}

function call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones") {
    return {
      names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"],
    };
  }
  throw new Error(`unexpected invoke ${args.token}`);
}

const run = (config: StackConfig) => runTemplate(config, computed, call);

// Mocks are process-wide: one program run at a time, so the cases run serially (vitest's default within a file).
// Several program runs per case: allow for a loaded machine.
describe("AWS install template", { timeout: 30_000 }, () => {
  it("sizes the managed node group: minimum is 4 vCPU / 8 GiB nodes, recommended 8 vCPU / 32 GiB", async () => {
    const minimum = await run(stack());
    expect(minimum.failures).toEqual([]);
    expect(minimum.ofType("pulumi:providers:aws")[0]!.inputs.region).toBe("eu-west-1");
    expect(minimum.named("nodes").inputs).toMatchObject({
      instanceTypes: ["c6i.xlarge"],
      scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 4 },
      subnetIds: ["private-0-id", "private-1-id"],
    });
    expect(minimum.named("db").inputs).toMatchObject({ instanceClass: "db.m6g.large", multiAz: false });

    const recommended = await run(stack({ size: "recommended", nodeCount: 4 }));
    expect(recommended.named("nodes").inputs).toMatchObject({
      instanceTypes: ["m6i.2xlarge"],
      scalingConfig: { desiredSize: 4, minSize: 4, maxSize: 6 },
    });
    expect(recommended.named("db").inputs).toMatchObject({ instanceClass: "db.r6g.xlarge", multiAz: true });
  });

  it("creates a private, encrypted, backed-up RDS MySQL of the configured version", async () => {
    for (const version of ["8.0", "5.7"]) {
      const result = await run(stack({ mysqlVersion: version }));
      const db = result.named("db").inputs;
      expect(db).toMatchObject({
        engine: "mysql",
        engineVersion: version,
        storageEncrypted: true,
        publiclyAccessible: false,
        backupRetentionPeriod: 14,
        deletionProtection: true,
        skipFinalSnapshot: false,
        dbName: "app",
      });
      expect(isSecretInput(db.password)).toBe(true);
      expect(unwrap(db.password)).toBe(TEST_SECRETS.databasePassword);
      expect(result.named("db-params").inputs).toMatchObject({
        family: `mysql${version}`,
        parameters: [{ name: "require_secure_transport", value: "1" }],
      });
    }
    const result = await run(stack());
    expect(result.named("db-subnets").inputs.subnetIds).toEqual(["private-0-id", "private-1-id"]);
    expect(result.named("db").inputs.dbSubnetGroupName).toBe("acme-ml-db");
    expect(result.named("db-sg").inputs.ingress).toEqual([
      expect.objectContaining({ fromPort: 3306, securityGroups: ["sg-cluster"] }),
    ]);
  });

  it("keeps the data bucket private, versioned and encrypted, with access logs into a log bucket", async () => {
    const result = await run(stack());
    const data = "acme-ml-data-20260101";
    const logs = "acme-ml-logs-20260101";
    expect(result.named("data-logging").inputs).toMatchObject({
      bucket: data,
      targetBucket: logs,
      targetPrefix: "s3-access/",
    });
    expect(result.named("data-versioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    expect(result.named("data-encryption").inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
    ]);
    for (const name of ["data-public-access", "logs-public-access"]) {
      expect(result.named(name).inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
    const policy = JSON.parse(String(result.named("logs-policy").inputs.policy)) as {
      Statement: { Principal: unknown; Resource: string }[];
    };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "logging.s3.amazonaws.com" },
        Resource: `arn:aws:s3:::${logs}/s3-access/*`,
      }),
    ]);
    expect(result.outputs).toMatchObject({
      bucket: data,
      auditLog: `s3://${logs}/s3-access/`,
      clusterName: "acme-ml",
      databaseEndpoint: "acme-ml-db.abc.eu-west-1.rds.amazonaws.com:3306",
      redisEndpoint: null,
    });
  });

  it("creates Redis only when enabled: Redis 6, TLS in transit, auth token, private", async () => {
    const without = await run(stack());
    expect(without.resources.filter((r) => r.type.startsWith("aws:elasticache/"))).toEqual([]);

    const small = await run(stack({ redis: { enabled: true, memoryGb: 6 } }));
    expect(small.failures).toEqual([]);
    const group = small.named("redis").inputs;
    expect(group).toMatchObject({
      engine: "redis",
      engineVersion: "6.2",
      parameterGroupName: "default.redis6.x",
      nodeType: "cache.m6g.large",
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      subnetGroupName: "acme-ml-redis",
    });
    expect(isSecretInput(group.authToken)).toBe(true);
    expect(unwrap(group.authToken)).toBe(TEST_SECRETS.redisAuthToken);
    expect(small.named("redis-sg").inputs.ingress).toEqual([
      expect.objectContaining({ fromPort: 6379, securityGroups: ["sg-cluster"] }),
    ]);
    expect(small.outputs.redisEndpoint).toBe("master.acme-ml-redis.abc.euw1.cache.amazonaws.com:6379");

    const large = await run(stack({ redis: { enabled: true, memoryGb: 8 } }));
    expect(large.named("redis").inputs.nodeType).toBe("cache.r6g.large");
  });

  it("asks for the license, and for the Redis auth token when Redis is enabled", async () => {
    await expect(run(stack({ licenseToken: null }))).rejects.toThrow(
      /licenseToken is not set: run setup.sh, or pulumi config set --secret licenseToken/,
    );
    await expect(run(stack({ redis: { enabled: true, memoryGb: 6 }, redisAuthToken: null }))).rejects.toThrow(
      /redisAuthToken is not set/,
    );
    // Without Redis no token is needed.
    expect((await run(stack({ redisAuthToken: null }))).failures).toEqual([]);
  });

  it("keeps the license token and passwords secret: only in the secret appSecrets output", async () => {
    const result = await run(stack({ redis: { enabled: true, memoryGb: 4 } }));
    expect(result.secretOutputs).toEqual(["appSecrets"]);
    const material = JSON.parse(String(result.outputs.appSecrets)) as Record<string, unknown>;
    expect(material).toMatchObject({
      licenseToken: TEST_SECRETS.licenseToken,
      databasePassword: TEST_SECRETS.databasePassword,
      databaseHost: "acme-ml-db.abc.eu-west-1.rds.amazonaws.com",
      redisUrl: `rediss://:${TEST_SECRETS.redisAuthToken}@master.acme-ml-redis.abc.euw1.cache.amazonaws.com:6379`,
    });
    const plainOutputs = JSON.stringify({ ...result.outputs, appSecrets: undefined });
    const plainInputs = result.resources.flatMap((r) => plainStrings(r.inputs)).join("\n");
    for (const secret of Object.values(TEST_SECRETS)) {
      expect(plainOutputs).not.toContain(secret);
      expect(plainInputs).not.toContain(secret);
    }
  });

  it("refuses a bad configuration naming the key and the fix", async () => {
    await expect(run(stack({ size: "huge" }))).rejects.toThrow(
      /size: size must be "minimum" or "recommended"/,
    );
    await expect(run(stack({ redis: { enabled: true, memoryGb: 16 } }))).rejects.toThrow(
      /redis\.memoryGb: redis\.memoryGb must be 4 to 8/,
    );
    await expect(run(stack({ backupRetentionDays: 90 }))).rejects.toThrow(
      /backupRetentionDays must be 1 to 35/,
    );
    await expect(run(stack({ deploymentName: "Acme ML" }))).rejects.toThrow(/deploymentName must be/);
  });
});
