// Demo customer-managed deployments: Initech runs one on AWS that reports every day (60 days of telemetry, sent through
// the real ingest with its license), and one on bare metal that stopped reporting a week ago. Idempotent: a deployment
// that exists is left as it is. Refuses to run in production.
import { env } from "@cp/config";
import { closePgPool, db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import {
  ingestTelemetry,
  issueLicense,
  loadActor,
  registerDeployment,
  revealLicenseToken,
  type ActingContext,
} from "@cp/services";

const DAY = 86_400_000;

async function as(email: string): Promise<ActingContext> {
  const user = await db().user.findUniqueOrThrow({ where: { email } });
  const actor = await loadActor(user.id);
  if (!actor) throw new Error(`seed: ${email} cannot act`);
  return { actor, ip: "127.0.0.1", userAgent: "seed", requestId: "seed-deployments" };
}

function dayString(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** A growing team: counters that rise over the days with a weekly rhythm, as a real deployment's would. */
function countersFor(i: number, weekday: number) {
  const weekend = weekday === 0 || weekday === 6;
  const users = 40 + Math.floor(i / 3);
  const runs = 12_000 + i * 180 + (weekend ? 0 : 60);
  return {
    userCount: users,
    teamCount: 6 + Math.floor(i / 20),
    sweepCount: 140 + i * 2,
    runCount: runs,
    projectCount: 55 + Math.floor(i / 4),
    sweepRunCount: 3_200 + i * 45,
    artifactCount: 8_000 + i * 90,
    artifactStorageBytes: (400 + i * 6) * 1_073_741_824,
    artifactReferenceBytes: (120 + i * 2) * 1_073_741_824,
    artifactCollectionCount: 900 + i * 7,
    artifactTypeCount: 12,
    reportCount: 210 + i,
    reportCommentCount: 640 + i * 3,
    computeHours: Math.round((weekend ? 310 : 980 + i * 4) * 10) / 10,
    storageBytes: (900 + i * 9) * 1_073_741_824,
    userStat: {
      activeDaily: weekend ? Math.floor(users / 6) : Math.floor(users * 0.7),
      activeWeekly: Math.floor(users * 0.85),
      activeMonthly: users,
    },
  };
}

async function ensureDeployment(
  staff: ActingContext,
  input: { orgSlug: string; name: string; platform: "aws" | "bare_metal"; version: string },
): Promise<{ id: string; orgId: string; created: boolean }> {
  const org = await db().organization.findUniqueOrThrow({ where: { slug: input.orgSlug } });
  const existing = await db().customerDeployment.findFirst({ where: { orgId: org.id, name: input.name } });
  if (existing) return { id: existing.id, orgId: org.id, created: false };
  const d = await registerDeployment(staff, {
    orgId: org.id,
    name: input.name,
    platform: input.platform,
    contactName: "Ines Ops",
    contactEmail: "ops@initech.example",
    version: input.version,
  });
  return { id: d.id, orgId: org.id, created: true };
}

export async function seedDeploymentsDemo(now = Date.now()): Promise<void> {
  const staff = await as("staff-admin@provider.example");
  const reporting = await ensureDeployment(staff, {
    orgSlug: "initech",
    name: "initech-onprem",
    platform: "aws",
    version: "0.63.0",
  });
  const silent = await ensureDeployment(staff, {
    orgSlug: "initech",
    name: "initech-lab",
    platform: "bare_metal",
    version: "0.58.0",
  });
  for (const [d, days] of [
    [reporting, 60],
    [silent, 30],
  ] as const) {
    if (!d.created) continue;
    const license = await issueLicense(staff, {
      deploymentId: d.id,
      seats: 250,
      features: ["sso", "audit-logs", "artifacts", "reports"],
      expiresAt: new Date(now + 365 * DAY),
    });
    const { token } = await revealLicenseToken(staff, { orgId: d.orgId, licenseId: license.id });
    // The silent one's last report was a week ago; the reporting one reported yesterday.
    const lastDayAgo = d === silent ? 7 : 1;
    for (let i = 0; i < days; i++) {
      const t = now - (lastDayAgo + days - 1 - i) * DAY;
      const version =
        i < days - 20 ? (d === silent ? "0.56.0" : "0.61.0") : d === silent ? "0.58.0" : "0.63.0";
      const answer = await ingestTelemetry(
        token,
        { day: dayString(t), version, counters: countersFor(i, new Date(t).getUTCDay()) },
        // Each report arrives on its own day (the hourly budget is per license and hour).
        { now: new Date(t + 3_600_000) },
      );
      if (answer.status !== 200) throw new Error(`seed: telemetry refused: ${JSON.stringify(answer.body)}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (env().CP_MODE === "production") {
    console.error("seed: refusing to write demo data when CP_MODE=production");
    process.exit(1);
  }
  seedDeploymentsDemo()
    .then(async () => {
      console.log(`customer-managed deployments: ${await db().customerDeployment.count()}`);
      await db().$disconnect();
      await closePgPool();
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
