// Demo data: organizations, one account per role, fleet records and their health history (seed-health.ts), support assignments, channels and requests (seed-support.ts), the release history and maintenance windows (seed-releases.ts), customer-managed deployments with their telemetry (seed-deployments.ts). Idempotent; refuses to run in production.
// Usage: tsx scripts/seed.ts [--quiet] | --list (print the demo accounts only)
import { env } from "@cp/config";
import { closePgPool, db, type Cloud, type InstanceStatus } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import { hashPassword } from "@cp/services";
import { seedHealthDemo } from "./seed-health";
import { seedDeploymentsDemo } from "./seed-deployments";
import { seedReleasesDemo } from "./seed-releases";
import { seedSupportDemo } from "./seed-support";

export const DEMO_PASSWORD = "demo-password-123";

export const DEMO_ACCOUNTS = [
  {
    email: "admin@acme.example",
    name: "Ada Admin",
    role: "customer admin of Acme Robotics",
    staffRole: "none" as const,
    org: "acme",
    orgRole: "admin" as const,
  },
  {
    email: "member@globex.example",
    name: "Max Member",
    role: "customer member of Globex Research",
    staffRole: "none" as const,
    org: "globex",
    orgRole: "member" as const,
  },
  {
    email: "admin@globex.example",
    name: "Gia Globex",
    role: "customer admin of Globex Research",
    staffRole: "none" as const,
    org: "globex",
    orgRole: "admin" as const,
  },
  {
    email: "support@provider.example",
    name: "Sam Support",
    role: "staff: support",
    staffRole: "support" as const,
  },
  { email: "sre@provider.example", name: "Rita SRE", role: "staff: SRE", staffRole: "sre" as const },
  {
    email: "staff-admin@provider.example",
    name: "Stan Staff",
    role: "staff: admin",
    staffRole: "admin" as const,
  },
];

const ORGS = [
  { slug: "acme", name: "Acme Robotics", plan: "dedicated" as const },
  { slug: "globex", name: "Globex Research", plan: "dedicated" as const },
  { slug: "initech", name: "Initech AI", plan: "dedicated" as const },
  { slug: "umbrella", name: "Umbrella Labs", plan: "saas" as const },
];

const FLEET: { org: string; name: string; cloud: Cloud; region: string; status: InstanceStatus }[] = [];
const regions: Record<"aws" | "gcp", string[]> = {
  aws: ["us-east-1", "eu-west-1", "ap-southeast-2"],
  gcp: ["us-central1", "europe-west4"],
};
const statuses: InstanceStatus[] = ["running", "running", "running", "updating", "failed", "provisioning"];
for (let i = 0; i < 28; i++) {
  const cloud = i % 3 === 0 ? "gcp" : "aws";
  const list = regions[cloud];
  FLEET.push({
    org: i % 2 === 0 ? "globex" : "initech",
    name: `${i % 2 === 0 ? "globex" : "initech"}-${["prod", "staging", "research", "eval"][i % 4]}-${String(i + 1).padStart(2, "0")}`,
    cloud,
    region: list[i % list.length] ?? "us-east-1",
    status: statuses[i % statuses.length] ?? "running",
  });
}

export async function seedDemo(): Promise<void> {
  if (env().CP_MODE === "production")
    throw new Error("seed: refusing to write demo data when CP_MODE=production");
  const client = db();
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const orgIds = new Map<string, string>();
  for (const o of ORGS) {
    const org = await client.organization.upsert({
      where: { slug: o.slug },
      create: { ...o, instanceQuota: 40 },
      update: {},
    });
    orgIds.set(o.slug, org.id);
  }
  for (const a of DEMO_ACCOUNTS) {
    const user = await client.user.upsert({
      where: { email: a.email },
      create: {
        email: a.email,
        name: a.name,
        passwordHash,
        staffRole: a.staffRole,
        emailVerifiedAt: new Date(),
      },
      update: {},
    });
    if ("org" in a && a.org) {
      const orgId = orgIds.get(a.org)!;
      await client.membership.upsert({
        where: { orgId_userId: { orgId, userId: user.id } },
        create: { orgId, userId: user.id, role: a.orgRole },
        update: {},
      });
    }
  }
  const base = Date.now() - FLEET.length * 3600_000;
  for (const [i, f] of FLEET.entries()) {
    await client.instance.upsert({
      where: { slug: f.name },
      create: {
        orgId: orgIds.get(f.org)!,
        name: f.name,
        slug: f.name,
        cloud: f.cloud,
        region: f.region,
        size: i % 3 === 0 ? "large" : "recommended",
        mysqlVersion: i % 4 === 0 ? "5.7" : "8.0",
        storageMode: i % 5 === 0 ? "byob" : "provider",
        status: f.status,
        statusReason: "Demo record: no cloud resources behind it",
        version: `0.${60 + (i % 5)}.0`,
        createdAt: new Date(base + i * 3600_000),
      },
      update: {},
    });
  }
  await seedHealthDemo();
  await seedSupportDemo();
  await seedReleasesDemo();
  await seedDeploymentsDemo();
}

function printAccounts() {
  console.log(`Demo accounts (password for all: ${DEMO_PASSWORD}):`);
  for (const a of DEMO_ACCOUNTS) console.log(`  ${a.email.padEnd(30)} ${a.role}`);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes("--list")) {
  printAccounts();
} else if (import.meta.url === `file://${process.argv[1]}`) {
  seedDemo()
    .then(async () => {
      if (!process.argv.includes("--quiet")) printAccounts();
      await db().$disconnect();
      await closePgPool();
      // Requests and channel posts enqueue their deliveries: let go of Redis so the process ends.
      await closeQueues();
      await closeSharedRedis();
    })
    .catch(async (err) => {
      console.error(err);
      await db().$disconnect();
      await closePgPool();
      process.exit(1);
    });
}
