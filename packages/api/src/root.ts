import { alertsRouter } from "./routers/alerts/router";
import { auditRouter } from "./routers/audit/router";
import { backupsRouter } from "./routers/backups/router";
import { campaignsRouter } from "./routers/campaigns/router";
import { deploymentsRouter } from "./routers/deployments/router";
import { fleetRouter } from "./routers/fleet/router";
import { fleetHealthRouter } from "./routers/fleet-health/router";
import { healthRouter } from "./routers/health/router";
import { instancesRouter } from "./routers/instances/router";
import { maintenanceRouter } from "./routers/maintenance/router";
import { invitationsRouter } from "./routers/invitations/router";
import { meRouter } from "./routers/me/router";
import { membersRouter } from "./routers/members/router";
import { notificationsRouter } from "./routers/notifications/router";
import { orgsRouter } from "./routers/orgs/router";
import { releasesRouter } from "./routers/releases/router";
import { staffRouter } from "./routers/staff/router";
import { supportRouter } from "./routers/support/router";
import { supportChannelsRouter } from "./routers/support-channels/router";
import { telemetryRouter } from "./routers/telemetry/router";
import { timelineRouter } from "./routers/timeline/router";
import { webhooksRouter } from "./routers/webhooks/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  me: meRouter,
  notifications: notificationsRouter,
  orgs: orgsRouter,
  members: membersRouter,
  invitations: invitationsRouter,
  instances: instancesRouter,
  backups: backupsRouter,
  fleet: fleetRouter,
  fleetHealth: fleetHealthRouter,
  health: healthRouter,
  alerts: alertsRouter,
  audit: auditRouter,
  staff: staffRouter,
  webhooks: webhooksRouter,
  /** Support requests, their threads and SLA clocks, and the support staff assigned to orgs. */
  support: supportRouter,
  /** Each instance's support channel (Slack, or the console) and its posts. */
  supportChannels: supportChannelsRouter,
  /** One instance's timeline: operations, backups, alerts, audit events, requests and channel posts, merged. */
  timeline: timelineRouter,
  /** The release catalog, upgrade paths and end of support. */
  releases: releasesRouter,
  /** Instances' maintenance windows, deferrals and blackouts. */
  maintenance: maintenanceRouter,
  /** Fleet upgrade campaigns (SREs) and per-instance rollbacks. */
  campaigns: campaignsRouter,
  /** Customer-managed deployments, their licenses, and migrations from Dedicated. */
  deployments: deploymentsRouter,
  /** Usage views over customer-managed deployments' telemetry. */
  telemetry: telemetryRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
