// EKS: the control plane in all subnets, a managed node group in the private ones sized from the preset, an OIDC
// provider so the application's service account can assume its own IAM role (IRSA).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { APP_NAMESPACE, APP_SERVICE_ACCOUNT, sizeOf } from "../input";
import type { AwsContext } from "./context";
import { subnetIds, type AwsNetwork } from "./network";

export interface AwsCluster {
  cluster: aws.eks.Cluster;
  nodeGroup: aws.eks.NodeGroup;
  /** The security group EKS puts on the control plane and managed nodes. */
  clusterSecurityGroupId: pulumi.Output<string>;
  /** The role the application's pods run as (IRSA). Storage, secrets and database access are granted to it. */
  appRole: aws.iam.Role;
}

function serviceRole(ctx: AwsContext, name: string, service: string, policies: string[]): aws.iam.Role {
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
      }),
      tags: ctx.tags,
    },
    ctx.opts,
  );
  policies.forEach((policy, i) => {
    new aws.iam.RolePolicyAttachment(
      `${name}-${i}`,
      { role: role.name, policyArn: `arn:aws:iam::aws:policy/${policy}` },
      ctx.opts,
    );
  });
  return role;
}

export function createCluster(ctx: AwsContext, network: AwsNetwork, key: aws.kms.Key): AwsCluster {
  const size = sizeOf(ctx.input);
  const clusterRole = serviceRole(ctx, "cluster-role", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"]);
  const nodeRole = serviceRole(ctx, "node-role", "ec2.amazonaws.com", [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
  ]);

  const cluster = new aws.eks.Cluster(
    "cluster",
    {
      name: ctx.name(),
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: [...subnetIds(network.privateSubnets), ...subnetIds(network.publicSubnets)],
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
      },
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
      encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      tags: ctx.tags,
    },
    ctx.opts,
  );

  // Suspended: no nodes, so nothing serves and nothing runs, while the database, bucket and cluster stay.
  const nodes = ctx.flags.suspended ? 0 : size.nodes;
  const nodeGroup = new aws.eks.NodeGroup(
    "nodes",
    {
      clusterName: cluster.name,
      nodeRoleArn: nodeRole.arn,
      subnetIds: subnetIds(network.privateSubnets),
      instanceTypes: [size.aws.nodeInstanceType],
      scalingConfig: { desiredSize: nodes, minSize: nodes, maxSize: Math.max(size.nodes, 1) },
      updateConfig: { maxUnavailable: 1 },
      labels: { "cp/instance": ctx.input.slug },
      tags: ctx.tags,
    },
    { ...ctx.opts, dependsOn: [nodeRole] },
  );

  const issuer = cluster.identities.apply((ids) => ids[0]?.oidcs[0]?.issuer ?? "");
  const oidc = new aws.iam.OpenIdConnectProvider(
    "oidc",
    { url: issuer, clientIdLists: ["sts.amazonaws.com"], tags: ctx.tags },
    ctx.opts,
  );
  const appRole = new aws.iam.Role(
    "app-role",
    {
      description: `Application of instance ${ctx.input.slug} (IRSA: ${APP_NAMESPACE}/${APP_SERVICE_ACCOUNT})`,
      assumeRolePolicy: pulumi.all([oidc.arn, issuer]).apply(([arn, url]) => {
        const host = url.replace(/^https:\/\//, "");
        return JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: arn },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: {
                StringEquals: {
                  [`${host}:sub`]: `system:serviceaccount:${APP_NAMESPACE}:${APP_SERVICE_ACCOUNT}`,
                  [`${host}:aud`]: "sts.amazonaws.com",
                },
              },
            },
          ],
        });
      }),
      tags: ctx.tags,
    },
    ctx.opts,
  );

  return {
    cluster,
    nodeGroup,
    clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
    appRole,
  };
}
