import type { Cloud, InstanceStatus } from "@cp/core";
import { db, type Prisma } from "@cp/db";
import { keysetAfter, keysetResult, type KeysetPage } from "../pagination";

const select = {
  id: true,
  orgId: true,
  name: true,
  slug: true,
  cloud: true,
  region: true,
  size: true,
  mysqlVersion: true,
  storageMode: true,
  status: true,
  statusReason: true,
  version: true,
  url: true,
  healthStatus: true,
  healthCheckedAt: true,
  createdAt: true,
} satisfies Prisma.InstanceSelect;

export type InstanceRow = Prisma.InstanceGetPayload<{ select: typeof select }>;

/** The org's instances (deleted ones excluded), newest first. */
export async function listOrgInstances(orgId: string): Promise<InstanceRow[]> {
  return db().instance.findMany({
    where: { orgId, deletedAt: null },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 500,
    select,
  });
}

export interface FleetFilter {
  q?: string | null;
  status?: InstanceStatus | null;
  cloud?: Cloud | null;
  orgId?: string | null;
}

function fleetWhere(f: FleetFilter): Prisma.InstanceWhereInput {
  const and: Prisma.InstanceWhereInput[] = [];
  const q = f.q?.trim();
  if (q) {
    and.push({
      OR: [
        { name: { contains: q, mode: "insensitive" } },
        { slug: { contains: q.toLowerCase() } },
        { region: { contains: q.toLowerCase() } },
        { org: { name: { contains: q, mode: "insensitive" } } },
      ],
    });
  }
  if (f.status) and.push({ status: f.status });
  else and.push({ status: { not: "deleted" } });
  if (f.cloud) and.push({ cloud: f.cloud });
  if (f.orgId) and.push({ orgId: f.orgId });
  return { AND: and };
}

/** Every org's instances for staff: filtered and keyset-paginated on the server, with the filtered total. */
export async function listFleet(filter: FleetFilter, page: KeysetPage) {
  const where = fleetWhere(filter);
  const [rows, total] = await Promise.all([
    db().instance.findMany({
      where: { AND: [where, keysetAfter(page.cursor)] },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      select: { ...select, org: { select: { name: true, slug: true } } },
    }),
    db().instance.count({ where }),
  ]);
  const { items, nextCursor } = keysetResult(rows, page.limit);
  return {
    items: items.map(({ org, ...i }) => ({ ...i, orgName: org.name, orgSlug: org.slug })),
    total,
    nextCursor,
  };
}
