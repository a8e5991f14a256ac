// A VPC over two availability zones: public subnets for the load balancer and NAT gateways, private subnets for the
// nodes and the database; one NAT gateway per zone so losing a zone does not cut the other's egress.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { named, type AwsContext } from "./context";

export const VPC_CIDR = "10.0.0.0/16";
export const ZONE_COUNT = 2;

export interface AwsNetwork {
  vpc: aws.ec2.Vpc;
  publicSubnets: aws.ec2.Subnet[];
  privateSubnets: aws.ec2.Subnet[];
}

export function createNetwork(ctx: AwsContext): AwsNetwork {
  const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { provider: ctx.provider });
  const zone = (i: number) =>
    zones.names.apply((names) => {
      const name = names[i];
      if (!name)
        throw new Error(`region ${ctx.input.region} has fewer than ${ZONE_COUNT} availability zones`);
      return name;
    });

  const vpc = new aws.ec2.Vpc(
    "vpc",
    { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true, tags: named(ctx, "vpc") },
    ctx.opts,
  );
  const gateway = new aws.ec2.InternetGateway("igw", { vpcId: vpc.id, tags: named(ctx, "igw") }, ctx.opts);
  const publicRoutes = new aws.ec2.RouteTable(
    "public-routes",
    {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
      tags: named(ctx, "public"),
    },
    ctx.opts,
  );

  const publicSubnets: aws.ec2.Subnet[] = [];
  const privateSubnets: aws.ec2.Subnet[] = [];
  for (let i = 0; i < ZONE_COUNT; i++) {
    const publicSubnet = new aws.ec2.Subnet(
      `public-${i}`,
      {
        vpcId: vpc.id,
        availabilityZone: zone(i),
        cidrBlock: `10.0.${i * 16}.0/20`,
        mapPublicIpOnLaunch: false,
        tags: { ...named(ctx, `public-${i}`), "kubernetes.io/role/elb": "1" },
      },
      ctx.opts,
    );
    new aws.ec2.RouteTableAssociation(
      `public-${i}`,
      { subnetId: publicSubnet.id, routeTableId: publicRoutes.id },
      ctx.opts,
    );
    const eip = new aws.ec2.Eip(`nat-${i}`, { domain: "vpc", tags: named(ctx, `nat-${i}`) }, ctx.opts);
    const nat = new aws.ec2.NatGateway(
      `nat-${i}`,
      { allocationId: eip.id, subnetId: publicSubnet.id, tags: named(ctx, `nat-${i}`) },
      { ...ctx.opts, dependsOn: [gateway] },
    );

    const privateSubnet = new aws.ec2.Subnet(
      `private-${i}`,
      {
        vpcId: vpc.id,
        availabilityZone: zone(i),
        cidrBlock: `10.0.${64 + i * 64}.0/18`,
        tags: { ...named(ctx, `private-${i}`), "kubernetes.io/role/internal-elb": "1" },
      },
      ctx.opts,
    );
    const privateRoutes = new aws.ec2.RouteTable(
      `private-routes-${i}`,
      {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
        tags: named(ctx, `private-${i}`),
      },
      ctx.opts,
    );
    new aws.ec2.RouteTableAssociation(
      `private-${i}`,
      { subnetId: privateSubnet.id, routeTableId: privateRoutes.id },
      ctx.opts,
    );
    publicSubnets.push(publicSubnet);
    privateSubnets.push(privateSubnet);
  }
  return { vpc, publicSubnets, privateSubnets };
}

export function subnetIds(subnets: aws.ec2.Subnet[]): pulumi.Output<string>[] {
  return subnets.map((s) => s.id);
}
