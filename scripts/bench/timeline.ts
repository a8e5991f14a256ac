// Benchmark (not a test): the tenant timeline with 100,000 events on one instance. Builds a scratch database (dropped
// at the end) with one busy instance whose events are spread over every kind and a year, plus other instances with
// events of their own so the indexes hold more than the one instance; then times instanceTimeline (the service
// function, and the first page through the tRPC caller): the first page, every page of a walk through the whole
// history by cursor, and one kind alone, each beside PostgreSQL's own execution time (EXPLAIN ANALYZE).
// Usage: CP_MODE=development npx tsx scripts/bench/timeline.ts [--events 100000] [--runs 200] [--keep] [--plan]
import os from "node:os";
import { useScratchDatabase } from "./scratch-db";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg("events", 100_000);
const RUNS = arg("runs", 200);
const OTHER_INSTANCES = arg("others", 20);
const OTHER_EVENTS = arg("other-events", 5_000);
const PAGE = 50;
/** Keep the scratch database afterwards (to look at query plans); the next run drops it first anyway. */
const KEEP = process.argv.includes("--keep");
/** Print the query plan of each case once. */
const PLAN = process.argv.includes("--plan");
const DB_NAME = "cp_bench_timeline";

/** How the busy instance's events divide among the kinds (shares of EVENTS). */
const SHARES = {
  operation: 0.15,
  backup: 0.15,
  alert: 0.15,
  audit: 0.25,
  support_request: 0.1,
  channel_post: 0.2,
} as const;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

interface Figures {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

function figures(ms: number[]): Figures {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), max: s.at(-1) ?? NaN };
}

async function sample(runs: number, fn: () => Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < 10; i++) await fn(); // warm-up: plans, connections, JIT of our own code
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return figures(ms);
}

const fmt = (f: Figures) =>
  `n ${String(f.n).padStart(4)}  p50 ${f.p50.toFixed(2)} ms  p95 ${f.p95.toFixed(2)} ms  max ${f.max.toFixed(2)} ms`;

async function main() {
  const scratch = await useScratchDatabase(DB_NAME, "redis://127.0.0.1:56379/3");

  try {
    const { db, Prisma, pgPool } = await import("@cp/db");
    const { createCaller, createTrpcContext } = await import("@cp/api");
    const { instanceTimeline, instanceTimelineSql } = await import("@cp/services");
    const { TIMELINE_KINDS } = await import("@cp/core");
    type Kind = (typeof TIMELINE_KINDS)[number];

    const t0 = performance.now();
    const org = await db().organization.create({
      data: { name: "Bench Org", slug: "bench-org", plan: "dedicated", instanceQuota: 1000 },
    });
    const admin = await db().user.create({ data: { email: "bench-admin@example.com", name: "Bench Admin" } });
    await db().membership.create({ data: { orgId: org.id, userId: admin.id, role: "admin" } });
    const rule = await db().alertRule.create({
      data: {
        key: "bench_db_cpu_high",
        name: "Database CPU high",
        metric: "db_cpu_percent",
        comparison: "gt",
        threshold: 70,
        resolveThreshold: 60,
        forSeconds: 300,
        severity: "warning",
        runbook: "https://runbooks.example.test/db-cpu",
      },
    });
    const instanceIds: string[] = [];
    for (let n = 0; n <= OTHER_INSTANCES; n++) {
      const i = await db().instance.create({
        data: {
          orgId: org.id,
          name: `bench ${n}`,
          slug: `bench-${n}`,
          cloud: "local",
          region: "local",
          size: "small",
          mysqlVersion: "8.0",
          storageMode: "provider",
          status: "running",
        },
      });
      instanceIds.push(i.id);
    }
    const busy = instanceIds[0]!;

    // Bulk rows with generate_series: ids are random 25-character strings like cuids (unique across tables), times
    // spread at random over the last year, one draw per row (so kinds interleave and a few instants repeat). The
    // time is drawn in a sub-select of the FROM list: an uncorrelated LATERAL would be evaluated once, and give all
    // of a kind's rows one instant.
    const pool = pgPool();
    const id = `'c' || substr(md5(random()::text || g::text), 1, 24)`;
    const at = `date_trunc('milliseconds', now()::timestamp - random() * interval '365 days')`;
    async function fill(instanceId: string, total: number) {
      const n = (k: Kind) => Math.round(total * SHARES[k]);
      const p = [instanceId, org.id];
      await pool.query(
        `INSERT INTO "Operation" (id, "instanceId", kind, status, "createdAt", "updatedAt")
         SELECT ${id}, $1, (ARRAY['provision','update','upgrade','backup','restore'])[1 + g % 5]::"OperationKind",
                (ARRAY['succeeded','succeeded','succeeded','failed','cancelled'])[1 + g % 5]::"OperationStatus",
                t, t
         FROM (SELECT g, ${at} AS t FROM generate_series(1, ${n("operation")}) g) x`,
        [p[0]],
      );
      await pool.query(
        `INSERT INTO "Backup" (id, "instanceId", "orgId", kind, status, verification, "sizeBytes", "createdAt",
                               "updatedAt")
         SELECT ${id}, $1, $2, (ARRAY['scheduled','scheduled','manual'])[1 + g % 3]::"BackupKind",
                (ARRAY['completed','completed','completed','failed'])[1 + g % 4]::"BackupStatus",
                'verified', 1048576 * (1 + g % 500), t, t
         FROM (SELECT g, ${at} AS t FROM generate_series(1, ${n("backup")}) g) x`,
        p,
      );
      await pool.query(
        `INSERT INTO "Alert" (id, "ruleId", "instanceId", "orgId", state, severity, value, threshold,
                              "pendingSince", "firedAt", "resolvedAt", "lastEvaluatedAt", "createdAt", "updatedAt")
         SELECT ${id}, $3, $1, $2, 'resolved', 'warning', 85, 70, t, t, t + interval '20 minutes', t, t, t
         FROM (SELECT g, ${at} AS t FROM generate_series(1, ${n("alert")}) g) x`,
        [...p, rule.id],
      );
      await pool.query(
        `INSERT INTO "AuditEvent" (id, "actorId", "actorEmail", action, "targetType", "targetId", "orgId", before,
                                   after, "createdAt")
         SELECT ${id}, $3, 'bench-admin@example.com',
                (ARRAY['instance.update','instance.backup','instance.restore'])[1 + g % 3], 'instance', $1, $2,
                '{"size":"small"}', '{"size":"medium"}', ${at}
         FROM generate_series(1, ${n("audit")}) g`,
        [...p, admin.id],
      );
      await pool.query(
        `INSERT INTO "SupportRequest" (id, "orgId", "instanceId", "openedById", subject, severity, status, plan,
                                       "firstResponseDueAt", "resolutionDueAt", "createdAt", "updatedAt")
         SELECT ${id}, $2, $1, $3, 'Request ' || g, (ARRAY['P1','P2','P3','P4'])[1 + g % 4]::"SupportSeverity",
                'resolved', 'standard', t + interval '1 hour', t + interval '1 day', t, t
         FROM (SELECT g, ${at} AS t FROM generate_series(1, ${n("support_request")}) g) x`,
        [...p, admin.id],
      );
      await pool.query(
        `INSERT INTO "ChannelPost" (id, "instanceId", "orgId", kind, text, "dedupeKey", "createdAt")
         SELECT ${id}, $1, $2, 'alert', 'Alert resolved: Database CPU > 70 % on bench (' || g || ')',
                $1 || ':bench:' || g, ${at}
         FROM generate_series(1, ${n("channel_post")}) g`,
        p,
      );
    }
    await fill(busy, EVENTS);
    for (const other of instanceIds.slice(1)) await fill(other, OTHER_EVENTS);
    // Org-wide audit events with other targets, as a real audit log has.
    await pool.query(
      `INSERT INTO "AuditEvent" (id, action, "targetType", "targetId", "orgId", "createdAt")
       SELECT 'c' || substr(md5(random()::text || g::text), 1, 24), 'member.invite', 'invitation',
              'inv-' || g, $1, now() - random() * interval '365 days'
       FROM generate_series(1, 50000) g`,
      [org.id],
    );
    await db().$executeRaw`ANALYZE`;
    const counts = await db().$queryRaw<{ kind: string; n: bigint }[]>`
      SELECT 'operation' AS kind, count(*) AS n FROM "Operation" WHERE "instanceId" = ${busy}
      UNION ALL SELECT 'backup', count(*) FROM "Backup" WHERE "instanceId" = ${busy}
      UNION ALL SELECT 'alert', count(*) FROM "Alert" WHERE "instanceId" = ${busy}
      UNION ALL SELECT 'audit', count(*) FROM "AuditEvent" WHERE "targetId" = ${busy}
      UNION ALL SELECT 'support_request', count(*) FROM "SupportRequest" WHERE "instanceId" = ${busy}
      UNION ALL SELECT 'channel_post', count(*) FROM "ChannelPost" WHERE "instanceId" = ${busy}`;
    const total = counts.reduce((s, c) => s + Number(c.n), 0);
    console.log(
      `scratch data: ${total} events on the busy instance (${counts.map((c) => `${c.kind} ${c.n}`).join(", ")}); ` +
        `${OTHER_INSTANCES} other instances with ${OTHER_EVENTS} each; 50,000 other audit events; ` +
        `built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const ctx = {
      actor: {
        userId: admin.id,
        email: admin.email,
        staffRole: "none" as const,
        memberships: [{ orgId: org.id, role: "admin" as const }],
      },
    };
    const base = { orgId: org.id, instanceId: busy, limit: PAGE };

    async function explainMs(kinds: readonly Kind[], cursor: string | null): Promise<number> {
      const sql = instanceTimelineSql(busy, kinds, cursor, PAGE);
      const ms: number[] = [];
      for (let k = 0; k < 20; k++) {
        const r = await db().$queryRaw<{ "QUERY PLAN": [{ "Execution Time": number }] }[]>(
          Prisma.sql`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
        );
        ms.push(r[0]?.["QUERY PLAN"][0]["Execution Time"] ?? NaN);
      }
      if (PLAN) {
        const text = await db().$queryRaw<{ "QUERY PLAN": string }[]>(
          Prisma.sql`EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
        );
        console.log(text.map((r) => `      ${r["QUERY PLAN"]}`).join("\n"));
      }
      return figures(ms).p50;
    }

    /** Every page of a walk through the history, timed one by one; also the cursors, to replay deep pages. */
    async function walk(
      kinds?: Kind[],
    ): Promise<{ all: Figures; deep: Figures; cursors: (string | null)[] }> {
      const ms: number[] = [];
      const cursors: (string | null)[] = [];
      let cursor: string | null = null;
      let seen = 0;
      const ids = new Set<string>();
      do {
        cursors.push(cursor);
        const t = performance.now();
        const page = await instanceTimeline(ctx, { ...base, kinds, cursor });
        ms.push(performance.now() - t);
        for (const i of page.items) ids.add(i.id);
        seen += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      if (ids.size !== seen) throw new Error(`the walk saw ${seen} items but ${ids.size} distinct ones`);
      if (!kinds && seen !== total) throw new Error(`the walk saw ${seen} of ${total} events`);
      return { all: figures(ms), deep: figures(ms.slice(Math.floor(ms.length / 2))), cursors };
    }

    console.log(`\ninstanceTimeline (service function), pages of ${PAGE}; goal p95 < 50 ms`);
    const first = await sample(RUNS, () => instanceTimeline(ctx, base));
    console.log(
      `  first page, all kinds               ${fmt(first)} | PostgreSQL ${(await explainMs(TIMELINE_KINDS, null)).toFixed(2)} ms`,
    );

    const t1 = performance.now();
    const all = await walk();
    console.log(
      `  walk of the whole history (${all.cursors.length} pages, ${((performance.now() - t1) / 1000).toFixed(1)} s):`,
    );
    console.log(`    every page                        ${fmt(all.all)}`);
    console.log(`    older half of the history         ${fmt(all.deep)}`);
    // A page deep in the history, asked again and again (as someone paging through old events would).
    const deepCursor = all.cursors[Math.floor(all.cursors.length * 0.9)]!;
    const deep = await sample(RUNS, () => instanceTimeline(ctx, { ...base, cursor: deepCursor }));
    console.log(
      `  a page at 90% of the history        ${fmt(deep)} | PostgreSQL ${(await explainMs(TIMELINE_KINDS, deepCursor)).toFixed(2)} ms`,
    );

    for (const kind of ["backup", "support_request"] as const) {
      const only = await sample(RUNS, () => instanceTimeline(ctx, { ...base, kinds: [kind] }));
      console.log(
        `  first page, ${kind.padEnd(24)}${fmt(only)} | PostgreSQL ${(await explainMs([kind], null)).toFixed(2)} ms`,
      );
      const w = await walk([kind]);
      const mid = w.cursors[Math.floor(w.cursors.length / 2)]!;
      console.log(`    walk of ${kind} (${w.cursors.length} pages)`.padEnd(37) + " " + fmt(w.all));
      console.log(
        `    its middle page, repeated         ${fmt(await sample(RUNS, () => instanceTimeline(ctx, { ...base, kinds: [kind], cursor: mid })))} | PostgreSQL ${(await explainMs([kind], mid)).toFixed(2)} ms`,
      );
    }
    const two = await sample(RUNS, () =>
      instanceTimeline(ctx, { ...base, kinds: ["operation", "alert"], cursor: deepCursor }),
    );
    console.log(`  operations + alerts, deep cursor    ${fmt(two)}`);

    const api = createCaller(
      await createTrpcContext({ userId: admin.id, ip: "127.0.0.1", userAgent: "bench" }),
    );
    const viaTrpc = await sample(RUNS, () => api.timeline.list(base));
    console.log(
      `\ntimeline.list through the tRPC caller (input and output validation; no HTTP), first page:`,
    );
    console.log(`  ${fmt(viaTrpc)}`);
    const perRequest = await sample(RUNS, async () => {
      const c = createCaller(
        await createTrpcContext({ userId: admin.id, ip: "127.0.0.1", userAgent: "bench" }),
      );
      await c.timeline.list({ ...base, cursor: deepCursor });
    });
    console.log(
      `  with a fresh context per call (actor read from the database), deep page: ${fmt(perRequest)}`,
    );
    const load = os.loadavg().map((l) => l.toFixed(1));
    console.log(`\nmachine: ${os.cpus().length} CPUs, load average ${load.join(" / ")} (1 / 5 / 15 min)`);
  } finally {
    const { db, closePgPool } = await import("@cp/db");
    await closePgPool();
    await db().$disconnect();
    if (!KEEP) {
      await scratch.drop();
      console.log("\nscratch database dropped");
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
