// RDS MySQL in the private subnets: encrypted with the instance's key, automated backups per the instance's backup
// policy, deletion protection (lifted only by a teardown run), Multi-AZ for production presets, master password kept
// by RDS in Secrets Manager.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { rdsBackupSettings } from "../backup-policy";
import { DATABASE_NAME, databaseInstanceName, isProductionSize, sizeOf } from "../input";
import type { AwsContext } from "./context";
import { subnetIds, VPC_CIDR, type AwsNetwork } from "./network";

export interface AwsDatabase {
  instance: aws.rds.Instance;
  /** host:port */
  endpoint: pulumi.Output<string>;
  /** The Secrets Manager secret RDS keeps the master credentials in. */
  masterSecretArn: pulumi.Output<string>;
}

export function createDatabase(
  ctx: AwsContext,
  network: AwsNetwork,
  key: aws.kms.Key,
  clusterSecurityGroupId: pulumi.Input<string>,
): AwsDatabase {
  const size = sizeOf(ctx.input);
  const subnetGroup = new aws.rds.SubnetGroup(
    "db-subnets",
    { subnetIds: subnetIds(network.privateSubnets), tags: ctx.tags },
    ctx.opts,
  );
  const securityGroup = new aws.ec2.SecurityGroup(
    "db-sg",
    {
      vpcId: network.vpc.id,
      description: "MySQL from the cluster only",
      ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, securityGroups: [clusterSecurityGroupId] }],
      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: [VPC_CIDR] }],
      tags: ctx.tags,
    },
    ctx.opts,
  );
  const parameters = new aws.rds.ParameterGroup(
    "db-params",
    {
      family: `mysql${ctx.input.mysqlVersion}`,
      parameters: [{ name: "require_secure_transport", value: "1" }],
      tags: ctx.tags,
    },
    ctx.opts,
  );

  const teardown = ctx.flags.teardown;
  const backup = rdsBackupSettings(ctx.input.backup);
  if (backup.retentionCappedFrom) {
    void pulumi.log.warn(
      `RDS keeps automated backups for at most ${backup.backupRetentionPeriod} days; the policy asks for ` +
        `${backup.retentionCappedFrom}. The control plane's own snapshots cover the rest.`,
    );
  }
  const instance = new aws.rds.Instance(
    "db",
    {
      identifier: databaseInstanceName(ctx.input),
      engine: "mysql",
      engineVersion: ctx.input.mysqlVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: size.aws.dbInstanceClass,
      allocatedStorage: size.aws.dbStorageGiB,
      maxAllocatedStorage: size.aws.dbStorageGiB * 4,
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: key.arn,
      dbName: DATABASE_NAME,
      username: "admin",
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: key.arn,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [securityGroup.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      multiAz: isProductionSize(ctx.input),
      backupRetentionPeriod: backup.backupRetentionPeriod,
      backupWindow: backup.preferredBackupWindow,
      maintenanceWindow: backup.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      deletionProtection: !teardown,
      // A last snapshot survives the instance; named after the instance id so a reused slug never collides.
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: ctx.name(
        `final-${ctx.input.instanceId.toLowerCase().replace(/[^a-z0-9]/g, "")}`,
        255,
      ),
      // The control plane schedules updates inside the customer's maintenance window itself.
      applyImmediately: true,
      tags: ctx.tags,
    },
    ctx.opts,
  );
  return {
    instance,
    endpoint: pulumi.interpolate`${instance.address}:${instance.port}`,
    masterSecretArn: instance.masterUserSecrets.apply((s) => s[0]?.secretArn ?? ""),
  };
}
