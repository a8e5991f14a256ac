import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { InstancesView } from "./instances-view";

export default async function OrgInstancesPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  const me = await requireMe();
  const role = me.orgs.find((o) => o.id === orgId)?.role;
  const canOrder = role === "admin" || me.staffRole === "sre" || me.staffRole === "admin";
  prefetch(trpc.orgs.get.queryOptions({ orgId }));
  prefetch(trpc.instances.list.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <InstancesView orgId={orgId} canOrder={canOrder} />
    </HydrateClient>
  );
}
