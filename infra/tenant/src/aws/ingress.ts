// How users reach the instance: `<slug>.<baseDomain>` → Route 53 alias → an ALB with a DNS-validated ACM
// certificate → the node group's ingress node port. The IP allowlist is enforced on the ALB's security group.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_PATH, hostname, INGRESS_NODE_PORT, loadBalancerName } from "../input";
import type { AwsContext } from "./context";
import type { AwsCluster } from "./cluster";
import { subnetIds, VPC_CIDR, type AwsNetwork } from "./network";

export interface AwsIngress {
  url: pulumi.Output<string>;
  loadBalancer: aws.lb.LoadBalancer;
}

/** Splits the allowlist by address family; an empty allowlist means open to everyone. */
export function allowedSources(allowlist: string[]): { cidrBlocks: string[]; ipv6CidrBlocks: string[] } {
  if (allowlist.length === 0) return { cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] };
  return {
    cidrBlocks: allowlist.filter((c) => !c.includes(":")),
    ipv6CidrBlocks: allowlist.filter((c) => c.includes(":")),
  };
}

export function createIngress(ctx: AwsContext, network: AwsNetwork, cluster: AwsCluster): AwsIngress {
  const host = hostname(ctx.input);
  const sources = allowedSources(ctx.input.ipAllowlist);
  const securityGroup = new aws.ec2.SecurityGroup(
    "lb-sg",
    {
      vpcId: network.vpc.id,
      description: ctx.input.ipAllowlist.length
        ? "HTTPS from the instance's IP allowlist"
        : "HTTPS from anywhere (no IP allowlist)",
      ingress: [443, 80].map((port) => ({ protocol: "tcp", fromPort: port, toPort: port, ...sources })),
      egress: [
        { protocol: "tcp", fromPort: INGRESS_NODE_PORT, toPort: INGRESS_NODE_PORT, cidrBlocks: [VPC_CIDR] },
      ],
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.ec2.SecurityGroupRule(
    "nodes-from-lb",
    {
      type: "ingress",
      securityGroupId: cluster.clusterSecurityGroupId,
      sourceSecurityGroupId: securityGroup.id,
      protocol: "tcp",
      fromPort: INGRESS_NODE_PORT,
      toPort: INGRESS_NODE_PORT,
      description: "Load balancer to the ingress node port",
    },
    ctx.opts,
  );

  const loadBalancer = new aws.lb.LoadBalancer(
    "lb",
    {
      name: loadBalancerName(ctx.input),
      loadBalancerType: "application",
      internal: false,
      securityGroups: [securityGroup.id],
      subnets: subnetIds(network.publicSubnets),
      dropInvalidHeaderFields: true,
      tags: ctx.tags,
    },
    ctx.opts,
  );
  const targets = new aws.lb.TargetGroup(
    "lb-targets",
    {
      port: INGRESS_NODE_PORT,
      protocol: "HTTP",
      targetType: "instance",
      vpcId: network.vpc.id,
      healthCheck: { path: HEALTH_PATH, matcher: "200", interval: 15, healthyThreshold: 2 },
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.autoscaling.Attachment(
    "lb-nodes",
    {
      autoscalingGroupName: cluster.nodeGroup.resources.apply((r) => r[0]?.autoscalingGroups[0]?.name ?? ""),
      lbTargetGroupArn: targets.arn,
    },
    ctx.opts,
  );

  const certificate = createCertificate(ctx, host);
  new aws.lb.Listener(
    "https",
    {
      loadBalancerArn: loadBalancer.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn: certificate,
      defaultActions: [{ type: "forward", targetGroupArn: targets.arn }],
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.lb.Listener(
    "http-redirect",
    {
      loadBalancerArn: loadBalancer.arn,
      port: 80,
      protocol: "HTTP",
      defaultActions: [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
      ],
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.route53.Record(
    "dns",
    {
      zoneId: ctx.input.hostedZoneId,
      name: host,
      type: "A",
      aliases: [{ name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true }],
    },
    ctx.opts,
  );
  return { url: pulumi.output(`https://${host}`), loadBalancer };
}

/** An ACM certificate for the host, validated through a record in the platform's hosted zone. Returns its ARN. */
function createCertificate(ctx: AwsContext, host: string): pulumi.Output<string> {
  const certificate = new aws.acm.Certificate(
    "cert",
    { domainName: host, validationMethod: "DNS", tags: ctx.tags },
    { ...ctx.opts, deleteBeforeReplace: true },
  );
  const option = certificate.domainValidationOptions.apply((options) => {
    const first = options[0];
    if (!first) throw new Error(`ACM returned no DNS validation record for ${host}`);
    return first;
  });
  const record = new aws.route53.Record(
    "cert-validation",
    {
      zoneId: ctx.input.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    },
    ctx.opts,
  );
  const validation = new aws.acm.CertificateValidation(
    "cert-validated",
    { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
    ctx.opts,
  );
  return validation.certificateArn;
}
