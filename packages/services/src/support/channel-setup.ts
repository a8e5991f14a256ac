// Support channel setup: the `channel_setup` operation, queued when an instance is provisioned or on a staff
// member's request. With Slack configured it finds or creates the instance's channel (by stored id first, so a
// renamed channel is kept; by name on `name_taken`, so a channel created by a lost call is reused), records the
// channel id before anything else, sets the topic, invites the assigned support staff and the org's admins (Slack
// Connect), and announces itself. Every step is idempotent, so a retried or resumed operation never makes a second
// channel or a second announcement. Without Slack, the console's notifications are the channel.
import { env } from "@cp/config";
import { AppError, forbidden, isStaff, notFound, supportChannelName, type Actor } from "@cp/core";
import { SlackApiError, slackClientFromEnv, type SlackChannel, type SlackClient } from "@cp/connectors";
import { db, type Db } from "@cp/db";
import { EngineError, type EngineHooks } from "@cp/engine";
import { recordAudit } from "../audit/record-audit";
import type { ServiceContext } from "../context";
import { assertNotBeingDeprovisioned } from "../instances/instance-actions";
import { dispatchOutbox } from "../outbox/outbox";
import { createOperationTx, wakeOperation } from "../operations/operations";
import { RetryLaterError } from "../operations/retry-later";
import { assignedSupportStaff } from "./assignments";
import { postToInstanceChannel, slackConfigured, slackDedupeKey } from "./channel-posts";

const ACTIVE = ["queued", "running"] as const;

/** The setup operation waiting or running for the instance, if any. */
async function activeSetup(tx: Db, instanceId: string) {
  return tx.operation.findFirst({
    where: { instanceId, kind: "channel_setup", status: { in: [...ACTIVE] } },
    orderBy: { createdAt: "asc" },
    select: { id: true },
  });
}

/**
 * Staff (support, SREs, staff admins) ask for the instance's channel to be set up, or set up again (re-invites,
 * re-finds a renamed or archived channel). While one is queued or running, that one is returned.
 */
export async function requestChannelSetup(
  ctx: ServiceContext,
  input: { orgId: string; instanceId: string },
): Promise<{ operationId: string; created: boolean }> {
  if (!isStaff(ctx.actor)) throw forbidden("Only provider staff can set up support channels.");
  const instance = await db().instance.findFirst({
    where: { id: input.instanceId, orgId: input.orgId, destroyedAt: null },
    select: { id: true, name: true, orgId: true, deletedAt: true },
  });
  if (!instance) throw notFound("Instance");
  if (instance.deletedAt)
    throw new AppError("CONFLICT", `${instance.name} is deprovisioned; it has no support channel.`);
  const result = await db().$transaction(async (tx) => {
    await assertNotBeingDeprovisioned(tx, instance);
    const existing = await activeSetup(tx, instance.id);
    if (existing) return { operationId: existing.id, created: false };
    const op = await createOperationTx(tx, {
      instanceId: instance.id,
      kind: "channel_setup",
      requestedById: ctx.actor.userId,
    });
    await recordAudit(tx, ctx, {
      action: "support_channel.setup",
      targetType: "instance",
      targetId: instance.id,
      orgId: instance.orgId,
      after: { operationId: op.id, provider: slackConfigured() ? "slack" : "console" },
    });
    return { operationId: op.id, created: true };
  });
  if (result.created) await wakeOperation(result.operationId);
  return result;
}

/**
 * Inside a transaction (a provision that succeeded): queues channel setup unless one is already waiting or running.
 * Returns the operation to wake after commit, or null.
 */
export async function queueChannelSetupTx(
  tx: Db,
  instanceId: string,
  requestedById: string | null,
): Promise<string | null> {
  if (await activeSetup(tx, instanceId)) return null;
  const op = await createOperationTx(tx, { instanceId, kind: "channel_setup", requestedById });
  return op.id;
}

export interface ChannelSetupDeps {
  /** The Slack client (default: the configured workspace; null: Slack not configured). */
  slack?: SlackClient | null;
}

/** The `channel_setup` operation's work (run-operation calls it with the claimed operation and its hooks). */
export async function channelSetupStep(
  op: { id: string; instanceId: string },
  hooks: EngineHooks,
  deps: ChannelSetupDeps = {},
): Promise<void> {
  const instance = await db().instance.findUniqueOrThrow({
    where: { id: op.instanceId },
    include: { org: { select: { id: true, slug: true, name: true } }, channel: true },
  });
  const name = supportChannelName(instance.org.slug, instance.slug);
  const slack = deps.slack === undefined ? slackClientFromEnv() : deps.slack;
  if (!slack) {
    hooks.progress("channel", 50);
    hooks.log("Slack is not configured: the console's notifications serve as the support channel.");
    await markReady(op, instance, { provider: "console", name, externalId: null });
    return;
  }
  try {
    await setUpSlackChannel(op, instance, name, slack, hooks);
  } catch (err) {
    throw asEngineError(err);
  }
}

type InstanceForSetup = {
  id: string;
  name: string;
  orgId: string;
  url: string | null;
  cloud: string;
  region: string;
  version: string | null;
  org: { id: string; slug: string; name: string };
  channel: {
    id: string;
    provider: string;
    externalId: string | null;
    name: string;
    invitedUserIds: string[];
    connectInvites: string[];
  } | null;
};

async function setUpSlackChannel(
  op: { id: string; instanceId: string },
  instance: InstanceForSetup,
  name: string,
  slack: SlackClient,
  hooks: EngineHooks,
): Promise<void> {
  hooks.progress("channel", 10);
  const stored = instance.channel?.provider === "slack" ? instance.channel : null;
  let channel: SlackChannel | null = null;
  if (stored?.externalId) {
    channel = await slack.channelInfo(stored.externalId);
    if (!channel) hooks.log(`Slack no longer has channel ${stored.externalId}; creating a new one.`, "warn");
    else if (channel.name !== stored.name)
      hooks.log(`The channel was renamed in Slack to #${channel.name}; keeping it (found by its id).`);
  }
  if (!channel) {
    try {
      channel = await slack.createChannel(name);
      hooks.log(`Created Slack channel #${channel.name} (${channel.id}).`);
    } catch (err) {
      if (!(err instanceof SlackApiError && err.code === "name_taken")) throw err;
      // Ours from an attempt whose answer was lost, or made by hand: either way, this instance's channel.
      channel = await slack.findChannelByName(name);
      if (!channel)
        throw new EngineError(
          "FAILED",
          `Slack says #${name} exists but it was not found in the channel list.`,
          true,
        );
      hooks.log(`Slack channel #${name} already exists (${channel.id}); using it.`);
    }
  }
  // Recorded before anything else is done with it: a crash from here on finds this channel by id.
  const saved = await db().supportChannel.upsert({
    where: { instanceId: instance.id },
    create: {
      instanceId: instance.id,
      orgId: instance.orgId,
      provider: "slack",
      externalId: channel.id,
      name: channel.name,
      operationId: op.id,
    },
    update: {
      provider: "slack",
      externalId: channel.id,
      name: channel.name,
      operationId: op.id,
      // A different channel than before: its invitations are still to be sent.
      ...(stored?.externalId === channel.id ? {} : { invitedUserIds: [], connectInvites: [], readyAt: null }),
    },
  });
  if (channel.isArchived) {
    await slack.unarchive(channel.id);
    hooks.log(`Unarchived #${channel.name}.`);
  }

  hooks.progress("topic", 30);
  const topic = topicOf(instance);
  if (channel.topic !== topic) await slack.setTopic(channel.id, topic);
  await db().supportChannel.update({ where: { id: saved.id }, data: { topic } });

  hooks.progress("invite staff", 50);
  const staff = await assignedSupportStaff(instance.orgId);
  const invited = new Set(saved.invitedUserIds);
  for (const person of staff) {
    const userId = await slack.lookupUserByEmail(person.email);
    if (!userId) {
      hooks.log(
        `${person.email} (${person.role} support) has no account in the Slack workspace; not invited.`,
        "warn",
      );
      continue;
    }
    await slack.invite(channel.id, userId);
    invited.add(userId);
    await db().supportChannel.update({ where: { id: saved.id }, data: { invitedUserIds: [...invited] } });
  }
  hooks.log(
    `Support staff in the channel: ${staff.length ? `${invited.size} of ${staff.length}` : "none assigned"}.`,
  );

  hooks.progress("invite customer", 70);
  if (env().SLACK_CONNECT_INVITES) {
    const admins = await db().membership.findMany({
      where: { orgId: instance.orgId, role: "admin", user: { disabledAt: null } },
      select: { user: { select: { email: true } } },
      orderBy: { createdAt: "asc" },
    });
    const sent = new Set(saved.connectInvites);
    for (const { user } of admins) {
      if (sent.has(user.email)) continue;
      try {
        await slack.inviteShared(channel.id, user.email);
      } catch (err) {
        // A refused invitation (e.g. the workspace has no Slack Connect) must not hold up the channel.
        if (!(err instanceof SlackApiError) || err.rateLimited || err.code === "request_failed") throw err;
        hooks.log(`Slack Connect invitation to ${user.email} was refused: ${err.code}.`, "warn");
        continue;
      }
      sent.add(user.email);
      await db().supportChannel.update({ where: { id: saved.id }, data: { connectInvites: [...sent] } });
      hooks.log(`Invited ${user.email} through Slack Connect.`);
    }
  } else {
    hooks.log("Slack Connect invitations are turned off (SLACK_CONNECT_INVITES=false).");
  }

  hooks.progress("announce", 90);
  await markReady(op, instance, { provider: "slack", name: channel.name, externalId: channel.id });
}

function topicOf(i: InstanceForSetup): string {
  const parts = [i.url ?? "no URL yet", `${i.cloud} ${i.region}`, i.version ? `version ${i.version}` : null];
  return `${i.name}: ${parts.filter(Boolean).join(" · ")}`.slice(0, 250);
}

/**
 * The channel is ready: recorded with its announcement in one transaction, and the posts written before the channel
 * existed (or while it was being set up) are attached to it and sent now.
 */
async function markReady(
  op: { id: string },
  instance: InstanceForSetup,
  ch: { provider: "slack" | "console"; name: string; externalId: string | null },
): Promise<void> {
  const dispatch = await db().$transaction(async (tx) => {
    const now = new Date();
    const channel = await tx.supportChannel.upsert({
      where: { instanceId: instance.id },
      create: {
        instanceId: instance.id,
        orgId: instance.orgId,
        provider: ch.provider,
        externalId: ch.externalId,
        name: ch.name,
        operationId: op.id,
        readyAt: now,
      },
      update: {
        provider: ch.provider,
        externalId: ch.externalId,
        name: ch.name,
        operationId: op.id,
        readyAt: now,
      },
    });
    await tx.channelPost.updateMany({
      where: { instanceId: instance.id, OR: [{ channelId: null }, { postedAt: null }] },
      data: { channelId: channel.id },
    });
    await postToInstanceChannel(tx, {
      instanceId: instance.id,
      kind: "setup",
      text: `Support channel for ${instance.name} is ready.`,
      dedupeKey: `setup:${instance.id}`,
    });
    if (ch.provider !== "slack") return [];
    // Slack posts waiting for this channel: due now.
    const waiting = await tx.channelPost.findMany({
      where: { instanceId: instance.id, postedAt: null },
      select: { id: true },
    });
    const keys = waiting.map((p) => slackDedupeKey(p.id));
    await tx.outboxMessage.updateMany({
      where: { dedupeKey: { in: keys }, status: "pending" },
      data: { nextAttemptAt: now },
    });
    const due = await tx.outboxMessage.findMany({
      where: { dedupeKey: { in: keys }, status: "pending" },
      select: { id: true },
    });
    return due.map((m) => m.id);
  });
  await dispatchOutbox(dispatch);
}

/** Slack failures as the runner understands them: rate limits come back after Retry-After, never by sleeping here. */
function asEngineError(err: unknown): unknown {
  if (!(err instanceof SlackApiError)) return err;
  if (err.rateLimited) {
    const seconds = err.retryAfterSeconds ?? 30;
    return new RetryLaterError(
      `Slack asked us to wait ${seconds} s (rate limited); retrying then.`,
      seconds * 1000,
      `Slack rate-limited ${err.method}`,
      { cause: err },
    );
  }
  return new EngineError("FAILED", err.message, err.retryable, { cause: err });
}

/** The instance page's view of its support channel: status, the setup running, and the latest posts. */
export async function getSupportChannel(actor: Actor, orgId: string, instanceId: string) {
  const instance = await db().instance.findFirst({ where: { id: instanceId, orgId }, select: { id: true } });
  if (!instance) throw notFound("Instance");
  const [channel, setup, posts] = await Promise.all([
    db().supportChannel.findUnique({ where: { instanceId } }),
    db().operation.findFirst({
      where: { instanceId, kind: "channel_setup" },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true, status: true, error: true, createdAt: true, finishedAt: true },
    }),
    db().channelPost.findMany({
      where: { instanceId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 20,
      select: { id: true, kind: true, text: true, createdAt: true, postedAt: true },
    }),
  ]);
  return {
    slackConfigured: slackConfigured(),
    channel: channel
      ? {
          provider: channel.provider === "slack" ? ("slack" as const) : ("console" as const),
          name: channel.name,
          externalId: isStaff(actor) ? channel.externalId : null,
          topic: channel.topic,
          readyAt: channel.readyAt,
        }
      : null,
    activeSetup: setup && (setup.status === "queued" || setup.status === "running") ? setup : null,
    lastSetup: setup,
    posts,
  };
}
