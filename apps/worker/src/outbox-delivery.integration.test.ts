// The outbox use cases (packages/services/src/outbox) against a real SMTP server, PostgreSQL and Redis.
// They live here, beside the worker that runs them, because the SMTP test server helper is in this app and packages
// must not import from apps.
import { resetEnvCache } from "@cp/config";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis, getQueue, jobId, JOBS, QUEUES } from "@cp/jobs";
import {
  createMailTransport,
  deliverOutboxMessage,
  dispatchOutbox,
  hashToken,
  inviteMember,
  queueEmail,
  sweepOutbox,
  type MailTransport,
} from "@cp/services";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createOrgAdmin, uniqueAddress } from "./testing/fixtures";
import { startSmtpSink, type SmtpSink } from "./testing/smtp-sink";

const MAX_ATTEMPTS = 3;
let sink: SmtpSink;
let transport: MailTransport;

beforeAll(async () => {
  vi.stubEnv("CP_OUTBOX_MAX_ATTEMPTS", String(MAX_ATTEMPTS));
  resetEnvCache();
  sink = await startSmtpSink();
  transport = createMailTransport(sink.url);
});

afterAll(async () => {
  await sink.close();
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
  vi.unstubAllEnvs();
  resetEnvCache();
});

const row = (id: string) => db().outboxMessage.findUniqueOrThrow({ where: { id } });
const makeDue = (id: string) =>
  db().outboxMessage.update({ where: { id }, data: { nextAttemptAt: new Date() } });
const deliverJob = (id: string, attempts: number) =>
  getQueue(QUEUES.outbox).getJob(jobId("outboxDeliver", id, String(attempts)));

async function queueTestEmail(to: string): Promise<string> {
  return queueEmail(db(), { to, subject: "Test message", text: `Hello ${to}` });
}

describe("outbox delivery over SMTP", () => {
  it("sends the e-mail of an invitation once, with a working /invite/ link, and marks it sent", async () => {
    const { orgId, ctx } = await createOrgAdmin();
    const email = uniqueAddress("invitee");
    const invitation = await inviteMember(ctx, { orgId, email, role: "member" });

    const msg = await db().outboxMessage.findUniqueOrThrow({
      where: { dedupeKey: `invitation:${invitation.id}` },
    });
    expect(msg).toMatchObject({ status: "pending", toAddress: email, attempts: 0 });
    // inviteMember woke the worker after commit.
    expect((await deliverJob(msg.id, 0))?.data).toEqual({ messageId: msg.id });

    await expect(deliverOutboxMessage(msg.id, transport)).resolves.toBe("sent");

    const received = sink.mails.filter((m) => m.to.includes(email));
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.headers["message-id"]).toBe(`<${msg.id}@control-plane.outbox>`);
    expect(mail.headers.subject).toBe(msg.subject);
    const link = mail.text.match(/http:\/\/localhost:3999\/invite\/([A-Za-z0-9_-]+)/);
    expect(link, mail.text).not.toBeNull();
    // The link carries the token whose hash the invitation stores.
    const stored = await db().invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(hashToken(link![1]!)).toBe(stored.tokenHash);

    const sent = await row(msg.id);
    expect(sent).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    expect(sent.sentAt).toBeInstanceOf(Date);
    expect(sent.providerMessageId).toBe(`<${msg.id}@control-plane.outbox>`);
  });

  it("sends a message once when it is delivered twice, one after the other or at the same time", async () => {
    const first = uniqueAddress("twice");
    const id = await queueTestEmail(first);
    await expect(deliverOutboxMessage(id, transport)).resolves.toBe("sent");
    await expect(deliverOutboxMessage(id, transport)).resolves.toBe("skipped");
    expect(sink.mails.filter((m) => m.to.includes(first))).toHaveLength(1);

    const second = uniqueAddress("race");
    const raceId = await queueTestEmail(second);
    const results = await Promise.all([
      deliverOutboxMessage(raceId, transport),
      deliverOutboxMessage(raceId, transport),
    ]);
    expect(results.sort()).toEqual(["sent", "skipped"]);
    expect(sink.mails.filter((m) => m.to.includes(second))).toHaveLength(1);
    expect(await row(raceId)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("puts a rejected message back to pending with a later attempt, and fails it after CP_OUTBOX_MAX_ATTEMPTS", async () => {
    const bad = uniqueAddress("rejected");
    sink.rejectRecipient = (address) => address === bad;
    try {
      const id = await queueTestEmail(bad);
      let previousDelay = 0;
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        const before = Date.now();
        await expect(deliverOutboxMessage(id, transport)).resolves.toBe("retry");
        const m = await row(id);
        expect(m.status).toBe("pending");
        expect(m.attempts).toBe(attempt);
        expect(m.lastError).toMatch(/550/);
        const delay = m.nextAttemptAt.getTime() - before;
        expect(delay).toBeGreaterThan(previousDelay); // in the future, and backing off
        previousDelay = delay;
        // Not due yet: another delivery leaves it alone.
        await expect(deliverOutboxMessage(id, transport)).resolves.toBe("skipped");
        await makeDue(id);
      }
      await expect(deliverOutboxMessage(id, transport)).resolves.toBe("failed");
      expect(await row(id)).toMatchObject({
        status: "failed",
        attempts: MAX_ATTEMPTS,
        lastError: expect.stringMatching(/550/),
      });
      // A failed message is final.
      await makeDue(id);
      await expect(deliverOutboxMessage(id, transport)).resolves.toBe("skipped");
      expect(sink.mails.filter((m) => m.to.includes(bad))).toHaveLength(0);
    } finally {
      sink.rejectRecipient = () => false;
    }
  });
});

describe("outbox sweep", () => {
  it("re-enqueues a due message whose job was lost", async () => {
    const id = await queueTestEmail(uniqueAddress("lost"));
    await dispatchOutbox([id]);
    const job = await deliverJob(id, 0);
    expect(job?.name).toBe(JOBS.outboxDeliver.name);
    await job!.remove(); // as if Redis had lost it
    expect(await deliverJob(id, 0)).toBeUndefined();

    expect(await sweepOutbox()).toBeGreaterThanOrEqual(1);
    const again = await deliverJob(id, 0);
    expect(again?.name).toBe(JOBS.outboxDeliver.name);
    expect(again?.data).toEqual({ messageId: id });
  });

  it("pages through a backlog of due messages: a lost job behind more than one page is found", async () => {
    // Older due messages than the lost one, more than a page of them (their jobs are queued, or not: either way the
    // sweep must reach the newest).
    const backlog = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => queueTestEmail(uniqueAddress(`backlog${n}`))),
    );
    await db().outboxMessage.updateMany({
      where: { id: { in: backlog } },
      data: { nextAttemptAt: new Date(Date.now() - 3600_000) },
    });
    const lost = await queueTestEmail(uniqueAddress("lost-behind-backlog"));
    expect(await deliverJob(lost, 0)).toBeUndefined();

    expect(await sweepOutbox({ batch: 2 })).toBeGreaterThanOrEqual(6);
    expect((await deliverJob(lost, 0))?.data).toEqual({ messageId: lost });
    for (const id of backlog) expect((await deliverJob(id, 0))?.data).toEqual({ messageId: id });
  });

  it("puts a message stuck in sending back, and leaves recent sends and messages not yet due alone", async () => {
    const stuck = await queueTestEmail(uniqueAddress("stuck"));
    const recent = await queueTestEmail(uniqueAddress("recent"));
    const later = await queueTestEmail(uniqueAddress("later"));
    await db().outboxMessage.updateMany({
      where: { id: { in: [stuck, recent] } },
      data: { status: "sending", attempts: 1 },
    });
    // A worker that crashed an hour ago while sending.
    await db()
      .$executeRaw`UPDATE "OutboxMessage" SET "updatedAt" = now() - interval '1 hour' WHERE id = ${stuck}`;
    await db().outboxMessage.update({
      where: { id: later },
      data: { nextAttemptAt: new Date(Date.now() + 3600_000) },
    });

    await sweepOutbox();

    expect(await row(stuck)).toMatchObject({ status: "pending", attempts: 1 });
    expect((await deliverJob(stuck, 1))?.data).toEqual({ messageId: stuck });
    expect((await row(recent)).status).toBe("sending");
    expect(await deliverJob(recent, 1)).toBeUndefined();
    expect((await row(later)).status).toBe("pending");
    expect(await deliverJob(later, 0)).toBeUndefined();

    // The swept message then goes out normally.
    await expect(deliverOutboxMessage(stuck, transport)).resolves.toBe("sent");
    expect(await row(stuck)).toMatchObject({ status: "sent", attempts: 2 });
  });
});
