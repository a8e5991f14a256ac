// Demo release history and maintenance settings: a release every two weeks from 0.52.0 to 0.67.0 (0.67.0 on beta),
// with notes, two required steps (0.60.0 requires 0.58.0, 0.65.0 requires 0.63.0), end of support about six months
// after each release (so the oldest have ended and a couple are ending), one withdrawn release; the demo fleet
// records spread over those versions, each with a maintenance window in its own zone; and a fleet blackout over
// Christmas. Releases are written through the same use cases as the console (audited as the staff admin). Runs once:
// releases that exist are left alone, and the fleet records are only set up on the run that creates the catalog.
// Usage: tsx scripts/seed-releases.ts (also part of scripts/seed.ts)
import { env } from "@cp/config";
import { DEFAULT_APP_VERSION } from "@cp/core";
import { closePgPool, db } from "@cp/db";
import { closeQueues, closeSharedRedis } from "@cp/jobs";
import { createRelease, loadActor, withdrawRelease, type ActingContext } from "@cp/services";

const DAY = 86_400_000;
const FIRST_MINOR = 52;
const LAST_MINOR = 67;

const NOTES: Record<number, string> = {
  52: "Run comparison tables load twice as fast. Fixes a crash when a sweep had no runs.",
  53: "Artifact lineage graph. Reports keep their panel order after a reload.",
  54: "Audit log export for org admins. Slack alerts name the project.",
  55: "Faster search across runs. Drops support for MySQL 5.6.",
  56: "Custom charts in reports. Fixes time zones in CSV exports.",
  57: "Model registry: aliases and protected versions.",
  58: "Storage layout of run history moves to partitioned tables (required step: 0.60.0 and later need it).",
  59: "Launch queues for sweeps. Withdrawn: see the reason.",
  60: "Reworked run history reader on the partitioned tables. Requires 0.58.0 first.",
  61: "Service accounts with scoped API keys.",
  62: "Bulk move of runs between projects. Fixes OIDC group sync on large orgs.",
  63: "Table storage rewrite for artifacts (required step: 0.65.0 and later need it).",
  64: "Workspace templates. Lower memory use of the frontend service.",
  65: "Artifact deduplication on the new table storage. Requires 0.63.0 first.",
  66: "Run tags are indexed: the tenant service migrates its own table (adds a column, backward compatible).",
  67: "Beta: live-updating panels in reports.",
};

/** Demo fleet versions: mostly current, a few behind, some past or near their end of support. */
const FLEET_VERSIONS = [
  "0.66.0",
  "0.65.0",
  "0.64.0",
  "0.64.0",
  "0.63.0",
  "0.61.0",
  "0.66.0",
  "0.56.0",
  "0.55.0",
  "0.53.0",
  "0.64.0",
  "0.60.0",
  "0.52.0",
  "0.65.0",
];

const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "Asia/Tokyo",
  "Australia/Sydney",
  "America/Los_Angeles",
  "Europe/London",
  "Asia/Kolkata",
  "America/Sao_Paulo",
  "UTC",
];
const STARTS = ["02:00", "03:30", "22:00", "01:00", "23:30", "04:00"];
const DURATIONS = [240, 180, 120, 360];

async function as(email: string): Promise<ActingContext> {
  const user = await db().user.findUniqueOrThrow({ where: { email } });
  const actor = await loadActor(user.id);
  if (!actor) throw new Error(`seed: ${email} cannot act`);
  return { actor, ip: "127.0.0.1", userAgent: "seed", requestId: "seed-releases" };
}

/** Midday UTC `days` from `now` (whole days keep the demo dates tidy). */
function dayAt(now: number, days: number): Date {
  const d = new Date(now + days * DAY);
  d.setUTCHours(12, 0, 0, 0);
  return d;
}

export async function seedReleasesDemo(now = Date.now()): Promise<void> {
  const admin = await as("staff-admin@provider.example");
  const catalogWasEmpty = (await db().release.count()) === 0;

  // 0.67.0 came out two days ago; each earlier release two weeks before the next.
  for (let minor = FIRST_MINOR; minor <= LAST_MINOR; minor += 1) {
    const version = `0.${minor}.0`;
    if (await db().release.findUnique({ where: { version } })) continue;
    const released = -2 - (LAST_MINOR - minor) * 14;
    await createRelease(admin, {
      version,
      releasedAt: dayAt(now, released),
      notes: NOTES[minor] ?? "",
      channel: minor === LAST_MINOR ? "beta" : "stable",
      requiresVersion: minor === 60 ? "0.58.0" : minor === 65 ? "0.63.0" : null,
      // About six months of support: 0.52.0–0.54.0 have ended, 0.55.0 and 0.56.0 end within 30 days.
      endOfSupportAt: dayAt(now, released + 182),
      noRollback: minor === 63,
    });
  }
  const withdrawn = await db().release.findUnique({ where: { version: "0.59.0" } });
  if (withdrawn && !withdrawn.withdrawnAt) {
    await withdrawRelease(admin, {
      version: "0.59.0",
      reason: "Launch queues could lose queued sweep runs on restart; fixed in 0.60.0. Upgrade past it.",
    });
  }
  if (!(await db().release.findUnique({ where: { version: DEFAULT_APP_VERSION } }))) {
    throw new Error(`seed: the catalog lacks DEFAULT_APP_VERSION ${DEFAULT_APP_VERSION}`);
  }

  // Christmas: no maintenance on the 24th to the 26th of the coming December.
  const today = new Date(now);
  const year =
    today.getUTCMonth() === 11 && today.getUTCDate() > 26
      ? today.getUTCFullYear() + 1
      : today.getUTCFullYear();
  for (const day of [24, 25, 26]) {
    await db().maintenanceBlackout.upsert({
      where: { date: `${year}-12-${day}` },
      create: { date: `${year}-12-${day}`, reason: "Christmas change freeze" },
      update: {},
    });
  }

  if (!catalogWasEmpty) return;
  // Only the fleet records (no cloud resources behind them): a real local instance runs the version it was given.
  const fleet = await db().instance.findMany({
    where: { statusReason: { startsWith: "Demo record" } },
    orderBy: { slug: "asc" },
    select: { id: true, slug: true },
  });
  for (const [i, inst] of fleet.entries()) {
    const version = FLEET_VERSIONS[i % FLEET_VERSIONS.length]!;
    await db().instance.update({
      where: { id: inst.id },
      data: {
        version,
        // Some were upgraded recently and could be rolled back.
        previousVersion: version === "0.66.0" ? "0.65.0" : null,
        maintenanceWeekday: (i % 7) + 1,
        maintenanceStart: STARTS[i % STARTS.length]!,
        maintenanceDurationMin: DURATIONS[i % DURATIONS.length]!,
        maintenanceTimezone: ZONES[i % ZONES.length]!,
        maintenanceAnchor: "2026-01-05",
        maintenanceBlackouts: i === 0 ? [`${year}-12-31`] : [],
      },
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (env().CP_MODE === "production") {
    console.error("seed: refusing to write demo data when CP_MODE=production");
    process.exit(1);
  }
  seedReleasesDemo()
    .then(async () => {
      const counts = await db().release.count();
      console.log(`release catalog: ${counts} releases`);
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
