// Cloud SQL for MySQL with a private IP only, encrypted with the instance's key, daily backups with point-in-time
// recovery per the instance's backup policy, deletion protection (lifted only by a teardown run), regional HA for
// production presets.
// The application signs in with IAM database authentication: no password exists.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { MysqlVersion } from "@cp/core";
import { cloudSqlBackupSettings } from "../backup-policy";
import { DATABASE_NAME, databaseInstanceName, isProductionSize, sizeOf } from "../input";
import type { GcpContext } from "./context";
import type { GcpNetwork } from "./network";

const DATABASE_VERSIONS: Record<MysqlVersion, string> = { "5.7": "MYSQL_5_7", "8.0": "MYSQL_8_0" };

export interface GcpDatabase {
  instance: gcp.sql.DatabaseInstance;
  endpoint: pulumi.Output<string>;
}

export function createDatabase(
  ctx: GcpContext,
  network: GcpNetwork,
  key: gcp.kms.CryptoKey,
  appServiceAccount: gcp.serviceaccount.Account,
): GcpDatabase {
  const size = sizeOf(ctx.input);
  const teardown = ctx.flags.teardown;
  const backup = cloudSqlBackupSettings(ctx.input.backup);
  if (backup.retentionCappedFrom) {
    void pulumi.log.warn(
      `Cloud SQL keeps at most ${backup.retainedBackups} automated backups; the policy asks for ` +
        `${backup.retentionCappedFrom} days. The control plane's own backups cover the rest.`,
    );
  }

  // Cloud SQL encrypts with the key through its service agent, which must be allowed to use it first.
  const agent = new gcp.projects.ServiceIdentity(
    "sql-agent",
    { project: ctx.project, service: "sqladmin.googleapis.com" },
    ctx.opts,
  );
  const agentKeyAccess = new gcp.kms.CryptoKeyIAMMember(
    "sql-agent-key",
    {
      cryptoKeyId: key.id,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: pulumi.interpolate`serviceAccount:${agent.email}`,
    },
    ctx.opts,
  );

  const instance = new gcp.sql.DatabaseInstance(
    "db",
    {
      name: databaseInstanceName(ctx.input),
      region: ctx.input.region,
      databaseVersion: DATABASE_VERSIONS[ctx.input.mysqlVersion],
      encryptionKeyName: key.id,
      deletionProtection: !teardown,
      settings: {
        tier: size.gcp.dbTier,
        // Custom machine tiers exist only in the Enterprise edition.
        edition: "ENTERPRISE",
        availabilityType: isProductionSize(ctx.input) ? "REGIONAL" : "ZONAL",
        diskType: "PD_SSD",
        diskSize: size.gcp.dbStorageGiB,
        diskAutoresize: true,
        deletionProtectionEnabled: !teardown,
        backupConfiguration: {
          enabled: true,
          binaryLogEnabled: true,
          startTime: backup.startTime,
          transactionLogRetentionDays: backup.transactionLogRetentionDays,
          backupRetentionSettings: { retainedBackups: backup.retainedBackups, retentionUnit: "COUNT" },
        },
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: network.network.id,
          sslMode: "ENCRYPTED_ONLY",
        },
        databaseFlags: [{ name: "cloudsql_iam_authentication", value: "on" }],
        userLabels: ctx.labels,
      },
    },
    { ...ctx.opts, dependsOn: [network.privateServices, agentKeyAccess] },
  );
  new gcp.sql.Database(
    "db-schema",
    { name: DATABASE_NAME, instance: instance.name, charset: "utf8mb4" },
    ctx.opts,
  );
  new gcp.sql.User(
    "db-app-user",
    {
      instance: instance.name,
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      name: appServiceAccount.email.apply((email) => email.replace(/\.gserviceaccount\.com$/, "")),
    },
    ctx.opts,
  );
  ["roles/cloudsql.client", "roles/cloudsql.instanceUser"].forEach((role, i) => {
    new gcp.projects.IAMMember(
      `app-sql-${i}`,
      { project: ctx.project, role, member: pulumi.interpolate`serviceAccount:${appServiceAccount.email}` },
      ctx.opts,
    );
  });
  return { instance, endpoint: pulumi.interpolate`${instance.privateIpAddress}:3306` };
}
