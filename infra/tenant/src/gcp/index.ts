// The GCP tenant stack: KMS key ring and key, VPC network, GKE with a node pool, Cloud SQL MySQL, GCS bucket (or a
// grant on the customer's), Secret Manager, and the HTTPS load balancer / managed certificate / Cloud DNS ingress.
import * as pulumi from "@pulumi/pulumi";
import { DATABASE_NAME, type TenantFlags, type TenantOutputs, type TenantProgramInput } from "../input";
import { createCluster } from "./cluster";
import { createGcpContext } from "./context";
import { createDatabase } from "./database";
import { createIngress } from "./ingress";
import { createKey } from "./kms";
import { createNetwork } from "./network";
import { createAppSecrets } from "./secrets";
import { createStorage } from "./storage";

export function gcpProgram(input: TenantProgramInput, flags: TenantFlags): TenantOutputs {
  const ctx = createGcpContext(input, flags);
  const key = createKey(ctx);
  const network = createNetwork(ctx);
  const cluster = createCluster(ctx, network);
  const database = createDatabase(ctx, network, key, cluster.appServiceAccount);
  const storage = createStorage(ctx, key, cluster.appServiceAccount);
  createAppSecrets(ctx, cluster.appServiceAccount);
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
