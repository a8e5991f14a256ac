// The AWS tenant stack: KMS key, VPC, EKS with a managed node group, RDS MySQL, S3 bucket (or a grant on the
// customer's), Secrets Manager, and the ALB/ACM/Route 53 ingress. One stack per instance.
import type { TenantFlags, TenantOutputs, TenantProgramInput } from "../input";
import { DATABASE_NAME } from "../input";
import * as pulumi from "@pulumi/pulumi";
import { createCluster } from "./cluster";
import { createAwsContext } from "./context";
import { createDatabase } from "./database";
import { createIngress } from "./ingress";
import { createKey } from "./kms";
import { createNetwork } from "./network";
import { createAppSecrets } from "./secrets";
import { createStorage } from "./storage";

export function awsProgram(input: TenantProgramInput, flags: TenantFlags): TenantOutputs {
  const ctx = createAwsContext(input, flags);
  const key = createKey(ctx);
  const network = createNetwork(ctx);
  const cluster = createCluster(ctx, network, key);
  const database = createDatabase(ctx, network, key, cluster.clusterSecurityGroupId);
  const storage = createStorage(ctx, key, cluster.appRole);
  createAppSecrets(ctx, key, cluster.appRole, database.masterSecretArn);
  const ingress = createIngress(ctx, network, cluster);
  return {
    url: ingress.url,
    databaseEndpoint: database.endpoint,
    databaseName: pulumi.output(DATABASE_NAME),
    bucket: storage.bucketName,
    version: pulumi.output(input.version),
    suspended: pulumi.output(flags.suspended),
  };
}
