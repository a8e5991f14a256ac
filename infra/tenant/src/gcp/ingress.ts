// How users reach the instance: `<slug>.<baseDomain>` → Cloud DNS A record → a global external HTTPS load balancer
// with a Google-managed certificate → the node pool's ingress node port. The IP allowlist is a Cloud Armor policy on
// the backend service (a firewall rule could not do it: the load balancer's proxies, not the users, reach the nodes).
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_PATH, hostname, httpsForwardingRuleName, INGRESS_NODE_PORT } from "../input";
import type { GcpCluster } from "./cluster";
import type { GcpContext } from "./context";
import type { GcpNetwork } from "./network";

/** Where Google's load balancers and health checks come from. */
export const GOOGLE_LB_RANGES = ["130.211.0.0/22", "35.191.0.0/16"];
/** Cloud Armor takes at most 10 ranges per rule. */
const RANGES_PER_RULE = 10;
const PORT_NAME = "http";

export interface GcpIngress {
  url: pulumi.Output<string>;
}

export function createIngress(ctx: GcpContext, network: GcpNetwork, cluster: GcpCluster): GcpIngress {
  const host = hostname(ctx.input);
  const address = new gcp.compute.GlobalAddress(
    "lb-ip",
    { name: ctx.name("lb"), labels: ctx.labels },
    ctx.opts,
  );
  new gcp.dns.RecordSet(
    "dns",
    {
      managedZone: ctx.input.hostedZoneId,
      name: `${host}.`,
      type: "A",
      ttl: 300,
      rrdatas: [address.address],
    },
    ctx.opts,
  );
  const certificate = new gcp.compute.ManagedSslCertificate(
    "cert",
    { name: ctx.name(`cert-${ctx.unique}`), managed: { domains: [`${host}.`] } },
    ctx.opts,
  );

  new gcp.compute.Firewall(
    "lb-to-nodes",
    {
      name: ctx.name("lb-to-nodes"),
      network: network.network.id,
      direction: "INGRESS",
      sourceRanges: GOOGLE_LB_RANGES,
      targetTags: [cluster.nodeTag],
      allows: [{ protocol: "tcp", ports: [String(INGRESS_NODE_PORT)] }],
    },
    ctx.opts,
  );
  // The backend service reaches the ingress by port name; each zone's instance group must map the name.
  for (let i = 0; i < cluster.zoneCount; i++) {
    const group = cluster.nodePool.managedInstanceGroupUrls.apply((urls) => parseInstanceGroup(urls[i]));
    new gcp.compute.InstanceGroupNamedPort(
      `named-port-${i}`,
      { group: group.name, zone: group.zone, name: PORT_NAME, port: INGRESS_NODE_PORT },
      ctx.opts,
    );
  }

  const healthCheck = new gcp.compute.HealthCheck(
    "lb-health",
    { name: ctx.name("health"), httpHealthCheck: { port: INGRESS_NODE_PORT, requestPath: HEALTH_PATH } },
    ctx.opts,
  );
  const allowlist = createAllowlistPolicy(ctx);
  const backend = new gcp.compute.BackendService(
    "lb-backend",
    {
      name: ctx.name("backend"),
      loadBalancingScheme: "EXTERNAL_MANAGED",
      protocol: "HTTP",
      portName: PORT_NAME,
      timeoutSec: 300,
      healthChecks: healthCheck.id,
      backends: cluster.nodePool.managedInstanceGroupUrls.apply((urls) =>
        urls.map((group) => ({ group, balancingMode: "UTILIZATION", capacityScaler: 1 })),
      ),
      securityPolicy: allowlist?.id,
      logConfig: { enable: true, sampleRate: 1 },
    },
    ctx.opts,
  );
  const urlMap = new gcp.compute.URLMap(
    "lb-urls",
    { name: ctx.name("urls"), defaultService: backend.id },
    ctx.opts,
  );
  const httpsProxy = new gcp.compute.TargetHttpsProxy(
    "lb-https",
    { name: ctx.name("https"), urlMap: urlMap.id, sslCertificates: [certificate.id] },
    ctx.opts,
  );
  new gcp.compute.GlobalForwardingRule(
    "lb-https-rule",
    {
      name: httpsForwardingRuleName(ctx.input),
      target: httpsProxy.id,
      portRange: "443",
      ipAddress: address.address,
      loadBalancingScheme: "EXTERNAL_MANAGED",
      labels: ctx.labels,
    },
    ctx.opts,
  );

  const redirectMap = new gcp.compute.URLMap(
    "lb-redirect",
    {
      name: ctx.name("redirect"),
      defaultUrlRedirect: {
        httpsRedirect: true,
        stripQuery: false,
        redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT",
      },
    },
    ctx.opts,
  );
  const httpProxy = new gcp.compute.TargetHttpProxy(
    "lb-http",
    { name: ctx.name("http"), urlMap: redirectMap.id },
    ctx.opts,
  );
  new gcp.compute.GlobalForwardingRule(
    "lb-http-rule",
    {
      name: ctx.name("http"),
      target: httpProxy.id,
      portRange: "80",
      ipAddress: address.address,
      loadBalancingScheme: "EXTERNAL_MANAGED",
      labels: ctx.labels,
    },
    ctx.opts,
  );
  return { url: pulumi.output(`https://${host}`) };
}

/** A Cloud Armor policy that admits only the allowlist, or none when the allowlist is empty (open). */
function createAllowlistPolicy(ctx: GcpContext): gcp.compute.SecurityPolicy | undefined {
  const allowlist = ctx.input.ipAllowlist;
  if (allowlist.length === 0) return undefined;
  const allowRules = [];
  for (let i = 0; i < allowlist.length; i += RANGES_PER_RULE) {
    allowRules.push({
      priority: 1000 + i / RANGES_PER_RULE,
      action: "allow",
      description: "IP allowlist",
      match: {
        versionedExpr: "SRC_IPS_V1",
        config: { srcIpRanges: allowlist.slice(i, i + RANGES_PER_RULE) },
      },
    });
  }
  return new gcp.compute.SecurityPolicy(
    "allowlist",
    {
      name: ctx.name("allowlist"),
      description: `IP allowlist of instance ${ctx.input.slug}`,
      rules: [
        ...allowRules,
        {
          priority: 2147483647,
          action: "deny(403)",
          description: "Everyone else",
          match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } },
        },
      ],
    },
    ctx.opts,
  );
}

/** `.../zones/<zone>/instanceGroups(Managers)/<name>` → zone and name. */
export function parseInstanceGroup(url: string | undefined): { zone: string; name: string } {
  const match = /\/zones\/([^/]+)\/instanceGroup(?:Manager)?s\/([^/]+)$/.exec(url ?? "");
  if (!match?.[1] || !match[2]) throw new Error(`unexpected instance group URL from GKE: ${url ?? "(none)"}`);
  return { zone: match[1], name: match[2] };
}
