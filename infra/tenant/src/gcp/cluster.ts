// GKE: a regional private cluster with workload identity and a node pool sized from the preset. The application's
// Kubernetes service account maps to its own Google service account.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { APP_NAMESPACE, APP_SERVICE_ACCOUNT, sizeOf } from "../input";
import type { GcpContext } from "./context";
import { PODS_RANGE, SERVICES_RANGE, type GcpNetwork } from "./network";

export interface GcpCluster {
  cluster: gcp.container.Cluster;
  nodePool: gcp.container.NodePool;
  /** Network tag on every node: firewall rules for the load balancer target it. */
  nodeTag: string;
  /** How many zones the pool spans; one instance group per zone. */
  zoneCount: number;
  appServiceAccount: gcp.serviceaccount.Account;
}

/**
 * A regional pool counts nodes per zone. Spread the preset's nodes over as many zones (up to 3) as divide them
 * evenly: 2 → 2×1, 3 → 3×1, 4 → 2×2.
 */
export function zoneLayout(nodes: number): { zones: number; perZone: number } {
  const zones = [3, 2, 1].find((z) => nodes % z === 0 && nodes >= z) ?? 1;
  return { zones, perZone: Math.max(1, nodes / zones) };
}

function projectRoles(ctx: GcpContext, name: string, member: pulumi.Input<string>, roles: string[]): void {
  roles.forEach((role, i) => {
    new gcp.projects.IAMMember(`${name}-${i}`, { project: ctx.project, role, member }, ctx.opts);
  });
}

export function createCluster(ctx: GcpContext, network: GcpNetwork): GcpCluster {
  const size = sizeOf(ctx.input);
  const layout = zoneLayout(size.nodes);
  const nodeTag = ctx.name("node");

  const nodeAccount = new gcp.serviceaccount.Account(
    "node-sa",
    {
      accountId: ctx.name("nodes", 30),
      displayName: `Nodes of instance ${ctx.input.slug}`,
      project: ctx.project,
    },
    ctx.opts,
  );
  projectRoles(ctx, "node-sa-role", pulumi.interpolate`serviceAccount:${nodeAccount.email}`, [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/artifactregistry.reader",
  ]);

  const cluster = new gcp.container.Cluster(
    "cluster",
    {
      name: ctx.name(),
      location: ctx.input.region,
      network: network.network.id,
      subnetwork: network.subnetwork.id,
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: PODS_RANGE,
        servicesSecondaryRangeName: SERVICES_RANGE,
      },
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: false,
        masterIpv4CidrBlock: "172.16.0.0/28",
      },
      workloadIdentityConfig: { workloadPool: `${ctx.project}.svc.id.goog` },
      releaseChannel: { channel: "REGULAR" },
      deletionProtection: !ctx.flags.teardown,
      resourceLabels: ctx.labels,
    },
    ctx.opts,
  );

  const zones = gcp.compute.getZonesOutput(
    { project: ctx.project, region: ctx.input.region, status: "UP" },
    { provider: ctx.provider },
  );
  // Suspended: no nodes, so nothing serves and nothing runs, while the database, bucket and cluster stay.
  const nodePool = new gcp.container.NodePool(
    "nodes",
    {
      cluster: cluster.id,
      location: ctx.input.region,
      nodeLocations: zones.names.apply((names) => {
        const picked = [...names].sort().slice(0, layout.zones);
        if (picked.length < layout.zones) {
          throw new Error(`region ${ctx.input.region} has fewer than ${layout.zones} zones available`);
        }
        return picked;
      }),
      nodeCount: ctx.flags.suspended ? 0 : layout.perZone,
      nodeConfig: {
        machineType: size.gcp.nodeMachineType,
        serviceAccount: nodeAccount.email,
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        tags: [nodeTag],
        labels: { "cp-instance": ctx.input.slug },
        resourceLabels: ctx.labels,
      },
      management: { autoRepair: true, autoUpgrade: true },
    },
    ctx.opts,
  );

  const appServiceAccount = new gcp.serviceaccount.Account(
    "app-sa",
    {
      accountId: ctx.name("app", 30),
      displayName: `Application of instance ${ctx.input.slug}`,
      project: ctx.project,
    },
    ctx.opts,
  );
  new gcp.serviceaccount.IAMMember(
    "app-workload-identity",
    {
      serviceAccountId: appServiceAccount.name,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${ctx.project}.svc.id.goog[${APP_NAMESPACE}/${APP_SERVICE_ACCOUNT}]`,
    },
    { ...ctx.opts, dependsOn: [cluster] },
  );
  return { cluster, nodePool, nodeTag, zoneCount: layout.zones, appServiceAccount };
}
