// Demo support data: the support staff assigned to Globex and Initech (Initech on the premium plan), console support
// channels with their setup post for two Globex fleet records, and support requests in the states people meet: one
// answered and open, one resolved, one whose first response is overdue (the SLA tick records the breach). Written
// through the same use cases the console calls, so clocks, threads and notifications are real. Runs once: an org
// that already has requests is left alone.
import { db } from "@cp/db";
import {
  loadActor,
  openSupportRequest,
  postToInstanceChannel,
  replyToSupportRequest,
  runSupportSlaTick,
  setSupportRequestStatus,
  type ActingContext,
} from "@cp/services";

const HOUR = 3_600_000;

async function as(email: string): Promise<ActingContext> {
  const user = await db().user.findUniqueOrThrow({ where: { email } });
  const actor = await loadActor(user.id);
  if (!actor) throw new Error(`seed: ${email} cannot act`);
  return { actor, ip: "127.0.0.1", userAgent: "seed", requestId: "seed-support" };
}

export async function seedSupportDemo(now = Date.now()): Promise<void> {
  const orgs = await db().organization.findMany({ where: { slug: { in: ["globex", "initech"] } } });
  const bySlug = new Map(orgs.map((o) => [o.slug, o]));
  const globex = bySlug.get("globex");
  const initech = bySlug.get("initech");
  if (!globex || !initech) return;
  if ((await db().supportRequest.count({ where: { orgId: { in: [globex.id, initech.id] } } })) > 0) return;

  const support = await db().user.findUniqueOrThrow({ where: { email: "support@provider.example" } });
  const sre = await db().user.findUniqueOrThrow({ where: { email: "sre@provider.example" } });
  for (const [orgId, role, userId] of [
    [globex.id, "primary", support.id],
    [globex.id, "secondary", sre.id],
    [initech.id, "primary", support.id],
  ] as const) {
    await db().supportAssignment.upsert({
      where: { orgId_role: { orgId, role } },
      create: { orgId, role, userId },
      update: {},
    });
  }
  await db().organization.update({ where: { id: initech.id }, data: { supportPlan: "premium" } });

  const fleet = await db().instance.findMany({
    where: { orgId: globex.id, slug: { in: ["globex-prod-01", "globex-research-03"] } },
    orderBy: { slug: "asc" },
  });
  for (const i of fleet) {
    await db().$transaction(async (tx) => {
      await tx.supportChannel.upsert({
        where: { instanceId: i.id },
        create: {
          instanceId: i.id,
          orgId: i.orgId,
          provider: "console",
          name: `support-${i.slug}`,
          topic: `${i.url ?? "(no URL: demo record)"} · ${i.cloud} ${i.region} · ${i.version ?? "unknown version"}`,
          readyAt: new Date(now - 40 * HOUR),
        },
        update: {},
      });
      await postToInstanceChannel(tx, {
        instanceId: i.id,
        kind: "setup",
        text: `Support channel for ${i.name} is ready: alerts, maintenance notices and upgrade results for it are posted here.`,
        dedupeKey: `setup:${i.id}`,
      });
    });
  }

  const adminGlobex = await as("admin@globex.example");
  const memberGlobex = await as("member@globex.example");
  const staff = await as("support@provider.example");
  const prod = fleet.find((i) => i.slug === "globex-prod-01");

  const slow = await openSupportRequest(
    adminGlobex,
    {
      orgId: globex.id,
      instanceId: prod?.id ?? null,
      severity: "P2",
      subject: "Run pages load slowly since the database CPU alert",
      body: "Opening a run page takes 20-30 s for everyone on globex-prod-01 since this morning. The console shows a database CPU alert.",
    },
    new Date(now - 2 * HOUR),
  );
  await replyToSupportRequest(staff, {
    orgId: globex.id,
    requestId: slow.id,
    body: "Thanks, we see the database CPU above 70% on globex-prod-01. We recommend moving the database to the next size; we can do it in your next maintenance window, or now if you prefer.",
  });

  const sso = await openSupportRequest(
    memberGlobex,
    {
      orgId: globex.id,
      severity: "P4",
      subject: "How do we add a second SSO group mapping?",
      body: "We want the research-admins group to become admins of the research team.",
    },
    new Date(now - 30 * HOUR),
  );
  await replyToSupportRequest(staff, {
    orgId: globex.id,
    requestId: sso.id,
    body: "Team role mapping is under Settings, SSO, Group mappings; add research-admins with the Admin role.",
  });
  await setSupportRequestStatus(adminGlobex, { orgId: globex.id, requestId: sso.id, status: "resolved" });

  await openSupportRequest(
    await as("sre@provider.example"),
    {
      orgId: initech.id,
      severity: "P3",
      subject: "Artifact uploads from the eu-west runners time out",
      body: "Opened on the customer's behalf after a call: uploads over 2 GB from their eu-west runners time out.",
    },
    new Date(now - 9 * HOUR),
  );
  await runSupportSlaTick(new Date(now));
}
