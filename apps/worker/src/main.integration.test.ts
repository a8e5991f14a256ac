// End to end: the worker as a separate process (from source with tsx, and the esbuild bundle), against the test
// database and Redis, delivering to an SMTP server in this process, then stopping cleanly on SIGTERM.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { db } from "@cp/db";
import { closeQueues, closeSharedRedis, getQueue, QUEUES } from "@cp/jobs";
import { dispatchOutbox, queueEmail } from "@cp/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settleEarlierFilesWork, uniqueAddress } from "./testing/fixtures";
import { startSmtpSink, type SmtpSink } from "./testing/smtp-sink";
import {
  ALERTS_SCHEDULER_ID,
  BACKUPS_SCHEDULER_ID,
  BUCKETS_RECHECK_SCHEDULER_ID,
  HEALTH_SCHEDULER_ID,
  METRICS_MAINTAIN_SCHEDULER_ID,
  SUPPORT_SLA_SCHEDULER_ID,
  SWEEP_SCHEDULER_ID,
} from "./worker";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const appRoot = path.resolve(import.meta.dirname, "..");

let sink: SmtpSink;

beforeAll(async () => {
  await settleEarlierFilesWork();
  sink = await startSmtpSink();
  execFileSync(process.execPath, [path.join(appRoot, "build.mjs")], { cwd: appRoot, stdio: "pipe" });
});

afterAll(async () => {
  await sink.close();
  // The process set every schedule: later test files must not inherit its ticks.
  await getQueue(QUEUES.system).removeJobScheduler(SWEEP_SCHEDULER_ID);
  await getQueue(QUEUES.system).removeJobScheduler(SUPPORT_SLA_SCHEDULER_ID);
  await getQueue(QUEUES.system).removeJobScheduler(BACKUPS_SCHEDULER_ID);
  for (const id of [
    HEALTH_SCHEDULER_ID,
    ALERTS_SCHEDULER_ID,
    METRICS_MAINTAIN_SCHEDULER_ID,
    BUCKETS_RECHECK_SCHEDULER_ID,
  ]) {
    await getQueue(QUEUES.monitoring).removeJobScheduler(id);
  }
  await closeQueues();
  await closeSharedRedis();
  await db().$disconnect();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(args: string[], port: number): Spawned {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    // The test environment (throwaway DATABASE_URL, Redis db) plus what this test points the worker at.
    env: {
      // eslint-disable-next-line no-restricted-properties -- a child process inherits the test's environment
      ...process.env,
      CP_WORKER_PORT: String(port),
      SMTP_URL: sink.url,
      CP_OUTBOX_POLL_MS: "300",
      CP_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

async function waitForStatus(
  spawned: Spawned,
  url: string,
  status: number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (spawned.child.exitCode !== null)
      throw new Error(`worker exited with ${spawned.child.exitCode}:\n${spawned.output()}`);
    try {
      const res = await fetch(url);
      last = `${res.status} ${await res.text()}`;
      if (res.status === status) return;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline)
      throw new Error(`${url} never answered ${status} (last: ${last}):\n${spawned.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const variants = [
  { name: "from source (tsx)", args: ["--import", "tsx", "apps/worker/src/main.ts"] },
  { name: "built bundle (dist/main.js)", args: ["--enable-source-maps", "apps/worker/dist/main.js"] },
];

describe.each(variants)("worker process, $name", ({ args }) => {
  it(
    "reports healthy and ready, delivers outbox mail, and exits 0 on SIGTERM",
    { timeout: 150_000 },
    async () => {
      const port = await freePort();
      const worker = spawnWorker(args, port);
      try {
        await waitForStatus(worker, `http://127.0.0.1:${port}/healthz`, 200);
        await waitForStatus(worker, `http://127.0.0.1:${port}/readyz`, 200);
        const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
          checks: Record<string, { ok: boolean }>;
        };
        expect(ready.checks).toMatchObject({ postgres: { ok: true }, redis: { ok: true } });

        // Woken by its job.
        const to = uniqueAddress("e2e");
        const id = await queueEmail(db(), {
          to,
          subject: "End to end",
          text: "Delivered by the worker process.",
        });
        await dispatchOutbox([id]);
        const mail = await sink.waitFor((m) => m.to.includes(to), 60_000);
        expect(mail.text).toContain("Delivered by the worker process.");
        expect(mail.headers["message-id"]).toBe(`<${id}@control-plane.outbox>`);
        await expect
          .poll(async () => (await db().outboxMessage.findUniqueOrThrow({ where: { id } })).status, {
            timeout: 5000,
          })
          .toBe("sent");

        // Never enqueued (as if Redis had lost the job): the scheduled sweep finds it.
        const lostTo = uniqueAddress("e2e-swept");
        const lostId = await queueEmail(db(), { to: lostTo, subject: "Swept", text: "Found by the sweep." });
        await sink.waitFor((m) => m.to.includes(lostTo), 60_000);
        await expect
          .poll(async () => (await db().outboxMessage.findUniqueOrThrow({ where: { id: lostId } })).status, {
            timeout: 5000,
          })
          .toBe("sent");
        expect(sink.mails.filter((m) => m.to.includes(to) || m.to.includes(lostTo))).toHaveLength(2);

        worker.child.kill("SIGTERM");
        const exit = await Promise.race([
          worker.exited,
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no exit within 10 s:\n${worker.output()}`)), 10_000),
          ),
        ]);
        expect(exit, worker.output()).toEqual({ code: 0, signal: null });
        expect(worker.output()).toContain("shutdown complete");
        expect(worker.output()).toContain(`"port":${port}`);
      } finally {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
      }
    },
  );
});

describe("worker process shutdown", () => {
  it("forces exit 1 on a second signal during shutdown", { timeout: 30_000 }, async () => {
    const port = await freePort();
    const worker = spawnWorker(["apps/worker/dist/main.js"], port);
    try {
      await waitForStatus(worker, `http://127.0.0.1:${port}/healthz`, 200);
      // The second arrives while the first shutdown still waits on Redis to close the workers.
      worker.child.kill("SIGTERM");
      worker.child.kill("SIGINT");
      const exit = await Promise.race([
        worker.exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no exit within 10 s:\n${worker.output()}`)), 10_000),
        ),
      ]);
      expect(exit, worker.output()).toEqual({ code: 1, signal: null });
      expect(worker.output()).toContain("second signal during shutdown: forcing exit");
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
    }
  });
});
