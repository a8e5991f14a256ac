// Walks every tRPC procedure with every kind of caller, each with valid input, and checks the exact outcome against
// one table. The table is written out by hand (not derived from the policy code it tests), and a procedure that is
// missing from it, or a row for a procedure that no longer exists, fails the first test.
import { db } from "@cp/db";
import { issueLicenseTx } from "@cp/services";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "./root";
import { createAlert, createAlertRule } from "./testing/alert-fixtures";
import { createSupportRequest } from "./testing/support-fixtures";
import {
  callerFor,
  createBackup,
  createInstance,
  createInvitation,
  createMember,
  createOrg,
  createUser,
  createWorld,
  PASSWORD,
  settle,
  unique,
  type Caller,
  type TestUser,
  type World,
} from "./testing/fixtures";

const CALLERS = ["anon", "memberA", "adminA", "adminB", "support", "sre", "staffAdmin"] as const;
type CallerName = (typeof CALLERS)[number];
const STAFF: ReadonlySet<CallerName> = new Set(["support", "sre", "staffAdmin"]);

type Expected = "ok" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND";
const ok = "ok";
const U = "UNAUTHORIZED";
const F = "FORBIDDEN";
const NF = "NOT_FOUND";
type Outcomes = readonly [Expected, Expected, Expected, Expected, Expected, Expected, Expected];

interface CaseEnv {
  world: World;
  caller: CallerName;
  user: TestUser | null;
  /** What the input builder made that the audit check needs to know. */
  scratch: { inviteeEmail?: string };
}

interface Row {
  /** In the order of CALLERS: anon, memberA, adminA, adminB, support, sre, staffAdmin. */
  expect: Outcomes;
  input: (env: CaseEnv) => unknown;
  /**
   * Mutations: the audit event an allowed call writes. `viaStaff: "staff"` means "true exactly when the caller is
   * staff"; `actor: "invitee"` means the event's actor is the account the call created.
   */
  audit?: { action: string; viaStaff: boolean | "staff"; actor?: "caller" | "invitee" } | { none: string };
}

const orgA = ({ world }: CaseEnv) => ({ orgId: world.orgA.id });

// expect: [anon, memberA, adminA, adminB, support, sre, staffAdmin]
const TABLE: Record<string, Row> = {
  "me.get": { expect: [U, ok, ok, ok, ok, ok, ok], input: () => undefined },
  "notifications.list": { expect: [U, ok, ok, ok, ok, ok, ok], input: () => undefined },
  "notifications.markAllRead": {
    expect: [U, ok, ok, ok, ok, ok, ok],
    input: () => undefined,
    audit: { action: "notification.mark_all_read", viaStaff: false },
  },

  "orgs.list": { expect: [U, ok, ok, ok, ok, ok, ok], input: () => ({}) },
  "orgs.get": { expect: [U, ok, ok, NF, ok, ok, ok], input: orgA },
  "orgs.setQuota": {
    expect: [U, F, F, F, F, ok, ok],
    input: ({ world }) => ({ orgId: world.orgB.id, instanceQuota: 7 }),
    audit: { action: "org.quota_change", viaStaff: true },
  },
  "orgs.create": {
    expect: [U, F, F, F, F, F, ok],
    input: () => {
      const slug = unique("new");
      return {
        name: `New ${slug}`,
        slug,
        plan: "dedicated",
        firstAdminEmail: `${unique("first")}@example.com`,
      };
    },
    audit: { action: "org.create", viaStaff: true },
  },

  "members.list": { expect: [U, ok, ok, NF, ok, ok, ok], input: orgA },
  "members.changeRole": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const { membershipId } = await createMember(world.orgA.id, "member");
      return { orgId: world.orgA.id, membershipId, role: "admin" };
    },
    audit: { action: "member.role_change", viaStaff: "staff" },
  },
  "members.remove": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const { membershipId } = await createMember(world.orgA.id, "member");
      return { orgId: world.orgA.id, membershipId };
    },
    audit: { action: "member.remove", viaStaff: "staff" },
  },

  "invitations.list": { expect: [U, F, ok, NF, ok, ok, ok], input: orgA },
  "invitations.create": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: ({ world }) => ({
      orgId: world.orgA.id,
      email: `${unique("invitee")}@example.com`,
      role: "member",
    }),
    audit: { action: "invitation.create", viaStaff: "staff" },
  },
  "invitations.revoke": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const inv = await createInvitation({ orgId: world.orgA.id, email: `${unique("revokee")}@example.com` });
      return { orgId: world.orgA.id, invitationId: inv.id };
    },
    audit: { action: "invitation.revoke", viaStaff: "staff" },
  },
  "invitations.preview": {
    expect: [ok, ok, ok, ok, ok, ok, ok],
    input: async ({ world }) => {
      const inv = await createInvitation({ orgId: world.orgA.id, email: `${unique("preview")}@example.com` });
      return { token: inv.token };
    },
  },
  "invitations.accept": {
    expect: [U, ok, ok, ok, ok, ok, ok],
    // A fresh org each time: joining org A or B would change the caller's roles for the cases after this one.
    input: async ({ user }) => {
      const org = await createOrg();
      const inv = await createInvitation({
        orgId: org.id,
        email: user?.email ?? `${unique("nobody")}@example.com`,
      });
      return { token: inv.token };
    },
    audit: { action: "invitation.accept", viaStaff: false },
  },
  "invitations.acceptWithNewAccount": {
    expect: [ok, ok, ok, ok, ok, ok, ok],
    input: async ({ world, scratch }) => {
      scratch.inviteeEmail = `${unique("newacct")}@example.com`;
      const inv = await createInvitation({ orgId: world.orgA.id, email: scratch.inviteeEmail });
      return { token: inv.token, name: "New Person", password: PASSWORD };
    },
    audit: { action: "invitation.accept", viaStaff: false, actor: "invitee" },
  },

  "instances.list": { expect: [U, ok, ok, NF, ok, ok, ok], input: orgA },
  "instances.get": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
  },
  "instances.operations": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
  },
  "instances.operationLog": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      const op = await db().operation.create({
        data: { instanceId: i.id, kind: "provision", status: "succeeded" },
      });
      return { orgId: world.orgA.id, instanceId: i.id, operationId: op.id };
    },
  },
  "instances.clouds": { expect: [U, ok, ok, ok, ok, ok, ok], input: () => undefined },
  "instances.order": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      // Other rows add instances to org A: keep the quota out of this row's way.
      await db().organization.update({ where: { id: world.orgA.id }, data: { instanceQuota: 10_000 } });
      const sub = unique("ord").slice(0, 30).replace(/-+$/, "");
      return {
        orgId: world.orgA.id,
        idempotencyKey: `key-${sub}`,
        order: {
          cloud: "local",
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storage: { mode: "provider" },
          sso: { mode: "provider" },
          reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
          name: `Order ${sub}`,
          subdomain: sub,
          ipAllowlist: [],
        },
      };
    },
    audit: { action: "instance.order", viaStaff: "staff" },
  },
  "instances.checkBucket": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: ({ world }) => ({ orgId: world.orgA.id, cloud: "local", storage: { mode: "provider" } }),
    audit: { action: "instance.check_bucket", viaStaff: "staff" },
  },
  "instances.checkIssuer": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: ({ world }) => ({ orgId: world.orgA.id, sso: { mode: "provider" } }),
  },
  "instances.update": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      patch: { size: "recommended" },
    }),
    audit: { action: "instance.update", viaStaff: "staff" },
  },
  "instances.deprovision": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      return { orgId: world.orgA.id, instanceId: i.id, confirmName: i.name };
    },
    audit: { action: "instance.deprovision", viaStaff: "staff" },
  },
  "instances.cancel": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      const op = await db().operation.create({
        data: { instanceId: i.id, kind: "update", params: { size: "large" } },
      });
      return { orgId: world.orgA.id, instanceId: i.id, operationId: op.id };
    },
    audit: { action: "operation.cancel", viaStaff: "staff" },
  },
  "instances.retry": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id, status: "failed" })).id,
    }),
    audit: { action: "instance.retry", viaStaff: "staff" },
  },
  "instances.undelete": {
    expect: [U, F, F, NF, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id, status: "deleted" });
      await db().instance.update({
        where: { id: i.id },
        data: { retentionUntil: new Date(Date.now() + 3600_000), deletedAt: new Date() },
      });
      return { orgId: world.orgA.id, instanceId: i.id };
    },
    audit: { action: "instance.undelete", viaStaff: true },
  },
  "backups.list": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id, url: "https://b.example.test" });
      await createBackup({ orgId: world.orgA.id, instanceId: i.id });
      return { orgId: world.orgA.id, instanceId: i.id };
    },
  },
  "backups.policy": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
  },
  "backups.updatePolicy": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      policy: { startTime: "02:30", intervalHours: 24, retentionDays: 21 },
    }),
    audit: { action: "instance.backup_policy.update", viaStaff: "staff" },
  },
  "backups.create": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id, url: "https://b.example.test" })).id,
    }),
    audit: { action: "backup.create", viaStaff: "staff" },
  },
  "backups.verify": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id, url: "https://b.example.test" });
      const b = await createBackup({ orgId: world.orgA.id, instanceId: i.id });
      return { orgId: world.orgA.id, backupId: b.id };
    },
    audit: { action: "backup.verify", viaStaff: "staff" },
  },
  "backups.restore": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id, url: "https://b.example.test" });
      const b = await createBackup({ orgId: world.orgA.id, instanceId: i.id });
      return { orgId: world.orgA.id, backupId: b.id, confirmName: i.name };
    },
    audit: { action: "backup.restore", viaStaff: "staff" },
  },
  "backups.clone": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      await db().organization.update({ where: { id: world.orgA.id }, data: { instanceQuota: 10_000 } });
      const i = await createInstance({ orgId: world.orgA.id, url: "https://b.example.test" });
      const b = await createBackup({ orgId: world.orgA.id, instanceId: i.id });
      const sub = unique("cln").slice(0, 30).replace(/-+$/, "");
      return { orgId: world.orgA.id, backupId: b.id, name: `Clone ${sub}`, subdomain: sub };
    },
    audit: { action: "instance.clone", viaStaff: "staff" },
  },
  "backups.setLimits": {
    expect: [U, F, F, F, F, ok, ok],
    input: ({ world }) => ({
      orgId: world.orgB.id,
      limits: { retentionMinDays: 3, retentionMaxDays: 90, minIntervalHours: 12 },
    }),
    audit: { action: "org.backup_limits.update", viaStaff: true },
  },
  "fleet.list": { expect: [U, F, F, F, ok, ok, ok], input: () => ({}) },
  "fleetHealth.summary": { expect: [U, F, F, F, ok, ok, ok], input: () => ({}) },
  "fleetHealth.list": {
    expect: [U, F, F, F, ok, ok, ok],
    input: () => ({ severity: "none", sort: "worst", page: 1, pageSize: 5 }),
  },

  "health.instance": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      range: "1h",
    }),
  },
  "alerts.list": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      await createAlert({ orgId: world.orgA.id, instanceId: i.id });
      return { orgId: world.orgA.id, instanceId: i.id };
    },
  },
  "alerts.fleet": { expect: [U, F, F, F, ok, ok, ok], input: () => ({ limit: 5 }) },
  "alerts.acknowledge": {
    expect: [U, F, F, F, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      return { alertId: (await createAlert({ orgId: world.orgA.id, instanceId: i.id })).id };
    },
    audit: { action: "alert.acknowledge", viaStaff: true },
  },
  "alerts.silence": {
    expect: [U, F, F, F, F, ok, ok],
    input: async ({ world }) => ({
      ruleId: (await createAlertRule()).id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      durationMinutes: 60,
      reason: "Planned load test",
    }),
    audit: { action: "alert_silence.create", viaStaff: true },
  },
  "alerts.cancelSilence": {
    expect: [U, F, F, F, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      const s = await db().alertSilence.create({
        data: {
          ruleId: (await createAlertRule()).id,
          instanceId: i.id,
          reason: "Planned load test",
          expiresAt: new Date(Date.now() + 3600_000),
          createdById: world.users.sre.id,
        },
      });
      return { silenceId: s.id };
    },
    audit: { action: "alert_silence.cancel", viaStaff: true },
  },
  "alerts.silences": { expect: [U, F, F, F, ok, ok, ok], input: () => ({ activeOnly: true }) },
  "alerts.rules": { expect: [U, F, F, F, ok, ok, ok], input: () => ({}) },
  "alerts.updateRule": {
    expect: [U, F, F, F, F, ok, ok],
    input: async () => ({ ruleId: (await createAlertRule()).id, patch: { threshold: 85 } }),
    audit: { action: "alert_rule.update", viaStaff: false },
  },
  "alerts.setOverride": {
    expect: [U, F, F, F, F, ok, ok],
    input: async ({ world }) => ({
      ruleId: (await createAlertRule()).id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      threshold: 90,
      resolveThreshold: 85,
      reason: "Batch jobs run hot every night",
    }),
    audit: { action: "alert_rule.override_set", viaStaff: true },
  },
  "alerts.clearOverride": {
    expect: [U, F, F, F, F, ok, ok],
    input: async ({ world }) => {
      const rule = await createAlertRule();
      const i = await createInstance({ orgId: world.orgA.id });
      await db().alertRuleOverride.create({
        data: { ruleId: rule.id, instanceId: i.id, threshold: 90, reason: "fixture" },
      });
      return { ruleId: rule.id, instanceId: i.id };
    },
    audit: { action: "alert_rule.override_clear", viaStaff: true },
  },

  "audit.list": { expect: [U, F, ok, NF, ok, ok, ok], input: orgA },
  "audit.exportCsv": { expect: [U, F, ok, NF, ok, ok, ok], input: orgA },

  "staff.listUsers": { expect: [U, F, F, F, ok, ok, ok], input: () => ({}) },
  "staff.setStaffRole": {
    expect: [U, F, F, F, F, F, ok],
    input: async () => ({ userId: (await createUser()).id, staffRole: "support" }),
    audit: { action: "user.staff_role_change", viaStaff: false },
  },

  // Org-scoped webhook endpoints; fleet-wide ones (orgId null): routers/webhooks/webhooks.integration.test.ts.
  "webhooks.list": { expect: [U, F, ok, NF, F, ok, ok], input: orgA },
  "webhooks.create": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: ({ world }) => ({ orgId: world.orgA.id, url: "https://93.184.216.34/hook", events: [] }),
    audit: { action: "webhook.create", viaStaff: "staff" },
  },
  "webhooks.delete": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({ orgId: world.orgA.id, webhookId: await createWebhookRow(world.orgA.id) }),
    audit: { action: "webhook.delete", viaStaff: "staff" },
  },
  "webhooks.rotateSecret": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({ orgId: world.orgA.id, webhookId: await createWebhookRow(world.orgA.id) }),
    audit: { action: "webhook.rotate_secret", viaStaff: "staff" },
  },
  "webhooks.sendTest": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({ orgId: world.orgA.id, webhookId: await createWebhookRow(world.orgA.id) }),
    audit: { action: "webhook.test", viaStaff: "staff" },
  },

  // --- support requests and assignments (support.*) ---
  "support.open": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: ({ world }) => ({
      orgId: world.orgA.id,
      severity: "P2",
      subject: "Slow dashboards",
      body: "Since noon.",
    }),
    audit: { action: "support_request.open", viaStaff: "staff" },
  },
  "support.list": { expect: [U, ok, ok, NF, ok, ok, ok], input: ({ world }) => ({ orgId: world.orgA.id }) },
  "support.get": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      requestId: await createSupportRequest(world.orgA.id, world.users.memberA.id),
    }),
  },
  "support.reply": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      requestId: await createSupportRequest(world.orgA.id, world.users.memberA.id),
      body: "More details.",
    }),
    audit: { action: "support_request.reply", viaStaff: "staff" },
  },
  "support.setStatus": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      requestId: await createSupportRequest(world.orgA.id, world.users.memberA.id),
      status: "resolved",
    }),
    audit: { action: "support_request.status_change", viaStaff: "staff" },
  },
  "support.queue": { expect: [U, F, F, F, ok, ok, ok], input: () => ({ limit: 5 }) },
  "support.assignments": { expect: [U, ok, ok, NF, ok, ok, ok], input: orgA },
  "support.setAssignment": {
    expect: [U, F, F, F, F, ok, ok],
    input: ({ world }) => ({ orgId: world.orgB.id, role: "primary", userId: world.users.support.id }),
    audit: { action: "support.assignment_change", viaStaff: true },
  },
  "support.setPlan": {
    expect: [U, F, F, F, F, ok, ok],
    input: ({ world }) => ({ orgId: world.orgB.id, plan: "premium" }),
    audit: { action: "support.plan_change", viaStaff: true },
  },
  "support.plans": { expect: [U, ok, ok, ok, ok, ok, ok], input: () => undefined },
  "support.staffMembers": { expect: [U, F, F, F, ok, ok, ok], input: () => undefined },

  // --- support channels (supportChannels.*) ---
  "supportChannels.get": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
  },
  "supportChannels.setup": {
    expect: [U, F, F, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
    audit: { action: "support_channel.setup", viaStaff: true },
  },

  // --- releases (releases.*) ---
  // Beta releases with versions of their own, so no other row's order ever runs them (orders take stable ones).
  "releases.list": { expect: [U, ok, ok, ok, ok, ok, ok], input: () => ({ includeWithdrawn: true }) },
  "releases.create": {
    expect: [U, F, F, F, F, F, ok],
    input: () => ({
      version: `0.${Date.now()}.${Math.floor(Math.random() * 1e6)}`,
      channel: "beta",
      notes: "Authorization table.",
    }),
    audit: { action: "release.create", viaStaff: false },
  },
  "releases.update": {
    expect: [U, F, F, F, F, F, ok],
    input: async () => {
      const version = `0.${Date.now()}.${Math.floor(Math.random() * 1e6)}`;
      await db().release.create({ data: { version, releasedAt: new Date(), channel: "beta" } });
      return { version, notes: "Updated." };
    },
    audit: { action: "release.update", viaStaff: false },
  },
  "releases.withdraw": {
    expect: [U, F, F, F, F, F, ok],
    input: async () => {
      const version = `0.${Date.now()}.${Math.floor(Math.random() * 1e6)}`;
      await db().release.create({ data: { version, releasedAt: new Date(), channel: "beta" } });
      return { version, reason: "Broken migration." };
    },
    audit: { action: "release.withdraw", viaStaff: false },
  },
  "releases.upgradePath": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      toVersion: "0.66.0",
    }),
  },
  "releases.fleetSummary": { expect: [U, F, F, F, ok, ok, ok], input: () => undefined },

  // --- maintenance windows (maintenance.*) ---
  // Customers read; org admins, SREs and staff admins change an instance's window; fleet blackouts are staff's (dates
  // from 2100 on, one day after the last, so they never touch another test's windows).
  "maintenance.get": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
  },
  "maintenance.setWindow": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      window: {
        weekday: 3,
        start: "22:30",
        durationMin: 180,
        timezone: "America/New_York",
        anchor: "2026-03-04",
      },
    }),
    audit: { action: "maintenance.window_change", viaStaff: "staff" },
  },
  "maintenance.setBlackouts": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
      dates: ["2031-12-24", "2031-12-31"],
    }),
    audit: { action: "maintenance.blackouts_change", viaStaff: "staff" },
  },
  "maintenance.defer": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const { nextWindowOpening } = await import("@cp/core");
      const i = await db().instance.findUniqueOrThrow({
        where: { id: (await createInstance({ orgId: world.orgA.id })).id },
      });
      const next = nextWindowOpening(
        {
          weekday: i.maintenanceWeekday,
          start: i.maintenanceStart,
          durationMin: i.maintenanceDurationMin,
          timezone: i.maintenanceTimezone,
          anchor: i.maintenanceAnchor,
        },
        new Date(Date.now() + 60_000),
      );
      return { orgId: world.orgA.id, instanceId: i.id, windowStart: next.start };
    },
    audit: { action: "maintenance.defer", viaStaff: "staff" },
  },
  "maintenance.fleetBlackouts": { expect: [U, F, F, F, ok, ok, ok], input: () => undefined },
  "maintenance.addFleetBlackout": {
    expect: [U, F, F, F, F, ok, ok],
    input: async () => {
      const last = await db().maintenanceBlackout.findFirst({
        where: { date: { gte: "2100-01-01" } },
        orderBy: { date: "desc" },
      });
      const date = new Date(last ? Date.parse(`${last.date}T00:00:00Z`) + 86_400_000 : Date.UTC(2100, 0, 1))
        .toISOString()
        .slice(0, 10);
      return { date, reason: "Authorization table" };
    },
    audit: { action: "maintenance.fleet_blackout_add", viaStaff: false },
  },
  "maintenance.removeFleetBlackout": {
    expect: [U, F, F, F, F, ok, ok],
    input: async () => {
      const last = await db().maintenanceBlackout.findFirst({
        where: { date: { gte: "2100-01-01" } },
        orderBy: { date: "desc" },
      });
      const date = new Date(last ? Date.parse(`${last.date}T00:00:00Z`) + 86_400_000 : Date.UTC(2100, 0, 1))
        .toISOString()
        .slice(0, 10);
      await db().maintenanceBlackout.create({ data: { date, reason: "Authorization table" } });
      return { date };
    },
    audit: { action: "maintenance.fleet_blackout_remove", viaStaff: false },
  },

  // --- upgrade campaigns (campaigns.*) ---
  ...(() => {
    /** A release of its own (so other rows' releases never become hops) and a running instance of org A below it. */
    const fleet = async (world: World) => {
      const minor = 1000 + Math.floor(Math.random() * 1_000_000);
      const [from, to] = [`8.${minor}.0`, `8.${minor}.1`];
      await db().release.createMany({
        data: [
          { version: from, releasedAt: new Date("2099-01-01T00:00:00Z") },
          { version: to, releasedAt: new Date("2099-01-15T00:00:00Z") },
        ],
      });
      const i = await createInstance({ orgId: world.orgA.id, url: "https://c.example.test" });
      await db().instance.update({ where: { id: i.id }, data: { version: from } });
      return { from, to, instanceId: i.id };
    };
    const plan = async (world: World) => {
      const f = await fleet(world);
      return {
        targetVersion: f.to,
        selector: { instanceIds: [f.instanceId] },
        strategy: { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1, failureThreshold: 1 },
        gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
        urgent: false,
      };
    };
    const campaign = async (world: World, status: "draft" | "running" | "paused") => {
      const f = await fleet(world);
      const c = await db().upgradeCampaign.create({
        data: {
          name: unique("campaign"),
          targetVersion: f.to,
          selector: { instanceIds: [f.instanceId] },
          strategy: { canary: 0, waves: [{ percent: 100 }], maxConcurrent: 1, failureThreshold: 1 },
          gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
          status,
          currentWave: status === "draft" ? -1 : 0,
          waveStartedAt: status === "draft" ? null : new Date(),
          createdById: world.users.sre.id,
          targets: { create: [{ instanceId: f.instanceId, wave: 0, position: 0, fromVersion: f.from }] },
        },
      });
      return { campaignId: c.id };
    };
    const rows: Record<string, Row> = {
      "campaigns.preview": { expect: [U, F, F, F, F, ok, ok], input: ({ world }) => plan(world) },
      "campaigns.create": {
        expect: [U, F, F, F, F, ok, ok],
        input: async ({ world }) => ({ ...(await plan(world)), name: unique("rollout") }),
        audit: { action: "campaign.create", viaStaff: false },
      },
      "campaigns.list": { expect: [U, F, F, F, ok, ok, ok], input: () => ({}) },
      "campaigns.get": { expect: [U, F, F, F, ok, ok, ok], input: ({ world }) => campaign(world, "running") },
      "campaigns.start": {
        expect: [U, F, F, F, F, ok, ok],
        input: ({ world }) => campaign(world, "draft"),
        audit: { action: "campaign.start", viaStaff: false },
      },
      "campaigns.pause": {
        expect: [U, F, F, F, F, ok, ok],
        input: ({ world }) => campaign(world, "running"),
        audit: { action: "campaign.pause", viaStaff: false },
      },
      "campaigns.resume": {
        expect: [U, F, F, F, F, ok, ok],
        input: ({ world }) => campaign(world, "paused"),
        audit: { action: "campaign.resume", viaStaff: false },
      },
      "campaigns.abort": {
        expect: [U, F, F, F, F, ok, ok],
        input: ({ world }) => campaign(world, "paused"),
        audit: { action: "campaign.abort", viaStaff: false },
      },
      // Customers may not change versions themselves, not even org admins: SREs and staff admins only.
      "campaigns.upgradeInstance": {
        expect: [U, F, F, F, F, ok, ok],
        input: async ({ world }) => {
          const f = await fleet(world);
          return {
            orgId: world.orgA.id,
            instanceId: f.instanceId,
            toVersion: f.to,
            gate: { enabled: false, soakSeconds: 0, minRequests: 0 },
          };
        },
        audit: { action: "instance.upgrade", viaStaff: true },
      },
      "campaigns.rollbackInstance": {
        expect: [U, F, F, F, F, ok, ok],
        input: async ({ world }) => {
          const f = await fleet(world);
          await db().instance.update({
            where: { id: f.instanceId },
            data: { version: f.to, previousVersion: f.from },
          });
          return { orgId: world.orgA.id, instanceId: f.instanceId };
        },
        audit: { action: "instance.rollback", viaStaff: true },
      },
    };
    return rows;
  })(),

  // --- customer-managed deployments and licenses (deployments.*) ---
  "deployments.migrateFromDedicated": {
    expect: [U, F, ok, NF, F, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id, url: "https://m.example.test" });
      return {
        orgId: world.orgA.id,
        instanceId: i.id,
        deploymentName: unique("migrated"),
        platform: "aws",
        contactName: "Ops",
        contactEmail: "ops@example.com",
        seats: 10,
        features: ["sso"],
        licenseDays: 30,
      };
    },
    audit: { action: "instance.migrate_out", viaStaff: "staff" },
  },
  "deployments.migrationStatus": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => ({
      orgId: world.orgA.id,
      instanceId: (await createInstance({ orgId: world.orgA.id })).id,
    }),
  },
  ...(() => {
    const DAY = 86_400_000;
    /** A deployment of org A (its plan is Dedicated, which may have customer-managed deployments). */
    const deployment = async (world: World) => {
      const row = await db().customerDeployment.create({
        data: {
          orgId: world.orgA.id,
          name: unique("dep"),
          platform: "aws",
          contactName: "Ops",
          contactEmail: "ops@example.com",
          version: "0.66.0",
        },
      });
      return row.id;
    };
    /** A signed license of a fresh deployment of org A. */
    const license = async (world: World) => {
      const deploymentId = await deployment(world);
      const { license: l } = await db().$transaction((tx) =>
        issueLicenseTx(tx, {
          deployment: { id: deploymentId, orgId: world.orgA.id },
          seats: 10,
          features: ["sso"],
          expiresAt: new Date(Date.now() + 30 * DAY),
          issuedById: null,
        }),
      );
      return l.id;
    };
    const rows: Record<string, Row> = {
      "deployments.list": { expect: [U, ok, ok, NF, ok, ok, ok], input: orgA },
      "deployments.get": {
        expect: [U, ok, ok, NF, ok, ok, ok],
        input: async ({ world }) => ({ orgId: world.orgA.id, deploymentId: await deployment(world) }),
      },
      "deployments.publicKeys": { expect: [ok, ok, ok, ok, ok, ok, ok], input: () => undefined },
      "deployments.register": {
        expect: [U, F, F, F, F, ok, ok],
        input: ({ world }) => ({
          orgId: world.orgA.id,
          name: unique("registered"),
          platform: "gcp",
          contactName: "Ops",
          contactEmail: "ops@example.com",
          version: "0.66.0",
        }),
        audit: { action: "deployment.register", viaStaff: true },
      },
      "deployments.issueLicense": {
        expect: [U, F, F, F, F, ok, ok],
        input: async ({ world }) => ({
          deploymentId: await deployment(world),
          seats: 25,
          features: ["sso", "audit-logs"],
          expiresAt: new Date(Date.now() + 90 * DAY),
        }),
        audit: { action: "license.issue", viaStaff: true },
      },
      "deployments.renewLicense": {
        expect: [U, F, F, F, F, ok, ok],
        input: async ({ world }) => ({
          licenseId: await license(world),
          expiresAt: new Date(Date.now() + 400 * DAY),
        }),
        audit: { action: "license.renew", viaStaff: true },
      },
      "deployments.revokeLicense": {
        expect: [U, F, F, F, F, ok, ok],
        input: async ({ world }) => ({ licenseId: await license(world), reason: "Authorization table" }),
        audit: { action: "license.revoke", viaStaff: true },
      },
      // The token itself: the org's admins and SREs/staff admins; members and support staff read metadata only.
      "deployments.licenseToken": {
        expect: [U, F, ok, NF, F, ok, ok],
        input: async ({ world }) => ({ orgId: world.orgA.id, licenseId: await license(world) }),
        audit: { action: "license.token_view", viaStaff: "staff" },
      },
    };
    return rows;
  })(),

  // --- telemetry usage views (telemetry.*) ---
  // A deployment's series is read by its org's members and staff (org B's admin: NOT_FOUND); fleet views are staff's.
  "telemetry.deploymentSeries": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => {
      const d = await db().customerDeployment.create({
        data: {
          orgId: world.orgA.id,
          name: unique("usage"),
          platform: "aws",
          contactName: "Ops",
          contactEmail: "ops@example.com",
          version: "0.66.0",
        },
      });
      return { orgId: world.orgA.id, deploymentId: d.id, days: 30 };
    },
  },
  "telemetry.fleetSeries": { expect: [U, F, F, F, ok, ok, ok], input: () => ({ days: 30 }) },
  "telemetry.versionLag": { expect: [U, F, F, F, ok, ok, ok], input: () => undefined },
  "telemetry.stale": { expect: [U, F, F, F, ok, ok, ok], input: () => undefined },

  // --- timeline (timeline.*) ---
  "timeline.list": {
    expect: [U, ok, ok, NF, ok, ok, ok],
    input: async ({ world }) => {
      const i = await createInstance({ orgId: world.orgA.id });
      await createBackup({ orgId: world.orgA.id, instanceId: i.id });
      return { orgId: world.orgA.id, instanceId: i.id, limit: 10 };
    },
  },
};

/** A webhook endpoint row (its secret is never read: nothing is delivered here). */
async function createWebhookRow(orgId: string): Promise<string> {
  const row = await db().webhookEndpoint.create({
    data: { orgId, url: "https://93.184.216.34/hook", secretCiphertext: "unused", createdById: "fixture" },
  });
  return row.id;
}

type ProcedureDef = { _def: { type: "query" | "mutation" | "subscription" } };
const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;

function invoke(api: Caller, path: string, input: unknown): Promise<unknown> {
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api);
  return (fn as (input: unknown) => Promise<unknown>)(input);
}

async function auditIds(action: string): Promise<Set<string>> {
  const rows = await db().auditEvent.findMany({ where: { action }, select: { id: true } });
  return new Set(rows.map((r) => r.id));
}

describe("authorization table", () => {
  let world: World;

  beforeAll(async () => {
    world = await createWorld();
    // Something for the list procedures to return, so their output schemas are exercised with real rows.
    await createInstance({ orgId: world.orgA.id });
  });

  it("has exactly one row per procedure, and says what each mutation audits", () => {
    const paths = Object.keys(procedures).sort();
    expect(paths.length).toBeGreaterThan(0);
    expect(Object.keys(TABLE).sort()).toEqual(paths);
    for (const path of paths) {
      const isMutation = procedures[path]?._def.type === "mutation";
      expect(
        TABLE[path]?.audit !== undefined,
        `${path}: mutations declare their audit event, queries do not`,
      ).toBe(isMutation);
    }
  });

  for (const [path, row] of Object.entries(TABLE)) {
    describe(path, () => {
      CALLERS.forEach((caller, column) => {
        const expected = row.expect[column]!;
        it(`${caller} → ${expected}`, async () => {
          const user = caller === "anon" ? null : world.users[caller];
          const env: CaseEnv = { world, caller, user, scratch: {} };
          const input = await row.input(env);
          const audit = row.audit && "action" in row.audit ? row.audit : null;
          const before = audit ? await auditIds(audit.action) : null;
          const totalBefore = await db().auditEvent.count();

          const api = await callerFor(user);
          const result = await settle(invoke(api, path, input));
          expect(result.outcome, result.error?.message).toBe(expected);

          if (expected !== "ok" || !audit) {
            // Refused calls and queries leave no trace in the audit log (and a refused mutation changed nothing).
            expect(await db().auditEvent.count()).toBe(totalBefore);
            return;
          }
          const after = await auditIds(audit.action);
          const fresh = [...after].filter((id) => !before!.has(id));
          expect(fresh).toHaveLength(1);
          const event = await db().auditEvent.findUniqueOrThrow({ where: { id: fresh[0]! } });
          expect(event.viaStaff).toBe(audit.viaStaff === "staff" ? STAFF.has(caller) : audit.viaStaff);
          expect(event.ip).toBe("203.0.113.10");
          if (audit.actor === "invitee") expect(event.actorEmail).toBe(env.scratch.inviteeEmail);
          else expect(event.actorId).toBe(user?.id);
        });
      });
    });
  }
});
