// The GCP tenant program under Pulumi mocks: what it would create, with which settings.
import { describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { SIZES } from "@cp/core";
import { databaseInstanceName, tenantProgram, type TenantProgramInput } from "./index";
import { zoneLayout } from "./gcp/cluster";
import { parseInstanceGroup } from "./gcp/ingress";
import { runProgram, type MockRun } from "./mock-run";

const PROJECT = "cp-tenants-prod";
const KEY_ID = `projects/${PROJECT}/locations/europe-west4/keyRings/ring/cryptoKeys/data`;

function spec(overrides: Partial<TenantProgramInput> = {}): TenantProgramInput {
  return {
    instanceId: "inst_01HXGCP",
    slug: "globex",
    orgSlug: "globex-corp",
    cloud: "gcp",
    region: "europe-west4",
    size: "small",
    mysqlVersion: "8.0",
    version: "0.64.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
    ipAllowlist: [],
    backup: { retentionDays: 14, startTimeUtc: "03:00" },
    tags: { "Cost Center": "ML/42", team: "research" },
    baseDomain: "dedicated.example.com",
    hostedZoneId: "dedicated-example-com",
    gcpProject: PROJECT,
    ...overrides,
  };
}

/** What GCP would compute on create, for the resources whose outputs the program reads. */
function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "gcp:kms/cryptoKey:CryptoKey":
      return { id: KEY_ID };
    case "gcp:serviceaccount/account:Account": {
      const email = `${String(inputs.accountId)}@${PROJECT}.iam.gserviceaccount.com`;
      return { email, name: `projects/${PROJECT}/serviceAccounts/${email}` };
    }
    case "gcp:projects/serviceIdentity:ServiceIdentity":
      return { email: "service-123@gcp-sa-cloud-sql.iam.gserviceaccount.com" };
    case "gcp:container/nodePool:NodePool":
      return {
        managedInstanceGroupUrls: (inputs.nodeLocations as string[]).map(
          (zone) =>
            `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${zone}/instanceGroups/gke-globex-nodes-${zone}-grp`,
        ),
      };
    case "gcp:sql/databaseInstance:DatabaseInstance":
      return { privateIpAddress: "10.20.0.3" };
    case "gcp:compute/globalAddress:GlobalAddress":
      return { address: "34.120.1.2" };
    default:
      return {};
  }
}

function call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "gcp:compute/getZones:getZones":
      return { names: ["europe-west4-c", "europe-west4-a", "europe-west4-b"] };
    case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
      return { emailAddress: "service-123@gs-project-accounts.iam.gserviceaccount.com" };
    default:
      throw new Error(`unexpected invoke ${args.token}`);
  }
}

const run = (input: TenantProgramInput, config?: Record<string, string>) =>
  runProgram(input, computed, call, config);

function expectClean(result: MockRun): void {
  expect(result.failures).toEqual([]);
  expect(result.resources.length).toBeGreaterThan(30);
}

// Mocks are process-wide: one program run at a time, so the cases run serially (vitest's default within a file).
describe("GCP tenant program", () => {
  it("pins every resource to a provider for the project and region, and places data in the region", async () => {
    const result = await run(spec());
    expectClean(result);
    const providers = result.ofType("pulumi:providers:gcp");
    expect(providers).toHaveLength(1);
    expect(providers[0]!.inputs).toMatchObject({ project: PROJECT, region: "europe-west4" });
    for (const r of result.resources.filter((r) => r.type.startsWith("gcp:"))) {
      expect(r.provider, `${r.type} ${r.name}`).toMatch(/pulumi:providers:gcp::gcp::/);
    }
    expect(result.named("db").inputs.region).toBe("europe-west4");
    expect(result.named("bucket").inputs.location).toBe("EUROPE-WEST4");
    expect(result.named("key-ring").inputs.location).toBe("europe-west4");
    expect(result.named("cluster").inputs.location).toBe("europe-west4");
  });

  it("creates a CMEK-encrypted, backed-up, protected Cloud SQL MySQL 8.0 with a private IP only", async () => {
    const result = await run(spec());
    const db = result.named("db").inputs;
    expect(db).toMatchObject({
      databaseVersion: "MYSQL_8_0",
      encryptionKeyName: KEY_ID,
      deletionProtection: true,
      settings: {
        tier: SIZES.small.gcp.dbTier,
        diskSize: SIZES.small.gcp.dbStorageGiB,
        availabilityType: "ZONAL",
        deletionProtectionEnabled: true,
        backupConfiguration: {
          enabled: true,
          binaryLogEnabled: true,
          startTime: "03:00",
          transactionLogRetentionDays: 7,
          backupRetentionSettings: { retainedBackups: 14, retentionUnit: "COUNT" },
        },
        ipConfiguration: { ipv4Enabled: false, privateNetwork: "network-id", sslMode: "ENCRYPTED_ONLY" },
      },
    });
    // The Cloud SQL agent may use the key before the instance is created with it.
    expect(result.named("sql-agent-key").inputs).toMatchObject({
      cryptoKeyId: KEY_ID,
      member: "serviceAccount:service-123@gcp-sa-cloud-sql.iam.gserviceaccount.com",
    });
    expect(result.named("db-app-user").inputs).toMatchObject({
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      name: `cp-globex-app@${PROJECT}.iam`,
    });
    expect(result.outputs.databaseEndpoint).toBe("10.20.0.3:3306");
  });

  it("names the database as the driver's snapshot code finds it", async () => {
    const result = await run(spec());
    expect(result.named("db").inputs.name).toBe(
      databaseInstanceName({ cloud: "gcp", slug: "globex", instanceId: "inst_01HXGCP" }),
    );
    expect(result.named("db").inputs.name).toMatch(/^cp-globex-db-[0-9a-f]{6}$/);
  });

  it("takes daily backups at the policy's time and keeps one per day of its retention", async () => {
    const short = await run(spec({ backup: { retentionDays: 3, startTimeUtc: "22:30" } }));
    expect(
      (short.named("db").inputs.settings as { backupConfiguration: unknown }).backupConfiguration,
    ).toMatchObject({
      enabled: true,
      startTime: "22:30",
      // Binary logs for point-in-time recovery never outlast the backups they replay from.
      transactionLogRetentionDays: 3,
      backupRetentionSettings: { retainedBackups: 3, retentionUnit: "COUNT" },
    });

    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    const year = await run(spec({ backup: { retentionDays: 400, startTimeUtc: "00:00" } }));
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/Cloud SQL keeps at most 365 automated backups; the policy asks for 400 days/),
    );
    warn.mockRestore();
    expectClean(year);
    expect(
      (year.named("db").inputs.settings as { backupConfiguration: unknown }).backupConfiguration,
    ).toMatchObject({
      transactionLogRetentionDays: 7,
      backupRetentionSettings: { retainedBackups: 365 },
    });
  });

  it("runs MySQL 5.7 when ordered", async () => {
    const result = await run(spec({ mysqlVersion: "5.7" }));
    expect(result.named("db").inputs.databaseVersion).toBe("MYSQL_5_7");
  });

  it("sizes the node pool and database per preset: small vs recommended", async () => {
    const small = await run(spec({ size: "small" }));
    const smallPool = small.named("nodes").inputs as {
      nodeCount: number;
      nodeLocations: string[];
      nodeConfig: { machineType: string };
    };
    expect(smallPool.nodeConfig.machineType).toBe(SIZES.small.gcp.nodeMachineType);
    expect(smallPool.nodeLocations).toEqual(["europe-west4-a", "europe-west4-b"]);
    expect(smallPool.nodeCount * smallPool.nodeLocations.length).toBe(SIZES.small.nodes);
    expect(small.ofType("gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort")).toHaveLength(2);

    const recommended = await run(spec({ size: "recommended" }));
    const pool = recommended.named("nodes").inputs as typeof smallPool;
    expect(pool.nodeConfig.machineType).toBe("n2-standard-8");
    expect(pool.nodeCount * pool.nodeLocations.length).toBe(3);
    expect(recommended.named("db").inputs).toMatchObject({
      settings: { tier: "db-custom-4-32768", availabilityType: "REGIONAL" },
    });
  });

  it("spreads every preset's nodes evenly over the zones", () => {
    for (const size of Object.values(SIZES)) {
      const { zones, perZone } = zoneLayout(size.nodes);
      expect(zones * perZone, size.id).toBe(size.nodes);
      expect(zones).toBeLessThanOrEqual(3);
    }
  });

  it("creates a versioned, CMEK, uniform-access, non-public bucket with CORS", async () => {
    const result = await run(spec());
    expect(result.ofType("gcp:storage/bucket:Bucket")).toHaveLength(1);
    expect(result.named("bucket").inputs).toMatchObject({
      versioning: { enabled: true },
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      encryption: { defaultKmsKeyName: KEY_ID },
      forceDestroy: false,
      cors: [{ origins: ["*"], methods: ["GET", "HEAD", "PUT"], responseHeaders: ["ETag"] }],
    });
    expect(result.named("storage-agent-key").inputs.member).toBe(
      "serviceAccount:service-123@gs-project-accounts.iam.gserviceaccount.com",
    );
    expect(result.outputs.bucket).toMatch(/^cp-globex-data-[0-9a-f]{6}$/);
    expect(result.named("key").inputs.rotationPeriod).toBe("7776000s");
  });

  it("creates no bucket for BYOB, only IAM bindings on the customer's bucket and key", async () => {
    const customerKey = "projects/globex-data/locations/eu/keyRings/ml/cryptoKeys/bucket";
    const result = await run(
      spec({
        storage: {
          mode: "byob",
          provider: "gcs",
          bucket: "globex-ml-artifacts",
          region: "EU",
          kmsKeyId: customerKey,
          access: { kind: "serviceAccount", email: "ml@globex-data.iam.gserviceaccount.com" },
        },
      }),
    );
    expectClean(result);
    expect(result.ofType("gcp:storage/bucket:Bucket")).toEqual([]);
    expect(result.named("app-customer-bucket").inputs).toEqual({
      bucket: "globex-ml-artifacts",
      role: "roles/storage.objectAdmin",
      member: `serviceAccount:cp-globex-app@${PROJECT}.iam.gserviceaccount.com`,
    });
    expect(result.named("app-customer-key").inputs).toMatchObject({ cryptoKeyId: customerKey });
    expect(result.outputs.bucket).toBe("globex-ml-artifacts");
  });

  it("serves https://<slug>.<baseDomain> with a Cloud DNS record and a Google-managed certificate", async () => {
    const result = await run(spec());
    expect(result.outputs).toMatchObject({
      url: "https://globex.dedicated.example.com",
      databaseName: "app",
      version: "0.64.0",
      suspended: false,
    });
    expect(result.named("dns").inputs).toMatchObject({
      managedZone: "dedicated-example-com",
      name: "globex.dedicated.example.com.",
      type: "A",
      rrdatas: ["34.120.1.2"],
    });
    expect(result.named("cert").inputs.managed).toEqual({ domains: ["globex.dedicated.example.com."] });
    expect(result.named("lb-https").inputs.sslCertificates).toEqual(["cert-id"]);
    const backends = result.named("lb-backend").inputs.backends as { group: string }[];
    expect(backends.map((b) => b.group)).toEqual([
      expect.stringContaining("/zones/europe-west4-a/instanceGroups/"),
      expect.stringContaining("/zones/europe-west4-b/instanceGroups/"),
    ]);
  });

  it("has no Cloud Armor policy without an allowlist", async () => {
    const result = await run(spec());
    expect(result.ofType("gcp:compute/securityPolicy:SecurityPolicy")).toEqual([]);
    expect(result.named("lb-backend").inputs.securityPolicy).toBeUndefined();
  });

  it("admits only the allowlist through Cloud Armor when one is set", async () => {
    const allowlist = Array.from({ length: 12 }, (_, i) => `203.0.113.${i * 8}/29`);
    const result = await run(spec({ ipAllowlist: allowlist }));
    const [policy] = result.ofType("gcp:compute/securityPolicy:SecurityPolicy");
    expect(policy).toBeDefined();
    const rules = policy!.inputs.rules as {
      action: string;
      priority: number;
      match: { config: { srcIpRanges: string[] } };
    }[];
    const allowed = rules.filter((r) => r.action === "allow").flatMap((r) => r.match.config.srcIpRanges);
    expect(allowed).toEqual(allowlist);
    expect(rules.at(-1)).toMatchObject({ action: "deny(403)", priority: 2147483647 });
    expect(result.named("lb-backend").inputs.securityPolicy).toBe("allowlist-id");
  });

  it("labels every labelled resource with the customer's tags and the instance and org", async () => {
    const result = await run(spec());
    const expected = {
      cost_center: "ml_42",
      team: "research",
      "cp-instance-id": "inst_01hxgcp",
      "cp-instance": "globex",
      "cp-org": "globex-corp",
    };
    const labelled = [
      ["gcp:storage/bucket:Bucket", "labels"],
      ["gcp:kms/cryptoKey:CryptoKey", "labels"],
      ["gcp:container/cluster:Cluster", "resourceLabels"],
      ["gcp:secretmanager/secret:Secret", "labels"],
      ["gcp:compute/globalAddress:GlobalAddress", "labels"],
      ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "labels"],
    ] as const;
    for (const [type, field] of labelled) {
      const found = result.ofType(type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const r of found) expect(r.inputs[field], `${type} ${r.name}`).toMatchObject(expected);
    }
    expect(result.named("db").inputs).toMatchObject({ settings: { userLabels: expected } });
    expect(result.named("nodes").inputs).toMatchObject({ nodeConfig: { resourceLabels: expected } });
  });

  it("scales the node pool to zero when suspended and reports it", async () => {
    const result = await run(spec(), { "tenant:suspended": "true" });
    expect(result.named("nodes").inputs.nodeCount).toBe(0);
    expect(result.outputs.suspended).toBe(true);
    expect(result.named("db").inputs.deletionProtection).toBe(true);
  });

  it("lifts deletion protection only for a teardown run", async () => {
    const result = await run(spec(), { "tenant:teardown": "true" });
    expect(result.named("db").inputs).toMatchObject({
      deletionProtection: false,
      settings: { deletionProtectionEnabled: false },
    });
    expect(result.named("cluster").inputs.deletionProtection).toBe(false);
    expect(result.named("bucket").inputs.forceDestroy).toBe(true);
  });

  it("refuses an instance on another cloud", async () => {
    await expect(tenantProgram(spec({ cloud: "local" }))()).rejects.toThrow(/AWS or GCP/);
  });

  it("reads zone and name from GKE's instance group URLs", () => {
    expect(
      parseInstanceGroup(
        "https://www.googleapis.com/compute/v1/projects/p/zones/us-east1-b/instanceGroups/gke-x-grp",
      ),
    ).toEqual({ zone: "us-east1-b", name: "gke-x-grp" });
    expect(() => parseInstanceGroup(undefined)).toThrow(/instance group URL/);
  });
});
