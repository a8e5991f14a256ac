// Sends one telemetry report from a tenant database, the way a running tenant service does, and exits: for demos,
// the e2e spec and backfilling a day. Exits 0 when the ingest accepted it, 1 with the ingest's message otherwise,
// 78 when the environment is wrong.
//
//   DB_HOST=… DB_PORT=… DB_USER=… DB_PASSWORD=… DB_NAME=… VERSION=0.66.0 \
//   TELEMETRY_URL=http://localhost:3000/api/telemetry/v1/reports LICENSE_TOKEN=… \
//   npx tsx apps/tenant-service/src/send-telemetry.ts [--day YYYY-MM-DD]
import { createPool } from "mysql2/promise";
import { z } from "zod";
import { countersFrom, readRunFigures, reportDay, sendReport } from "./telemetry";

const ZEnv = z.object({
  DB_HOST: z.string().min(1).default("127.0.0.1"),
  DB_PORT: z.coerce.number().int().min(1).max(65535).default(3306),
  DB_USER: z.string().min(1),
  DB_PASSWORD: z.string().min(1),
  DB_NAME: z.string().min(1),
  VERSION: z.string().min(1),
  TELEMETRY_URL: z.string().url(),
  LICENSE_TOKEN: z.string().min(1),
  /** Optional: the bucket's size in bytes, when the caller knows it (this CLI does not read the bucket). */
  STORAGE_BYTES: z.coerce.number().int().min(0).optional(),
});

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const parsed = ZEnv.safeParse(
  Object.fromEntries(Object.entries(process.env).map(([k, v]) => [k, v === "" ? undefined : v])),
);
if (!parsed.success)
  fail(
    `send-telemetry: invalid environment:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    78,
  );
const env = parsed.data;

const dayArg = process.argv.indexOf("--day");
const day = dayArg >= 0 ? process.argv[dayArg + 1] : undefined;
if (dayArg >= 0 && !/^\d{4}-\d{2}-\d{2}$/.test(day ?? "")) fail("send-telemetry: --day takes YYYY-MM-DD", 78);

const pool = createPool({
  host: env.DB_HOST,
  port: env.DB_PORT,
  user: env.DB_USER,
  password: env.DB_PASSWORD,
  database: env.DB_NAME,
  connectionLimit: 1,
  connectTimeout: 5_000,
});
let exitCode = 0;
try {
  const now = new Date();
  const runs = await readRunFigures(pool, now);
  const result = await sendReport(
    { url: env.TELEMETRY_URL, licenseToken: env.LICENSE_TOKEN, version: env.VERSION },
    {
      day: day ?? reportDay(now),
      version: env.VERSION,
      counters: countersFrom(runs, env.STORAGE_BYTES ?? null),
    },
  );
  process.stdout.write(
    `${JSON.stringify({ ok: result.ok, status: result.status, answer: result.answer })}\n`,
  );
  process.stderr.write(`${result.message}\n`);
  if (!result.ok) exitCode = 1;
} catch (err) {
  process.stderr.write(`send-telemetry: ${err instanceof Error ? err.message : String(err)}\n`);
  exitCode = 1;
}
await pool.end().catch(() => undefined);
process.exit(exitCode);
