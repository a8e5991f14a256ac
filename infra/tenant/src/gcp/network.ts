// A VPC network with one subnetwork (secondary ranges for pods and services), Cloud NAT for the private nodes, and a
// private services range peered with Google so Cloud SQL gets a private IP only.
import * as gcp from "@pulumi/gcp";
import type { GcpContext } from "./context";

export interface GcpNetwork {
  network: gcp.compute.Network;
  subnetwork: gcp.compute.Subnetwork;
  /** Cloud SQL's private IP depends on the peering being in place. */
  privateServices: gcp.servicenetworking.Connection;
}

export const PODS_RANGE = "pods";
export const SERVICES_RANGE = "services";

export function createNetwork(ctx: GcpContext): GcpNetwork {
  const network = new gcp.compute.Network(
    "network",
    { name: ctx.name(), autoCreateSubnetworks: false, routingMode: "REGIONAL" },
    ctx.opts,
  );
  const subnetwork = new gcp.compute.Subnetwork(
    "subnet",
    {
      name: ctx.name("nodes"),
      network: network.id,
      region: ctx.input.region,
      ipCidrRange: "10.0.0.0/20",
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: PODS_RANGE, ipCidrRange: "10.4.0.0/14" },
        { rangeName: SERVICES_RANGE, ipCidrRange: "10.8.0.0/20" },
      ],
    },
    ctx.opts,
  );
  const router = new gcp.compute.Router(
    "router",
    { name: ctx.name("router"), network: network.id, region: ctx.input.region },
    ctx.opts,
  );
  new gcp.compute.RouterNat(
    "nat",
    {
      name: ctx.name("nat"),
      router: router.name,
      region: ctx.input.region,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
    },
    ctx.opts,
  );
  const peeringRange = new gcp.compute.GlobalAddress(
    "private-services-range",
    {
      name: ctx.name("psa"),
      network: network.id,
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      prefixLength: 20,
      labels: ctx.labels,
    },
    ctx.opts,
  );
  const privateServices = new gcp.servicenetworking.Connection(
    "private-services",
    {
      network: network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [peeringRange.name],
      // Google keeps the peering busy for a while after Cloud SQL is gone; deleting the network removes it anyway.
      deletionPolicy: "ABANDON",
    },
    ctx.opts,
  );
  return { network, subnetwork, privateServices };
}
