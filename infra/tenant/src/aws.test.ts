// The AWS tenant program under Pulumi mocks: what it would create, with which settings.
import { describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { SIZES } from "@cp/core";
import type { TenantProgramInput } from "./index";
import { runProgram, type MockRun } from "./mock-run";

const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/instance-key";

function spec(overrides: Partial<TenantProgramInput> = {}): TenantProgramInput {
  return {
    instanceId: "inst_01HXAWS",
    slug: "acme-ml",
    orgSlug: "acme",
    cloud: "aws",
    region: "eu-west-1",
    size: "small",
    mysqlVersion: "8.0",
    version: "0.64.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
    ipAllowlist: [],
    backup: { retentionDays: 14, startTimeUtc: "03:00" },
    tags: { "cost-center": "ml-42", team: "Research" },
    baseDomain: "dedicated.example.com",
    hostedZoneId: "Z0123456789",
    ...overrides,
  };
}

/** What AWS would compute on create, for the resources whose outputs the program reads. */
function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const arn = `arn:aws:mock:eu-west-1:111122223333:${args.name}`;
  switch (args.type) {
    case "aws:kms/key:Key":
      return { arn: KEY_ARN, keyId: "instance-key" };
    case "aws:eks/cluster:Cluster":
      return {
        arn,
        identities: [{ oidcs: [{ issuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC123" }] }],
        vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: "sg-cluster" },
      };
    case "aws:eks/nodeGroup:NodeGroup":
      return { arn, resources: [{ autoscalingGroups: [{ name: "eks-nodes-asg" }] }] };
    case "aws:acm/certificate:Certificate":
      return {
        arn,
        domainValidationOptions: [
          {
            domainName: inputs.domainName,
            resourceRecordName: `_abc.${String(inputs.domainName)}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: "_def.acm-validations.aws.",
          },
        ],
      };
    case "aws:acm/certificateValidation:CertificateValidation":
      return { certificateArn: inputs.certificateArn };
    case "aws:lb/loadBalancer:LoadBalancer":
      return { arn, dnsName: "cp-acme-ml-123.eu-west-1.elb.amazonaws.com", zoneId: "Z32O12XQLNTSW2" };
    case "aws:rds/instance:Instance":
      return {
        arn,
        address: "cp-acme-ml-db.abc.eu-west-1.rds.amazonaws.com",
        port: 3306,
        masterUserSecrets: [{ secretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds-master" }],
      };
    case "aws:s3/bucket:Bucket": {
      const bucket = `${String(inputs.bucketPrefix)}20260101`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:route53/record:Record":
      return { fqdn: inputs.name };
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

const run = (input: TenantProgramInput, config?: Record<string, string>) =>
  runProgram(input, computed, call, config);

function expectClean(result: MockRun): void {
  expect(result.failures).toEqual([]);
  expect(result.resources.length).toBeGreaterThan(30);
}

// Mocks are process-wide: one program run at a time, so the cases run serially (vitest's default within a file).
describe("AWS tenant program", () => {
  it("pins every resource to a provider in the instance's region", async () => {
    const result = await run(spec());
    expectClean(result);
    const providers = result.ofType("pulumi:providers:aws");
    expect(providers).toHaveLength(1);
    expect(providers[0]!.inputs.region).toBe("eu-west-1");
    // The tag the driver puts on a database it restored is the driver's: an apply neither removes nor diffs it.
    expect(JSON.parse(String(providers[0]!.inputs.ignoreTags))).toEqual({ keys: ["cp-restore-request"] });
    const cloudResources = result.resources.filter((r) => r.type.startsWith("aws:"));
    for (const r of cloudResources)
      expect(r.provider, `${r.type} ${r.name}`).toMatch(/pulumi:providers:aws::aws::/);
  });

  it("creates an encrypted, backed-up, protected, private MySQL 8.0 database sized from the preset", async () => {
    const result = await run(spec());
    const db = result.named("db").inputs;
    expect(db).toMatchObject({
      engine: "mysql",
      engineVersion: "8.0",
      instanceClass: SIZES.small.aws.dbInstanceClass,
      allocatedStorage: SIZES.small.aws.dbStorageGiB,
      storageEncrypted: true,
      kmsKeyId: KEY_ARN,
      identifier: "cp-acme-ml-db",
      backupRetentionPeriod: 14,
      backupWindow: "03:00-03:30",
      maintenanceWindow: "sun:04:00-sun:04:30",
      deletionProtection: true,
      publiclyAccessible: false,
      multiAz: false,
      manageMasterUserPassword: true,
      skipFinalSnapshot: false,
    });
    expect(result.named("db-params").inputs.family).toBe("mysql8.0");
    const subnetGroup = result.named("db-subnets").inputs.subnetIds as string[];
    expect(subnetGroup).toEqual(["private-0-id", "private-1-id"]);
    const dbSg = result.named("db-sg").inputs.ingress as { fromPort: number; securityGroups: string[] }[];
    expect(dbSg).toEqual([expect.objectContaining({ fromPort: 3306, securityGroups: ["sg-cluster"] })]);
  });

  it("keeps automated backups per the backup policy, with a maintenance window clear of the backup window", async () => {
    const late = await run(spec({ backup: { retentionDays: 7, startTimeUtc: "23:15" } }));
    expect(late.named("db").inputs).toMatchObject({
      backupRetentionPeriod: 7,
      backupWindow: "23:15-23:45",
      maintenanceWindow: "mon:00:15-mon:00:45",
    });

    // RDS keeps at most 35 days: the program asks for that much rather than failing the apply.
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    const long = await run(spec({ backup: { retentionDays: 90, startTimeUtc: "01:30" } }));
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/RDS keeps automated backups for at most 35 days; the policy asks for 90/),
    );
    warn.mockRestore();
    expectClean(long);
    expect(long.named("db").inputs).toMatchObject({ backupRetentionPeriod: 35, backupWindow: "01:30-02:00" });
  });

  it("refuses a backup policy RDS cannot follow", async () => {
    await expect(run(spec({ backup: { retentionDays: 7, startTimeUtc: "3am" } }))).rejects.toThrow(
      /startTimeUtc must be "HH:MM"/,
    );
  });

  it("runs MySQL 5.7 when ordered", async () => {
    const result = await run(spec({ mysqlVersion: "5.7" }));
    expect(result.named("db").inputs.engineVersion).toBe("5.7");
    expect(result.named("db-params").inputs.family).toBe("mysql5.7");
  });

  it("sizes the node group and database per preset: small vs recommended", async () => {
    const small = await run(spec({ size: "small" }));
    expect(small.named("nodes").inputs).toMatchObject({
      instanceTypes: [SIZES.small.aws.nodeInstanceType],
      scalingConfig: {
        desiredSize: SIZES.small.nodes,
        minSize: SIZES.small.nodes,
        maxSize: SIZES.small.nodes,
      },
    });
    expect(small.named("db").inputs.instanceClass).toBe("db.m6g.large");

    const recommended = await run(spec({ size: "recommended" }));
    expect(recommended.named("nodes").inputs).toMatchObject({
      instanceTypes: ["m6i.2xlarge"],
      scalingConfig: { desiredSize: 3, minSize: 3 },
    });
    expect(recommended.named("db").inputs).toMatchObject({ instanceClass: "db.r6g.xlarge", multiAz: true });
    expect(recommended.named("nodes").inputs.subnetIds).toEqual(["private-0-id", "private-1-id"]);
  });

  it("lays out a VPC over two zones with public and private subnets and a NAT gateway per zone", async () => {
    const result = await run(spec());
    expect(result.ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
    const subnets = result.ofType("aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => s.inputs.availabilityZone).sort()).toEqual([
      "eu-west-1a",
      "eu-west-1a",
      "eu-west-1b",
      "eu-west-1b",
    ]);
    expect(result.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    expect(result.named("private-routes-0").inputs.routes).toEqual([
      expect.objectContaining({ cidrBlock: "0.0.0.0/0", natGatewayId: "nat-0-id" }),
    ]);
  });

  it("creates a rotating KMS key and a versioned, SSE-KMS, private bucket with CORS", async () => {
    const result = await run(spec());
    expect(result.named("key").inputs.enableKeyRotation).toBe(true);
    expect(result.ofType("aws:s3/bucket:Bucket")).toHaveLength(1);
    expect(result.named("bucket").inputs.forceDestroy).toBe(false);
    expect(result.named("bucket-encryption").inputs.rules).toEqual([
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
        bucketKeyEnabled: true,
      },
    ]);
    expect(result.named("bucket-versioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    expect(result.named("bucket-public-access").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const [rule] = result.named("bucket-cors").inputs.corsRules as Record<string, unknown>[];
    expect(rule).toMatchObject({
      allowedMethods: ["GET", "HEAD", "PUT"],
      allowedOrigins: ["*"],
      exposeHeaders: ["ETag"],
    });
    expect(result.outputs.bucket).toBe("cp-acme-ml-data-20260101");
    const policy = JSON.parse(String(result.named("app-bucket").inputs.policy)) as {
      Statement: { Resource: string[] }[];
    };
    expect(policy.Statement.flatMap((s) => s.Resource)).toEqual(
      expect.arrayContaining(["arn:aws:s3:::cp-acme-ml-data-20260101/*", KEY_ARN]),
    );
  });

  it("creates no bucket for BYOB, only a policy on the customer's bucket and key for the app role", async () => {
    const customerKey = "arn:aws:kms:us-east-1:999988887777:key/customer";
    const result = await run(
      spec({
        storage: {
          mode: "byob",
          provider: "s3",
          bucket: "customer-ml-bucket",
          region: "us-east-1",
          kmsKeyId: customerKey,
          access: { kind: "role", roleArn: "arn:aws:iam::999988887777:role/ml-access" },
        },
      }),
    );
    expectClean(result);
    expect(result.resources.filter((r) => r.type.startsWith("aws:s3/"))).toEqual([]);
    const grant = result.named("app-customer-bucket");
    expect(grant.inputs.role).toBe("app-role-id");
    const policy = JSON.parse(String(grant.inputs.policy)) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };
    const resources = policy.Statement.flatMap((s) => s.Resource);
    expect(resources).toEqual(
      expect.arrayContaining([
        "arn:aws:s3:::customer-ml-bucket",
        "arn:aws:s3:::customer-ml-bucket/*",
        customerKey,
        "arn:aws:iam::999988887777:role/ml-access",
      ]),
    );
    expect(result.outputs.bucket).toBe("customer-ml-bucket");
  });

  it("keeps BYOB access keys and the OIDC client secret out of plain state", async () => {
    const result = await run(
      spec({
        sso: {
          mode: "oidc",
          issuer: "https://id.acme.test",
          clientId: "cp",
          clientSecret: "oidc-s3cret",
          flow: "pkce",
        },
        storage: {
          mode: "byob",
          provider: "s3",
          bucket: "customer-ml-bucket",
          region: "us-east-1",
          access: { kind: "keys", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "aws-s3cret" },
        },
      }),
    );
    const value = result.named("app-secret-value").inputs.secretString as Record<string, unknown>;
    // Mocks hand secrets to newResource as `{ [sig]: "1b47061264138c4ac30d75fd1eb44270", value }`.
    expect(value).toMatchObject({ value: expect.stringContaining("oidc-s3cret") });
    expect(Object.values(value)).toContain("1b47061264138c4ac30d75fd1eb44270");
    expect(result.named("app-secret").inputs.kmsKeyId).toBe(KEY_ARN);
  });

  it("serves https://<slug>.<baseDomain> through an ALB with a DNS-validated ACM certificate", async () => {
    const result = await run(spec());
    expect(result.outputs).toEqual({
      url: "https://acme-ml.dedicated.example.com",
      databaseEndpoint: "cp-acme-ml-db.abc.eu-west-1.rds.amazonaws.com:3306",
      databaseName: "app",
      bucket: "cp-acme-ml-data-20260101",
      version: "0.64.0",
      suspended: false,
    });
    expect(result.named("cert").inputs).toMatchObject({
      domainName: "acme-ml.dedicated.example.com",
      validationMethod: "DNS",
    });
    expect(result.named("cert-validation").inputs).toMatchObject({
      zoneId: "Z0123456789",
      name: "_abc.acme-ml.dedicated.example.com.",
      type: "CNAME",
    });
    expect(result.named("dns").inputs).toMatchObject({
      zoneId: "Z0123456789",
      name: "acme-ml.dedicated.example.com",
      type: "A",
      aliases: [
        {
          name: "cp-acme-ml-123.eu-west-1.elb.amazonaws.com",
          zoneId: "Z32O12XQLNTSW2",
          evaluateTargetHealth: true,
        },
      ],
    });
    expect(result.named("https").inputs).toMatchObject({
      port: 443,
      protocol: "HTTPS",
      certificateArn: "arn:aws:mock:eu-west-1:111122223333:cert",
    });
    expect(result.named("lb").inputs.subnets).toEqual(["public-0-id", "public-1-id"]);
    expect(result.named("lb-nodes").inputs.autoscalingGroupName).toBe("eks-nodes-asg");
  });

  it("gives the app an IRSA role bound to its service account", async () => {
    const result = await run(spec());
    const trust = JSON.parse(String(result.named("app-role").inputs.assumeRolePolicy)) as {
      Statement: { Action: string; Condition: { StringEquals: Record<string, string> } }[];
    };
    expect(trust.Statement[0]!.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(trust.Statement[0]!.Condition.StringEquals).toEqual({
      "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub": "system:serviceaccount:tenant:app",
      "oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud": "sts.amazonaws.com",
    });
  });

  it("opens the load balancer to everyone without an allowlist", async () => {
    const result = await run(spec());
    const ingress = result.named("lb-sg").inputs.ingress as { fromPort: number; cidrBlocks: string[] }[];
    expect(ingress.map((r) => r.fromPort)).toEqual([443, 80]);
    for (const rule of ingress) expect(rule.cidrBlocks).toEqual(["0.0.0.0/0"]);
  });

  it("admits only the allowlist at the load balancer when one is set", async () => {
    const result = await run(spec({ ipAllowlist: ["203.0.113.0/24", "198.51.100.7/32", "2001:db8::/48"] }));
    const ingress = result.named("lb-sg").inputs.ingress as {
      cidrBlocks: string[];
      ipv6CidrBlocks: string[];
    }[];
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule.cidrBlocks).toEqual(["203.0.113.0/24", "198.51.100.7/32"]);
      expect(rule.ipv6CidrBlocks).toEqual(["2001:db8::/48"]);
    }
  });

  it("tags every taggable resource with the customer's tags and the instance and org", async () => {
    const result = await run(spec());
    const taggable = [
      "aws:kms/key:Key",
      "aws:ec2/vpc:Vpc",
      "aws:ec2/subnet:Subnet",
      "aws:ec2/internetGateway:InternetGateway",
      "aws:ec2/routeTable:RouteTable",
      "aws:ec2/eip:Eip",
      "aws:ec2/natGateway:NatGateway",
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:iam/role:Role",
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      "aws:eks/cluster:Cluster",
      "aws:eks/nodeGroup:NodeGroup",
      "aws:rds/subnetGroup:SubnetGroup",
      "aws:rds/parameterGroup:ParameterGroup",
      "aws:rds/instance:Instance",
      "aws:s3/bucket:Bucket",
      "aws:secretsmanager/secret:Secret",
      "aws:lb/loadBalancer:LoadBalancer",
      "aws:lb/targetGroup:TargetGroup",
      "aws:lb/listener:Listener",
      "aws:acm/certificate:Certificate",
    ];
    for (const type of taggable) {
      const found = result.ofType(type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) {
        expect(r.inputs.tags, `${type} ${r.name}`).toMatchObject({
          "cost-center": "ml-42",
          team: "Research",
          "cp-instance-id": "inst_01HXAWS",
          "cp-instance": "acme-ml",
          "cp-org": "acme",
        });
      }
    }
    // Anything else that takes tags carries them too.
    for (const r of result.resources) {
      if ("tags" in r.inputs)
        expect(r.inputs.tags, `${r.type} ${r.name}`).toMatchObject({ "cp-org": "acme" });
    }
  });

  it("scales the node group to zero when suspended and reports it", async () => {
    const result = await run(spec({ size: "recommended" }), { "tenant:suspended": "true" });
    expect(result.named("nodes").inputs.scalingConfig).toEqual({ desiredSize: 0, minSize: 0, maxSize: 3 });
    expect(result.outputs.suspended).toBe(true);
    // Data stays while suspended.
    expect(result.named("db").inputs.deletionProtection).toBe(true);
  });

  it("lifts deletion protection only for a teardown run", async () => {
    const result = await run(spec(), { "tenant:teardown": "true" });
    expect(result.named("db").inputs.deletionProtection).toBe(false);
    expect(result.named("bucket").inputs.forceDestroy).toBe(true);
  });
});
