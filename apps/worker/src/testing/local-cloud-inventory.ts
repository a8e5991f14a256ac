// Independent views of what the local cloud really holds for a set of slugs: the daemon's API, MariaDB, the s3rver
// and the process table. Tests compare these with what the control plane believes (names: apps/local-cloud/src/
// naming.ts).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { env } from "@cp/config";
import { localCloudEnv, localCloudToken } from "@cp/config/local-cloud";
import type { LocalInstanceView } from "@cp/engine";
import { createConnection, type RowDataPacket } from "mysql2/promise";

const run = promisify(execFile);

export const databaseName = (slug: string) => `t_${slug.replace(/-/g, "_")}`;
export const bucketName = (slug: string) => `t-${slug}`;
/** The argument that marks a tenant process for `slug` (apps/local-cloud/src/tenant-process.ts). */
const TENANT_MARKER = "--cp-local-cloud-tenant=";

function cloudUrl(path: string): string {
  return `${(env().CP_LOCAL_CLOUD_URL ?? "http://127.0.0.1:4300").replace(/\/+$/, "")}${path}`;
}

async function cloudFetch(method: string, path: string): Promise<Response> {
  const token = localCloudToken();
  return fetch(cloudUrl(path), {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(30_000),
  });
}

/** GET /v1/instances, only the slugs starting with `prefix`. */
export async function cloudInstances(prefix: string): Promise<LocalInstanceView[]> {
  const res = await cloudFetch("GET", "/v1/instances");
  if (!res.ok) throw new Error(`GET /v1/instances answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { instances: LocalInstanceView[] };
  return body.instances.filter((i) => i.slug.startsWith(prefix));
}

export async function cloudInstance(slug: string): Promise<LocalInstanceView | null> {
  const res = await cloudFetch("GET", `/v1/instances/${slug}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET /v1/instances/${slug} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as LocalInstanceView;
}

/** DELETE every instance of the local cloud whose slug starts with `prefix` (and whatever it holds). */
export async function deleteCloudInstances(prefix: string, slugs: string[] = []): Promise<void> {
  const all = new Set([...slugs, ...(await cloudInstances(prefix)).map((i) => i.slug)]);
  const failures: string[] = [];
  await Promise.all(
    [...all].map(async (slug) => {
      const res = await cloudFetch("DELETE", `/v1/instances/${slug}`);
      if (res.status !== 204 && res.status !== 404)
        failures.push(`${slug}: ${res.status} ${await res.text()}`);
    }),
  );
  if (failures.length) throw new Error(`could not delete local cloud instances:\n${failures.join("\n")}`);
}

/** Databases and users in MariaDB whose names start with the database name of `prefix`. */
export async function mariadbResources(prefix: string): Promise<{ databases: string[]; users: string[] }> {
  const like = `${databaseName(prefix).replace(/_/g, "\\_")}%`;
  const conn = await createConnection({ ...localCloudEnv().mysql });
  try {
    const [dbs] = await conn.query<RowDataPacket[]>(
      "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
      [like],
    );
    const [users] = await conn.query<RowDataPacket[]>(
      "SELECT User AS name FROM mysql.global_priv WHERE User LIKE ?",
      [like],
    );
    return {
      databases: dbs.map((r) => String(r.name)).sort(),
      users: users.map((r) => String(r.name)).sort(),
    };
  } finally {
    await conn.end();
  }
}

/** Buckets of the s3rver whose names start with the bucket name of `prefix`. */
export async function s3Buckets(prefix: string): Promise<string[]> {
  const cfg = localCloudEnv().s3;
  const s3 = new S3Client({
    endpoint: cfg.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
  });
  try {
    const out = await s3.send(new ListBucketsCommand({}));
    return (out.Buckets ?? [])
      .map((b) => b.Name ?? "")
      .filter((n) => n.startsWith(bucketName(prefix)))
      .sort();
  } finally {
    s3.destroy();
  }
}

/** Tenant processes in the process table, by slug (only slugs starting with `prefix`). */
export async function tenantProcesses(prefix: string): Promise<Map<string, number[]>> {
  const { stdout } = await run("ps", ["-eo", "pid=,args="], { maxBuffer: 16 * 1024 * 1024 });
  const bySlug = new Map<string, number[]>();
  for (const line of stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const at = m[2]!.indexOf(`${TENANT_MARKER}${prefix}`);
    if (at < 0) continue;
    const slug = m[2]!.slice(at + TENANT_MARKER.length).split(/\s/)[0]!;
    bySlug.set(slug, [...(bySlug.get(slug) ?? []), Number(m[1])]);
  }
  return bySlug;
}

export interface Inventory {
  cloud: { slug: string; status: string; pid: number | null }[];
  databases: string[];
  users: string[];
  buckets: string[];
  processes: Record<string, number[]>;
}

/** Everything the local cloud holds under `prefix`, from the four independent sources. */
export async function inventory(prefix: string): Promise<Inventory> {
  const [cloud, maria, buckets, procs] = await Promise.all([
    cloudInstances(prefix),
    mariadbResources(prefix),
    s3Buckets(prefix),
    tenantProcesses(prefix),
  ]);
  return {
    cloud: cloud
      .map((i) => ({ slug: i.slug, status: i.status, pid: i.pid }))
      .sort((a, b) => a.slug.localeCompare(b.slug)),
    databases: maria.databases,
    users: maria.users,
    buckets,
    processes: Object.fromEntries([...procs].sort(([a], [b]) => a.localeCompare(b))),
  };
}

/**
 * What the inventory must be when exactly `slugs` run: one cloud entry each (running, with its pid), one database,
 * one user, one bucket and one tenant process each, and nothing else under the prefix.
 */
export function expectedInventory(slugs: string[], pids: Record<string, number | null>): Inventory {
  const sorted = [...slugs].sort();
  return {
    cloud: sorted.map((slug) => ({ slug, status: "running", pid: pids[slug] ?? null })),
    databases: sorted.map(databaseName).sort(),
    users: sorted.map(databaseName).sort(),
    buckets: sorted.map(bucketName).sort(),
    processes: Object.fromEntries(sorted.map((slug) => [slug, [pids[slug] ?? -1]])),
  };
}
